/**
 * Collects one message body: undoes Content-Encoding as bytes arrive, forwards decoded pieces (for live
 * progress), caps what it keeps, and remembers why a body is not whole (lost capture bytes, corrupt
 * compression, cap) instead of throwing.
 */
import { createContentDecoder, type ContentDecoder } from './content-decoder';

/** Bodies beyond this (decoded) are cut: large enough for a 10 MB agent request, small enough to bound memory. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export class BodyCollector {
  /** Append-only storage grown by doubling: views handed to onData stay valid (bytes are never rewritten). */
  private buf: Buffer | null = null;
  private size = 0;
  private decoder: ContentDecoder | null = null;
  private broken = false;
  /** Bytes that arrived but could not be kept (decoding failed, capture lost bytes, cap). */
  droppedBytes = 0;
  error: string | null = null;
  sawData = false;

  constructor(
    contentEncoding: string | null,
    private readonly onData: ((data: Uint8Array, tsNs: number) => void) | null,
    private readonly maxBytes = MAX_BODY_BYTES,
  ) {
    const r = createContentDecoder(contentEncoding);
    if (r.kind === 'decoder') this.decoder = r.decoder;
    else if (r.kind === 'unsupported') this.error = `unsupported content-encoding ${r.coding}: body kept encoded`;
  }

  push(raw: Uint8Array, tsNs: number): void {
    if (raw.length === 0) return;
    this.sawData = true;
    if (this.broken) {
      this.droppedBytes += raw.length;
      return;
    }
    let out: Uint8Array[];
    if (!this.decoder) out = [raw];
    else {
      try {
        out = this.decoder.push(raw);
      } catch (err) {
        this.fail(`decompress: ${(err as Error).message}`, raw.length);
        return;
      }
    }
    for (const o of out) this.keep(o, tsNs);
  }

  /** Capture lost n bytes of this body: a compressed stream cannot go on past a hole. */
  lose(n: number): void {
    this.droppedBytes += n;
    if (this.decoder) this.broken = true;
    if (!this.error) this.error = `capture lost ${n} body bytes`;
  }

  finish(tsNs: number): Uint8Array | null {
    if (this.decoder && !this.broken) {
      try {
        for (const o of this.decoder.end()) this.keep(o, tsNs);
      } catch (err) {
        this.fail(`decompress: ${(err as Error).message}`, 0);
      }
    }
    if (!this.sawData) return null;
    if (!this.buf) return new Uint8Array(0);
    // Give back slack above 25 % so a finished 10 MB body does not pin 16 MB.
    if (this.buf.length - this.size > this.size / 4) return Buffer.from(this.buf.subarray(0, this.size));
    return this.buf.subarray(0, this.size);
  }

  private append(o: Uint8Array): Uint8Array {
    const need = this.size + o.length;
    if (!this.buf || need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(need, (this.buf?.length ?? 8192) * 2)));
      if (this.buf) this.buf.copy(grown, 0, 0, this.size);
      this.buf = grown;
    }
    this.buf.set(o, this.size);
    const view = this.buf.subarray(this.size, need);
    this.size = need;
    return view;
  }

  private keep(o: Uint8Array, tsNs: number): void {
    if (o.length === 0) return;
    if (this.size + o.length > this.maxBytes) {
      const room = this.maxBytes - this.size;
      if (room > 0) {
        const view = this.append(o.subarray(0, room));
        this.onData?.(view, tsNs);
      }
      this.droppedBytes += o.length - Math.max(room, 0);
      if (!this.error) this.error = `body larger than ${this.maxBytes} bytes: cut`;
      return;
    }
    // Callers hand us views into capture buffers that may be reused; keep our own copy.
    const view = this.append(o);
    this.onData?.(view, tsNs);
  }

  private fail(msg: string, bytes: number): void {
    this.broken = true;
    this.droppedBytes += bytes;
    if (!this.error) this.error = msg;
  }
}
