/**
 * Streaming, synchronous body decompression (gzip, deflate, br, zstd, and stacked encodings).
 *
 * Why synchronous: SSE responses must be readable as they arrive and in the same call that delivered the
 * bytes, so exchange events keep capture order. Node's zlib streams are asynchronous, and its *Sync
 * functions close the engine after one call, so for zlib/brotli we drive the engine's native handle the way
 * Node's own `processChunkSync` does, without closing it. That touches internals (`_handle.writeSync`,
 * `_writeState`) that have been stable since Node 12; a self-test at load time checks they behave, and
 * when they do not, we fall back to buffering the compressed body and inflating it once at the end
 * (`streaming` = false: no progress, same result). zstd uses fzstd's streaming decoder (pure JS).
 */
import * as zlib from 'node:zlib';
import type * as Fzstd from 'fzstd';

// fzstd is required at the first zstd body, not with this module: `record` loads the HTTP decoders before it starts
// the command, and few streams are zstd (BENCHMARKS.md, record start-up).
let fzstd: typeof Fzstd | null = null;
const zstd = (): typeof Fzstd => (fzstd ??= require('fzstd') as typeof Fzstd);

export interface ContentDecoder {
  /** Returns decoded bytes available so far (possibly empty). Throws on corrupt input. */
  push(data: Uint8Array): Uint8Array[];
  /** Flushes at end of body. Throws on corrupt input. */
  end(): Uint8Array[];
  /** false when output is only produced at end(). */
  readonly streaming: boolean;
}

interface ZlibInternals {
  _handle: { writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void } | null;
  _writeState: Uint32Array;
  destroyed: boolean;
  on(ev: 'error', fn: (err: Error) => void): void;
}

type ZlibKind = 'gzip' | 'deflate' | 'br';

const OUT_CHUNK = 64 * 1024;
let scratchBuf: Buffer | null = null;
const scratch = (): Buffer => (scratchBuf ??= Buffer.allocUnsafe(OUT_CHUNK));

function createEngine(kind: ZlibKind): ZlibInternals {
  const engine =
    kind === 'gzip' ? zlib.createGunzip() : kind === 'br' ? zlib.createBrotliDecompress() : zlib.createInflate();
  return engine as unknown as ZlibInternals;
}

class SyncZlibDecoder implements ContentDecoder {
  readonly streaming = true;
  private engine: ZlibInternals;
  private error: Error | null = null;
  private finished = false;
  private readonly flush: number;
  private rawFallbackTried = false;
  private firstBytes: Uint8Array[] | null = [];

  constructor(private readonly kind: ZlibKind | 'raw') {
    this.flush = kind === 'br' ? zlib.constants.BROTLI_OPERATION_FLUSH : zlib.constants.Z_SYNC_FLUSH;
    this.engine = this.makeEngine(kind);
  }

  private makeEngine(kind: ZlibKind | 'raw'): ZlibInternals {
    const engine = kind === 'raw' ? (zlib.createInflateRaw() as unknown as ZlibInternals) : createEngine(kind);
    // The native error callback destroys the stream, which emits 'error' later; without a listener that would
    // be an uncaught exception far from here.
    engine.on('error', (err) => {
      this.error = err;
    });
    return engine;
  }

  push(data: Uint8Array): Uint8Array[] {
    if (this.finished || data.length === 0) return [];
    if (this.firstBytes) {
      this.firstBytes.push(data);
      if (this.firstBytes.reduce((n, b) => n + b.length, 0) > 4096) this.firstBytes = null;
    }
    try {
      return this.run(data);
    } catch (err) {
      // "Content-Encoding: deflate" is often sent as raw deflate without the zlib header (RFC 9110 notes the
      // confusion); retry once from the start as raw.
      if (this.kind === 'deflate' && !this.rawFallbackTried && this.firstBytes) {
        this.rawFallbackTried = true;
        this.error = null;
        this.engine = this.makeEngine('raw');
        const replay = this.firstBytes;
        this.firstBytes = null;
        const out: Uint8Array[] = [];
        for (const b of replay) out.push(...this.run(b));
        return out;
      }
      throw err;
    }
  }

  private run(input: Uint8Array): Uint8Array[] {
    const handle = this.engine._handle;
    if (!handle) {
      this.finished = true;
      return [];
    }
    const state = this.engine._writeState;
    const out: Uint8Array[] = [];
    let inOff = 0;
    let inLen = input.length;
    for (;;) {
      // One shared scratch buffer; only the bytes produced are copied out (small SSE pushes would otherwise
      // allocate 64 KB each).
      const buf = scratch();
      handle.writeSync(this.flush, input, inOff, inLen, buf, 0, OUT_CHUNK);
      if (this.error || this.engine.destroyed) throw this.error ?? new Error('decompression failed');
      const availOut = state[0];
      const availIn = state[1];
      const have = OUT_CHUNK - availOut;
      if (have > 0) out.push(Buffer.from(buf.subarray(0, have)));
      inOff += inLen - availIn;
      inLen = availIn;
      if (availOut !== 0) {
        // Output space left over: the engine consumed what it could. Input left means the stream ended.
        if (availIn > 0) this.finished = true;
        break;
      }
    }
    return out;
  }

  end(): Uint8Array[] {
    this.finished = true;
    return [];
  }
}

/** Fallback when zlib internals are unavailable: inflate once at the end. */
class BufferedZlibDecoder implements ContentDecoder {
  readonly streaming = false;
  private parts: Uint8Array[] = [];
  constructor(private readonly kind: ZlibKind) {}
  push(data: Uint8Array): Uint8Array[] {
    this.parts.push(data);
    return [];
  }
  end(): Uint8Array[] {
    const all = Buffer.concat(this.parts);
    this.parts = [];
    const opts = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
    if (this.kind === 'gzip') return [zlib.gunzipSync(all, opts)];
    if (this.kind === 'br') return [zlib.brotliDecompressSync(all)];
    try {
      return [zlib.inflateSync(all, opts)];
    } catch {
      return [zlib.inflateRawSync(all, opts)];
    }
  }
}

