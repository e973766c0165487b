/**
 * Per-TLS-connection HTTP decoder: recognises HTTP/1.1 or HTTP/2 from the first bytes, then hands every
 * chunk to the matching decoder. Never throws: parse problems become `error` on exchanges and loss events.
 *
 * Detection: the HTTP/2 client preface (`PRI * HTTP/2.0…`) means h2 from the start; a request or status
 * line means HTTP/1.1; a plausible HTTP/2 frame header without a preface means h2 joined mid-connection
 * (headers unknown, bodies kept); anything else is skipped and counted until a chunk starts with one of those.
 */
import { Http1Decoder } from './http1-decoder';
import { looksLikeRequestStart, looksLikeResponseStart } from './http1-message-parser';
import { H2_PREFACE, Http2Decoder, looksLikeH2Frame } from './http2-decoder';
import type { HttpDecoderEvents, HttpProtocol, PlaintextChunk } from './types';

/** Most bytes held back while deciding the protocol (a client preface is 24 bytes; a server SETTINGS frame < 100). */
const MAX_HELD_BYTES = 64 * 1024;

export class HttpConnectionDecoder {
  private inner: Http1Decoder | Http2Decoder | null = null;
  private proto: HttpProtocol | null = null;
  /** Client bytes held while they might still be the start of the h2 preface. */
  private held: PlaintextChunk[] = [];
  private heldBytes = 0;
  private seq = 0;
  private ended = false;
  /** true when the first bytes we saw were not the start of the connection. */
  midStream = false;

  constructor(private readonly events: HttpDecoderEvents) {}

  get protocol(): HttpProtocol | null {
    return this.proto;
  }

  push(chunk: PlaintextChunk): void {
    if (this.ended) return;
    try {
      this.pushInner(chunk);
    } catch (err) {
      // Decoders are written not to throw; this keeps a bug from escaping into the capture loop.
      this.events.onLoss?.({
        source: 'http:internal',
        count: 1,
        bytes: chunk.data.length,
        detail: `decoder error: ${(err as Error).message}`,
        tsNs: chunk.tsNs,
      });
    }
  }

  end(tsNs: number): void {
    if (this.ended) return;
    try {
      if (!this.inner && this.held.length > 0) this.decide(true);
      this.inner?.end(tsNs);
    } catch (err) {
      this.events.onLoss?.({ source: 'http:internal', count: 1, bytes: 0, detail: `decoder error at end: ${(err as Error).message}`, tsNs });
    }
    this.ended = true;
  }

  private pushInner(chunk: PlaintextChunk): void {
    const lost = Math.max(0, chunk.origLen - chunk.data.length);
    if (this.inner) {
      this.inner.push(chunk.dir, chunk.data, chunk.tsNs, lost);
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.data.length;
    if (this.heldBytes > MAX_HELD_BYTES || this.readyToDecide()) this.decide(false);
  }

  /**
   * Waits while the client bytes could still be the h2 preface, and while only a server SETTINGS frame was seen
   * (an h2 server may send its preface before the client's arrives in capture order).
   */
  private readyToDecide(): boolean {
    const head = this.heldHead();
    if (head.length > 0) {
      const isPrefacePrefix = head.equals(H2_PREFACE.subarray(0, head.length));
      const lost = this.held.some((c) => c.dir === 0 && c.origLen > c.data.length);
      return !(isPrefacePrefix && head.length < H2_PREFACE.length && !lost);
    }
    const server = this.serverHead();
    if (server.length < 9) return false; // cannot tell a status line from a frame header yet
    const isServerSettings = looksLikeH2Frame(server) && server[3] === 0x4;
    return !isServerSettings;
  }

  private serverHead(): Buffer {
    return Buffer.concat(this.held.filter((c) => c.dir === 1).map((c) => c.data)).subarray(0, 64);
  }

  private heldHead(): Buffer {
    const parts: Uint8Array[] = [];
    let n = 0;
    for (const c of this.held) {
      if (c.dir !== 0) continue;
      parts.push(c.data);
      n += c.data.length;
      if (n >= H2_PREFACE.length) break;
    }
    return Buffer.concat(parts).subarray(0, H2_PREFACE.length);
  }

  private decide(atEnd: boolean): void {
    const nextSeq = (): number => ++this.seq;
    const clientHead = this.heldHead();
    const firstDir0 = clientHead.length > 0;
    const head = firstDir0 ? clientHead : this.serverHead();
    if (firstDir0 && head.equals(H2_PREFACE.subarray(0, head.length)) && (head.length === H2_PREFACE.length || atEnd)) {
      this.proto = 'h2';
      this.inner = new Http2Decoder(this.events, nextSeq, true);
    } else if (firstDir0 ? looksLikeRequestStart(head, 1) : looksLikeResponseStart(head)) {
      this.proto = 'http/1.1';
      this.inner = new Http1Decoder(this.events, nextSeq, false);
      this.midStream = !firstDir0;
    } else if (looksLikeH2Frame(head)) {
      this.proto = 'h2';
      this.midStream = true;
      this.inner = new Http2Decoder(this.events, nextSeq, false);
    } else {
      // Not recognisable yet: drop these bytes (counted) and try again with the next chunk.
      for (const c of this.held) {
        this.events.onLoss?.({
          source: 'http:unrecognised',
          count: 1,
          bytes: c.origLen,
          detail: `dir ${c.dir}: bytes before any recognisable HTTP message (capture joined mid-connection?)`,
          tsNs: c.tsNs,
        });
      }
      this.midStream = true;
      this.held = [];
      this.heldBytes = 0;
      return;
    }
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const c of held) this.inner.push(c.dir, c.data, c.tsNs, Math.max(0, c.origLen - c.data.length));
  }
}
