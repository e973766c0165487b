/**
 * Incremental HTTP/1.x message framing for one direction of a connection. Knows start lines, headers,
 * Content-Length, chunked coding and read-until-close; knows nothing about pairing (the connection decoder
 * decides framing from the request method and status, and pairs). Input may be split anywhere.
 */

export interface Http1Head {
  /** Request: [method, target, version]; response: [version, status, reason]. */
  readonly startLine: [string, string, string];
  /** Names lower-cased, values trimmed, wire order. */
  readonly headers: Array<[string, string]>;
}

export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'eof' }
  /** Message ends here and the byte stream stops being HTTP. */
  | { kind: 'tunnel' }
  /** An informational (1xx) head: no body, and the real message follows. */
  | { kind: 'interim' };

export interface Http1ParserHooks {
  /** Decides how the body is delimited; called once per head. */
  onHead(head: Http1Head, tsNs: number): Framing;
  onBody(data: Uint8Array, tsNs: number): void;
  onEnd(tsNs: number): void;
  /** The parser cannot follow the stream any more (bad syntax or lost bytes); it skips to a likely message start. */
  onError(message: string, tsNs: number): void;
  /** Bytes skipped while out of sync. */
  onSkipped(bytes: number, tsNs: number): void;
  /** Capture lost n bytes inside a body whose length is known: framing stays in sync. */
  onBodyLost(n: number): void;
  /** Bytes after a protocol switch (101 / CONNECT), which are no longer HTTP. */
  onTunnelData?(data: Uint8Array, tsNs: number): void;
}

type Mode = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'eof' | 'tunnel' | 'desync';

/** Heads beyond this are treated as garbage: real ones are a few KB. */
const MAX_HEAD_BYTES = 256 * 1024;
const MAX_LINE_BYTES = 16 * 1024;

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'];

/** Does this chunk plausibly begin an HTTP/1 request (prefix check, works on short chunks)? */
export function looksLikeRequestStart(b: Uint8Array, minLen = 3): boolean {
  const s = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 12)).toString('latin1');
  if (s.length < minLen) return false;
  return METHODS.some((m) => {
    const w = `${m} `;
    return s.length >= w.length ? s.startsWith(w) : w.startsWith(s);
  });
}

export function looksLikeResponseStart(b: Uint8Array, minLen = 5): boolean {
  const s = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 7)).toString('latin1');
  return s.length >= minLen && 'HTTP/1.'.startsWith(s);
}

const EMPTY = Buffer.alloc(0);

export class Http1MessageParser {
  private mode: Mode = 'head';
  private pending: Buffer = EMPTY;
  private remaining = 0;
  /** Where to resume the search for the end of the head (avoids rescanning on 1-byte pushes). */
  private scanFrom = 0;
  /** Growable storage for a head arriving in pieces (doubling, so 1-byte pushes stay linear). */
  private headStore: Buffer = EMPTY;
  private headLen = 0;