/**
 * fzstd allocates the frame's whole window (or content size) up front, up to 2 GB, from a header an attacker or a
 * corrupt capture controls. RFC 8878 §3.1.1.1.2 lets decoders refuse windows above 8 MB (HTTP's
 * recommendation); we refuse anything above 8 MB before fzstd sees the header.
 */
const MAX_ZSTD_WINDOW = 8 * 1024 * 1024;

function zstdWindowOf(h: Uint8Array): number | null {
  if (h.length < 6) return null;
  const flg = h[4]!;
  const ss = (flg >> 5) & 1;
  const fcf = flg >> 6;
  const df = flg & 3;
  if (!ss) {
    const wb = 2 ** (10 + (h[5]! >> 3));
    return wb + (wb / 8) * (h[5]! & 7);
  }
  const fsb = fcf ? 1 << fcf : 1;
  const at = 5 + (df === 3 ? 4 : df);
  if (h.length < at + fsb) return null;
  let fss = 0;
  for (let i = 0; i < fsb; i++) fss += h[at + i]! * 2 ** (8 * i);
  return fss + (fcf === 1 ? 256 : 0);
}

class ZstdDecoder implements ContentDecoder {
  readonly streaming = true;
  private out: Uint8Array[] = [];
  private head: Uint8Array | null = new Uint8Array(0);
  private readonly d = new (zstd().Decompress)((chunk) => {
    this.out.push(chunk);
  });
  push(data: Uint8Array): Uint8Array[] {
    let input = data;
    if (this.head) {
      const h = new Uint8Array(this.head.length + data.length);
      h.set(this.head);
      h.set(data, this.head.length);
      const ws = zstdWindowOf(h);
      if (ws === null && h.length < 18) {
        this.head = h;
        return [];
      }
      if (ws !== null && ws > MAX_ZSTD_WINDOW) throw new Error(`zstd window of ${ws} bytes refused`);
      this.head = null;
      input = h;
    } else {
      // fzstd may keep a reference to the input; give it a private copy.
      input = new Uint8Array(data);
    }
    this.d.push(input);
    const o = this.out;
    this.out = [];
    return o;
  }
  end(): Uint8Array[] {
    if (this.head && this.head.length > 0) {
      const h = this.head;
      this.head = null;
      this.d.push(h);
    }
    const o = this.out;
    this.out = [];
    return o;
  }
}

/** Chains decoders for stacked encodings ("gzip, br" was applied gzip first, so it is undone br first). */
class ChainDecoder implements ContentDecoder {
  readonly streaming: boolean;
  constructor(private readonly stages: ContentDecoder[]) {
    this.streaming = stages.every((s) => s.streaming);
  }
  push(data: Uint8Array): Uint8Array[] {
    let cur: Uint8Array[] = [data];
    for (const s of this.stages) cur = cur.flatMap((c) => s.push(c));
    return cur;
  }
  end(): Uint8Array[] {
    let cur: Uint8Array[] = [];
    for (const s of this.stages) {
      const pushed = cur.flatMap((c) => s.push(c));
      cur = [...pushed, ...s.end()];
    }
    return cur;
  }
}

let internalsWork: boolean | null = null;

function zlibInternalsWork(): boolean {
  if (internalsWork !== null) return internalsWork;
  try {
    const text = Buffer.from('agentsight self-test '.repeat(50));
    const gz = zlib.gzipSync(text);
    const d = new SyncZlibDecoder('gzip');
    const parts: Uint8Array[] = [];
    for (let i = 0; i < gz.length; i += 10) parts.push(...d.push(gz.subarray(i, i + 10)));
    internalsWork = Buffer.concat(parts).equals(text);
  } catch {
    internalsWork = false;
  }
  return internalsWork;
}

function single(coding: string): ContentDecoder | null {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlibInternalsWork() ? new SyncZlibDecoder('gzip') : new BufferedZlibDecoder('gzip');
    case 'deflate':
      return zlibInternalsWork() ? new SyncZlibDecoder('deflate') : new BufferedZlibDecoder('deflate');
    case 'br':
      return zlibInternalsWork() ? new SyncZlibDecoder('br') : new BufferedZlibDecoder('br');
    case 'zstd':
      return new ZstdDecoder();
    default:
      return null;
  }
}

/**
 * A raw-deflate stream decoder that keeps its window across pushes (WebSocket permessage-deflate with context
 * takeover), or null when zlib's internals are not usable on this Node.
 */
export function createRawInflater(): ContentDecoder | null {
  return zlibInternalsWork() ? new SyncZlibDecoder('raw') : null;
}

export type ContentDecoderResult =
  | { kind: 'identity' }
  | { kind: 'decoder'; decoder: ContentDecoder }
  | { kind: 'unsupported'; coding: string };

/** Builds a decoder for a Content-Encoding header value (null / identity → identity). */
export function createContentDecoder(contentEncoding: string | null): ContentDecoderResult {
  if (!contentEncoding) return { kind: 'identity' };
  const codings = contentEncoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return { kind: 'identity' };
  const stages: ContentDecoder[] = [];
  for (const c of codings.reverse()) {
    const d = single(c);
    if (!d) return { kind: 'unsupported', coding: c };
    stages.push(d);
  }
  return { kind: 'decoder', decoder: stages.length === 1 ? stages[0]! : new ChainDecoder(stages) };
}
