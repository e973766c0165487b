/**
 * WebSocket (RFC 6455) message decoder for one direction of an upgraded connection, with permessage-deflate
 * (RFC 7692). Codex sends its Responses API traffic over a WebSocket when the server offers one, so after a
 * 101 the HTTP/1.1 decoder hands the bytes here instead of dropping them.
 */
import * as zlib from 'node:zlib';
import { createRawInflater, type ContentDecoder } from './content-decoder';

export interface WsMessage {
  /** 0 = sent by the traced process (client), 1 = received. */
  readonly dir: 0 | 1;
  /** 1 = text, 2 = binary, 8 = close. */
  readonly opcode: number;
  readonly data: Uint8Array;
  /** Time of the chunk that completed the message. */
  readonly tsNs: number;
}

export interface WsDeflateParams {
  enabled: boolean;
  /** The sender resets its compression context after each message. */
  noContextTakeover: boolean;
}

/** Reads the negotiated permessage-deflate parameters for each direction from the 101 response. */
export function parseWsExtensions(header: string | null): { client: WsDeflateParams; server: WsDeflateParams } {
  const off = { enabled: false, noContextTakeover: false };
  if (!header) return { client: off, server: off };
  const ext = header
    .split(',')
    .map((e) => e.split(';').map((p) => p.trim().toLowerCase()))
    .find((p) => p[0] === 'permessage-deflate');
  if (!ext) return { client: off, server: off };
  return {
    client: { enabled: true, noContextTakeover: ext.includes('client_no_context_takeover') },
    server: { enabled: true, noContextTakeover: ext.includes('server_no_context_takeover') },
  };
}

/** Messages larger than this are dropped (counted by the caller through onError). */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

export class WebSocketDirection {
  private hdr = Buffer.alloc(14);
  private hdrLen = 0;
  private inPayload = false;
  private fin = false;
  private opcode = 0;
  private masked = false;
  private maskKey = Buffer.alloc(4);
  private left = 0;
  private maskPos = 0;
  private frame: Buffer[] = [];
  /** Data frames of the message being assembled (fragmented messages span frames). */
  private msg: Buffer[] = [];
  private msgLen = 0;
  private msgOpcode = 0;
  private msgCompressed = false;
  private inflater: ContentDecoder | null = null;
  private broken = false;

  constructor(
    private readonly dir: 0 | 1,
    private readonly deflate: WsDeflateParams,
    private readonly onMessage: (m: WsMessage) => void,
    private readonly onError: (why: string, bytes: number) => void,
  ) {}

  push(input: Uint8Array, tsNs: number): void {
    if (this.broken) {
      this.onError('websocket stream out of sync', input.length);
      return;
    }
    const data = Buffer.from(input.buffer, input.byteOffset, input.length);
    let off = 0;
    while (off < data.length) {
      if (!this.inPayload) {
        const need = this.headerLength();
        const n = Math.min(need - this.hdrLen, data.length - off);
        data.copy(this.hdr, this.hdrLen, off, off + n);
        this.hdrLen += n;
        off += n;
        if (this.hdrLen < this.headerLength()) continue;
        if (!this.startFrame(tsNs)) return;
        if (this.left === 0) this.endFrame(tsNs);
        continue;
      }
      const n = Math.min(this.left, data.length - off);
      const piece = Buffer.from(data.subarray(off, off + n));
      if (this.masked) for (let i = 0; i < piece.length; i++) piece[i]! ^= this.maskKey[(this.maskPos + i) & 3]!;
      this.maskPos += n;
      this.frame.push(piece);
      this.left -= n;
      off += n;
      if (this.left === 0) this.endFrame(tsNs);
    }
  }

  /** Bytes lost from this direction: frame boundaries are gone for good. */
  lose(n: number): void {
    if (n <= 0) return;
    this.broken = true;
    this.onError('capture lost websocket bytes', n);
  }

  /** Header length known so far: 2 bytes, then extended length and mask key once the second byte is in. */
  private headerLength(): number {
    if (this.hdrLen < 2) return 2;
    const len7 = this.hdr[1]! & 0x7f;
    const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    return 2 + ext + (this.hdr[1]! & 0x80 ? 4 : 0);
  }

  private startFrame(tsNs: number): boolean {
    const h = this.hdr;
    this.hdrLen = 0;
    this.fin = (h[0]! & 0x80) !== 0;
    const rsv1 = (h[0]! & 0x40) !== 0;
    this.opcode = h[0]! & 0x0f;
    this.masked = (h[1]! & 0x80) !== 0;
    const len7 = h[1]! & 0x7f;
    let p = 2;
    let len = len7;
    if (len7 === 126) {
      len = h.readUInt16BE(2);
      p = 4;
    } else if (len7 === 127) {
      len = Number(h.readBigUInt64BE(2));
      p = 10;
    }
    if (this.masked) h.copy(this.maskKey, 0, p, p + 4);
    const isControl = this.opcode >= 8;
    const known = [0, 1, 2, 8, 9, 10].includes(this.opcode);
    if (!known || (isControl && (len > 125 || !this.fin)) || len > MAX_MESSAGE_BYTES) {
      this.broken = true;
      this.onError(`bad websocket frame (opcode ${this.opcode}, length ${len})`, 0);
      return false;
    }
    if (!isControl) {
      if (this.opcode !== 0) {
        this.msgOpcode = this.opcode;
        this.msgCompressed = rsv1 && this.deflate.enabled;
        this.msg = [];
        this.msgLen = 0;
      }
      if (this.msgLen + len > MAX_MESSAGE_BYTES) {
        this.broken = true;
        this.onError('websocket message too large', len);
        return false;
      }
    }
    this.left = len;
    this.maskPos = 0;
    this.frame = [];
    this.inPayload = len > 0;
    void tsNs;
    return true;
  }

  private endFrame(tsNs: number): void {
    this.inPayload = false;
    const payload = this.frame.length === 1 ? this.frame[0]! : Buffer.concat(this.frame);
    this.frame = [];
    if (this.opcode >= 8) {
      if (this.opcode === 8) this.onMessage({ dir: this.dir, opcode: 8, data: payload, tsNs });
      return; // ping/pong carry nothing we record
    }
    this.msg.push(payload);
    this.msgLen += payload.length;
    if (!this.fin) return;
    let body = this.msg.length === 1 ? this.msg[0]! : Buffer.concat(this.msg, this.msgLen);
    this.msg = [];
    this.msgLen = 0;
    if (this.msgCompressed) {
      try {
        body = this.inflate(body);
      } catch (err) {
        this.broken = true;
        this.onError(`websocket inflate: ${(err as Error).message}`, body.length);
        return;
      }
    }
    this.onMessage({ dir: this.dir, opcode: this.msgOpcode, data: body, tsNs });
  }

  /** permessage-deflate: raw deflate per message, the window kept across messages unless negotiated away. */
  private inflate(body: Buffer): Buffer {
    const input = Buffer.concat([body, TAIL]);
    if (this.deflate.noContextTakeover) {
      return zlib.inflateRawSync(input, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    }
    this.inflater ??= createRawInflater();
    if (!this.inflater) throw new Error('no streaming inflater on this Node: context takeover unsupported');
    const parts = this.inflater.push(input);
    return parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts);
  }
}