  private appendHead(piece: Buffer): void {
    const need = this.headLen + piece.length;
    if (need > this.headStore.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.headStore.length * 2, 1024));
      this.headStore.copy(grown, 0, 0, this.headLen);
      this.headStore = grown;
    }
    piece.copy(this.headStore, this.headLen);
    this.headLen = need;
    this.pending = this.headStore.subarray(0, this.headLen);
  }

  constructor(
    private readonly kind: 'request' | 'response',
    private readonly hooks: Http1ParserHooks,
  ) {}

  get inTunnel(): boolean {
    return this.mode === 'tunnel';
  }

  get betweenMessages(): boolean {
    return this.mode === 'head' && this.pending.length === 0;
  }

  /** Switches to raw mode (after 101 / CONNECT): later bytes are not HTTP. */
  enterTunnel(): void {
    this.mode = 'tunnel';
    this.pending = EMPTY;
    this.headLen = 0;
  }

  /** Starts out of sync (capture attached mid-connection): wait for a chunk that starts a message. */
  startDesynced(): void {
    this.mode = 'desync';
  }

  push(input: Uint8Array, tsNs: number): void {
    let data = Buffer.from(input.buffer, input.byteOffset, input.length);
    if (this.mode === 'desync') {
      const starts = this.kind === 'request' ? looksLikeRequestStart(data) : looksLikeResponseStart(data);
      if (!starts) {
        this.hooks.onSkipped(data.length, tsNs);
        return;
      }
      this.mode = 'head';
      this.pending = EMPTY;
      this.headLen = 0;
      this.scanFrom = 0;
    }
    let off = 0;
    while (off < data.length) {
      switch (this.mode as Mode) {
        case 'tunnel':
          this.hooks.onTunnelData?.(data.subarray(off), tsNs);
          return;
        case 'desync':
          this.hooks.onSkipped(data.length - off, tsNs);
          return;
        case 'head': {
          if (this.pending.length === 0) {
            // Blank lines before a message are allowed (RFC 9112 §2.2).
            while (off < data.length && (data[off] === 0x0d || data[off] === 0x0a)) off++;
            if (off >= data.length) return;
          }
          this.appendHead(data.subarray(off));
          off = data.length;
          const end = findHeadEnd(this.pending, this.scanFrom);
          if (end < 0) {
            this.scanFrom = Math.max(0, this.pending.length - 3);
            if (this.pending.length > MAX_HEAD_BYTES) this.desync(`head longer than ${MAX_HEAD_BYTES} bytes`, tsNs);
            else if (!this.plausiblePrefix()) this.desync('not an HTTP/1 message', tsNs);
            continue;
          }
          const headBytes = this.pending.subarray(0, end);
          // Copy the rest out: headStore is reused for the next head.
          const rest = Buffer.from(this.pending.subarray(findHeadEndAfter(this.pending, end)));
          this.pending = EMPTY;
          this.headLen = 0;
          this.scanFrom = 0;
          data = rest;
          off = 0;
          const head = parseHead(headBytes.toString('latin1'), this.kind);
          if (typeof head === 'string') {
            this.desync(head, tsNs);
            continue;
          }
          this.beginBody(this.hooks.onHead(head, tsNs), tsNs);
          break;
        }
        case 'length':
        case 'chunk-data': {
          const n = Math.min(this.remaining, data.length - off);
          this.hooks.onBody(data.subarray(off, off + n), tsNs);
          off += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            if (this.mode === 'length') this.finish(tsNs);
            else {
              this.mode = 'chunk-crlf';
              this.remaining = 0;
            }
          }
          break;
        }
        case 'eof':
          this.hooks.onBody(data.subarray(off), tsNs);
          off = data.length;
          break;
        case 'chunk-crlf': {
          const c = data[off]!;
          if (c === 0x0d && this.remaining === 0) {
            this.remaining = 1;
            off++;
          } else if (c === 0x0a) {
            off++;
            this.mode = 'chunk-size';
            this.remaining = 0;
          } else {
            this.desync('missing CRLF after chunk data', tsNs);
          }
          break;
        }
        case 'chunk-size':
        case 'trailers': {
          const nl = data.indexOf(0x0a, off);
          const piece = data.subarray(off, nl < 0 ? data.length : nl);
          this.pending = this.pending.length === 0 ? Buffer.from(piece) : Buffer.concat([this.pending, piece]);
          if (nl < 0) {
            off = data.length;
            if (this.pending.length > MAX_LINE_BYTES) this.desync('chunk line too long', tsNs);
            break;
          }
          off = nl + 1;
          let line = this.pending.toString('latin1');
          this.pending = EMPTY;
          if (line.endsWith('\r')) line = line.slice(0, -1);
          if (this.mode === 'chunk-size') {
            const m = /^\s*([0-9a-fA-F]{1,12})\s*(;.*)?$/.exec(line);
            if (!m) {
              this.desync(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`, tsNs);
              break;
            }
            const size = parseInt(m[1]!, 16);
            if (size === 0) this.mode = 'trailers';
            else {
              this.mode = 'chunk-data';
              this.remaining = size;
            }
          } else if (line === '') {
            this.finish(tsNs);
          }
          break;
        }
      }
    }
  }

  /**
   * The capture lost n bytes right after what was pushed last. Inside a body of known size we skip them and stay
   * in sync; anywhere else the framing is gone.
   */
  lose(n: number, tsNs: number): void {
    if (n <= 0) return;
    if ((this.mode === 'length' || this.mode === 'chunk-data') && n <= this.remaining) {
      this.remaining -= n;
      this.hooks.onBodyLost(n);
      if (this.remaining === 0) {
        if (this.mode === 'length') this.finish(tsNs);
        else this.mode = 'chunk-crlf';
      }
      return;
    }
    if (this.mode === 'eof') {
      this.hooks.onBodyLost(n);
      return;
    }
    if (this.mode === 'tunnel') return;
    if (this.mode === 'desync') {
      this.hooks.onSkipped(n, tsNs);
      return;
    }
    this.desync(`capture lost ${n} bytes`, tsNs);
    this.hooks.onSkipped(n, tsNs);
  }

  /** Connection closed: a read-until-close body ends here. Returns true when a message was cut short. */
  close(tsNs: number): boolean {
    if (this.mode === 'eof') {
      this.finish(tsNs);
      return false;
    }
    return !(this.mode === 'head' && this.pending.length === 0) && this.mode !== 'tunnel' && this.mode !== 'desync';
  }

  private plausiblePrefix(): boolean {
    const p = this.pending;
    return this.kind === 'request' ? looksLikeRequestStart(p, 1) : looksLikeResponseStart(p, 1);
  }

  private beginBody(f: Framing, tsNs: number): void {
    switch (f.kind) {
      case 'length':
        if (f.length === 0) this.finish(tsNs);
        else {
          this.mode = 'length';
          this.remaining = f.length;
        }
        return;
      case 'chunked':
        this.mode = 'chunk-size';
        return;
      case 'eof':
        this.mode = 'eof';
        return;
      case 'tunnel':
        this.finish(tsNs);
        this.mode = 'tunnel';
        return;
      case 'interim':
        this.mode = 'head';
        return;
      case 'none':
        this.finish(tsNs);
        return;
    }
  }

  private finish(tsNs: number): void {
    this.mode = 'head';
    this.remaining = 0;
    this.pending = EMPTY;
    this.headLen = 0;
    this.scanFrom = 0;
    this.hooks.onEnd(tsNs);
  }

  private desync(message: string, tsNs: number): void {
    const skipped = this.pending.length;
    this.mode = 'desync';
    this.pending = EMPTY;
    this.headLen = 0;
    this.remaining = 0;
    this.scanFrom = 0;
    this.hooks.onError(message, tsNs);
    if (skipped > 0) this.hooks.onSkipped(skipped, tsNs);
  }
}

/** Index of the blank line ending the head (position of its first terminator byte), or -1. */
function findHeadEnd(b: Buffer, from: number): number {
  for (let i = Math.max(0, from); i < b.length; i++) {
    if (b[i] !== 0x0a) continue;
    if (b[i + 1] === 0x0a) return i;
    if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) return i;
  }
  return -1;
}

function findHeadEndAfter(b: Buffer, end: number): number {
  return b[end + 1] === 0x0a ? end + 2 : end + 3;
}

function parseHead(text: string, kind: 'request' | 'response'): Http1Head | string {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const first = lines[0] ?? '';
  let startLine: [string, string, string];
  if (kind === 'request') {
    const m = /^([A-Z][A-Z0-9_-]{0,19}) (\S+) (HTTP\/1\.[01])$/.exec(first);
    if (!m) return `bad request line ${JSON.stringify(first.slice(0, 60))}`;
    startLine = [m[1]!, m[2]!, m[3]!];
  } else {
    const m = /^(HTTP\/1\.[01]) (\d{3})(?: (.*))?$/.exec(first);
    if (!m) return `bad status line ${JSON.stringify(first.slice(0, 60))}`;
    startLine = [m[1]!, m[2]!, m[3] ?? ''];
  }
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && headers.length > 0) {
      // Obsolete line folding: continue the previous value.
      const last = headers[headers.length - 1]!;
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return `bad header line ${JSON.stringify(line.slice(0, 60))}`;
    headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers };
}
