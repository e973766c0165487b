/**
 * HTTP/2 connection decoder: frame parser per direction, HPACK per direction, request/response pairing per
 * stream (never by pid or thread). Handles CONTINUATION, padding, PRIORITY, RST_STREAM, GOAWAY, PUSH_PROMISE,
 * SETTINGS_HEADER_TABLE_SIZE and any number of concurrent streams.
 *
 * When the capture started mid-connection (no preface) or bytes were lost outside a DATA payload, the HPACK
 * dynamic table of that direction is unknown. We do not guess header values from a table we never saw:
 * header blocks are skipped and exchanges are marked "headers unknown"; bodies are still collected.
 */
import { redactHeaders, redactUrl } from './redact';
import { BodyCollector } from './body-collector';
import { addError, headerValue, newExchange } from './exchange';
import { HpackDecoder } from './hpack-decoder';
import type { HeaderList, HttpDecoderEvents, HttpExchange } from './types';

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const FRAME_HEADER = 9;
const enum T {
  DATA = 0,
  HEADERS = 1,
  PRIORITY = 2,
  RST_STREAM = 3,
  SETTINGS = 4,
  PUSH_PROMISE = 5,
  PING = 6,
  GOAWAY = 7,
  WINDOW_UPDATE = 8,
  CONTINUATION = 9,
}
const FLAG_END_STREAM = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;

/** Most streams we track at once; beyond that new streams are counted as lost (bounded memory). */
const MAX_OPEN_STREAMS = 10_000;
/**
 * Largest non-DATA frame we buffer. The protocol allows 2^24-1 once a peer raises SETTINGS_MAX_FRAME_SIZE, but
 * real HEADERS frames are a few KB (big header sets use CONTINUATION); 1 MiB bounds what garbage can pin.
 */
const MAX_BUFFERED_FRAME = 1 << 20;

interface H2Stream {
  readonly id: number;
  readonly ex: HttpExchange;
  reqBody: BodyCollector | null;
  respBody: BodyCollector | null;
  reqEnded: boolean;
  respEnded: boolean;
  respHeadersSeen: boolean;
  /** The response's content-length (null when absent) and the DATA payload bytes received so far. */
  respLength: number | null;
  respData: number;
  emitted: boolean;
  damaged: boolean;
}

interface DirState {
  readonly dir: 0 | 1;
  /** Preface bytes still expected (client direction only). */
  prefaceLeft: number;
  hdr: Buffer;
  hdrLen: number;
  /** Current frame, valid while inFrame. */
  inFrame: boolean;
  type: number;
  flags: number;
  streamId: number;
  length: number;
  /** Payload bytes of the current frame still to come. */
  left: number;
  /** DATA frames are streamed: padding length once known (-1 = first byte pending). */
  dataPad: number;
  /** Payload pieces of a non-DATA frame, joined when the frame is complete (no up-front allocation from a length field). */
  payload: Buffer[] | null;
  payloadFill: number;
  /** Header block being assembled across CONTINUATION frames. */
  block: Buffer[] | null;
  blockStream: number;
  blockFlags: number;
  blockKind: 'headers' | 'push';
  pushPromised: number;
  hpack: HpackDecoder;
  /** The HPACK table of this direction is unknown (mid-stream start, loss, or decode error). */
  hpackUnknown: boolean;
  desynced: boolean;
}

function newDir(dir: 0 | 1, prefaceLeft: number, hpackUnknown: boolean): DirState {
  return {
    dir,
    prefaceLeft,
    hdr: Buffer.alloc(FRAME_HEADER),
    hdrLen: 0,
    inFrame: false,
    type: 0,
    flags: 0,
    streamId: 0,
    length: 0,
    left: 0,
    dataPad: -1,
    payload: null,
    payloadFill: 0,
    block: null,
    blockStream: 0,
    blockFlags: 0,
    blockKind: 'headers',
    pushPromised: 0,
    hpack: new HpackDecoder(),
    hpackUnknown,
    desynced: false,
  };
}

/** Could these bytes start an HTTP/2 frame (used to resync at chunk starts and to detect mid-stream h2)? */
export function looksLikeH2Frame(b: Uint8Array): boolean {
  if (b.length < FRAME_HEADER) return false;
  const len = (b[0]! << 16) | (b[1]! << 8) | b[2]!;
  const type = b[3]!;
  const sid = ((b[5]! & 0x7f) << 24) | (b[6]! << 16) | (b[7]! << 8) | b[8]!;
  if ((b[5]! & 0x80) !== 0 || type > 9) return false;
  if (len > 1 << 20) return false;
  switch (type) {
    case T.SETTINGS:
      return sid === 0 && len % 6 === 0;
    case T.PING:
      return sid === 0 && len === 8;
    case T.GOAWAY:
      return sid === 0 && len >= 8;
    case T.WINDOW_UPDATE:
      return len === 4;
    case T.RST_STREAM:
      return sid !== 0 && len === 4;
    case T.PRIORITY:
      return sid !== 0 && len === 5;
    default:
      return sid !== 0;
  }
}

export class Http2Decoder {
  private readonly streams = new Map<number, H2Stream>();
  private readonly dirs: [DirState, DirState];
  private goawayLastStream = -1;
  private ended = false;
  private warnedHeadersUnknown = false;

  constructor(
    private readonly events: HttpDecoderEvents,
    private readonly nextSeq: () => number,
    /** false when the preface was not seen: capture started mid-connection. */
    sawPreface: boolean,
  ) {
    this.dirs = [newDir(0, sawPreface ? H2_PREFACE.length : 0, !sawPreface), newDir(1, 0, !sawPreface)];
  }

  push(dir: 0 | 1, input: Uint8Array, tsNs: number, lost: number): void {
    if (this.ended) return;
    const d = this.dirs[dir];
    let data = Buffer.from(input.buffer, input.byteOffset, input.length);
    if (d.desynced) {
      if (!looksLikeH2Frame(data)) {
        this.loss('h2:desync', data.length + lost, `dir ${dir} bytes skipped while out of sync`, tsNs);
        return;
      }
      d.desynced = false;
      d.inFrame = false;
      d.hdrLen = 0;
      d.block = null;
    }
    let off = 0;
    if (d.prefaceLeft > 0) {
      const n = Math.min(d.prefaceLeft, data.length);
      off = n;
      d.prefaceLeft -= n;
    }
    try {
      this.parse(d, data, off, tsNs);
    } catch (err) {
      // parse() itself never throws by design; this is the last guard so bad input cannot escape.
      this.desync(d, `internal: ${(err as Error).message}`, tsNs);
    }
    if (lost > 0) this.lose(d, lost, tsNs);
  }

  end(tsNs: number): void {
    if (this.ended) return;
    this.ended = true;
    for (const s of [...this.streams.values()]) {
      // A client may close once it has content-length bytes, before the END_STREAM frame (curl does): that response
      // is whole.
      if (s.reqEnded && s.respHeadersSeen && !s.damaged && s.respLength !== null && s.respData === s.respLength) {
        s.respEnded = true;
        s.ex.responseDone = true;
        this.emit(s, tsNs);
        continue;
      }
      s.damaged = true;
      addError(s.ex, 'connection closed before stream end');
      this.emit(s, tsNs);
    }
  }

  private parse(d: DirState, data: Buffer, off: number, tsNs: number): void {
    while (off < data.length && !d.desynced) {
      if (!d.inFrame) {
        const n = Math.min(FRAME_HEADER - d.hdrLen, data.length - off);
        data.copy(d.hdr, d.hdrLen, off, off + n);
        d.hdrLen += n;
        off += n;
        if (d.hdrLen < FRAME_HEADER) return;
        d.hdrLen = 0;
        const h = d.hdr;
        d.length = (h[0]! << 16) | (h[1]! << 8) | h[2]!;
        d.type = h[3]!;
        d.flags = h[4]!;
        d.streamId = ((h[5]! & 0x7f) << 24) | (h[6]! << 16) | (h[7]! << 8) | h[8]!;
        d.left = d.length;
        d.inFrame = true;
        d.dataPad = d.type === T.DATA && d.flags & FLAG_PADDED ? -1 : 0;
        d.payload = null;
        d.payloadFill = 0;
        if (d.block && d.type !== T.CONTINUATION) {
          this.headerBlockBroken(d, 'header block not followed by CONTINUATION', tsNs);
        }
        if (d.type !== T.DATA) {
          if (d.length > MAX_BUFFERED_FRAME) {
            this.desync(d, `frame of ${d.length} bytes`, tsNs);
            return;
          }
          d.payload = [];
        }
        if (d.length === 0) this.frameDone(d, tsNs);
        continue;
      }
      if (d.type === T.DATA) {
        off = this.dataBytes(d, data, off, tsNs);
        if (d.left === 0) this.frameDone(d, tsNs);
        continue;
      }
      const n = Math.min(d.left, data.length - off);
      // Copy: the capture layer may reuse its buffers after push() returns.
      d.payload!.push(Buffer.from(data.subarray(off, off + n)));
      d.payloadFill += n;
      d.left -= n;
      off += n;
      if (d.left === 0) this.frameDone(d, tsNs);
    }
  }

  /** Streams a DATA payload into the stream's body, leaving out padding. */
  private dataBytes(d: DirState, data: Buffer, off: number, tsNs: number): number {
    if (d.dataPad === -1) {
      d.dataPad = data[off]!;
      d.left--;
      off++;
      if (d.dataPad > d.left) {
        this.protocolError(d, 'DATA padding longer than frame', tsNs);
        d.dataPad = 0;
      }
    }
    const n = Math.min(d.left, data.length - off);
    const dataLeft = Math.max(0, d.left - d.dataPad);
    const take = Math.min(n, dataLeft);
    if (take > 0) {
      const s = this.streamFor(d, d.streamId, tsNs);
      if (s) {
        if (d.dir === 0) s.reqBody?.push(data.subarray(off, off + take), tsNs);
        else {
          if (s.ex.firstByteNs === null) s.ex.firstByteNs = tsNs;
          if (!s.respBody) s.respBody = this.respCollector(s, null);
          s.respBody.push(data.subarray(off, off + take), tsNs);
          s.respData += take;
        }
      }
    }
    d.left -= n;
    return off + n;
  }

  private frameDone(d: DirState, tsNs: number): void {
    d.inFrame = false;
    const parts = d.payload;
    const p = !parts || parts.length === 0 ? Buffer.alloc(0) : parts.length === 1 ? parts[0]! : Buffer.concat(parts, d.payloadFill);
    d.payload = null;
    switch (d.type) {
      case T.DATA:
        if (d.flags & FLAG_END_STREAM) this.endSide(d.dir, d.streamId, tsNs);
        return;
      case T.HEADERS: {
        let start = 0;
        let end = p.length;
        if (d.flags & FLAG_PADDED) {
          if (p.length < 1 || p[0]! > p.length - 1) return this.protocolError(d, 'HEADERS padding', tsNs);
          end -= p[0]!;
          start = 1;
        }
        if (d.flags & FLAG_PRIORITY) start += 5;
        if (start > end) return this.protocolError(d, 'HEADERS too short', tsNs);
        d.block = [p.subarray(start, end)];
        d.blockStream = d.streamId;
        d.blockFlags = d.flags;
        d.blockKind = 'headers';
        if (d.flags & FLAG_END_HEADERS) this.headerBlockDone(d, tsNs);
        return;
      }
      case T.CONTINUATION:
        if (!d.block || d.blockStream !== d.streamId) return this.protocolError(d, 'unexpected CONTINUATION', tsNs);
        d.block.push(p);
        if (d.flags & FLAG_END_HEADERS) this.headerBlockDone(d, tsNs);
        return;
      case T.PUSH_PROMISE: {
        let start = 0;
        let end = p.length;
        if (d.flags & FLAG_PADDED) {
          if (p.length < 1 || p[0]! > p.length - 1) return this.protocolError(d, 'PUSH_PROMISE padding', tsNs);
          end -= p[0]!;
          start = 1;
        }
        if (end - start < 4) return this.protocolError(d, 'PUSH_PROMISE too short', tsNs);
        d.pushPromised = p.readUInt32BE(start) & 0x7fffffff;
        d.block = [p.subarray(start + 4, end)];
        d.blockStream = d.streamId;
        d.blockFlags = d.flags & ~FLAG_END_STREAM;
        d.blockKind = 'push';
        if (d.flags & FLAG_END_HEADERS) this.headerBlockDone(d, tsNs);
        return;
      }
      case T.SETTINGS:
        if (d.flags & 0x1) return; // ACK
        for (let i = 0; i + 6 <= p.length; i += 6) {
          const id = p.readUInt16BE(i);
          const v = p.readUInt32BE(i + 2);
          // A side's HEADER_TABLE_SIZE bounds the table the *other* side's encoder uses for what it sends us.
          if (id === 1) this.dirs[d.dir === 0 ? 1 : 0].hpack.setSettingsLimit(v);
        }
        return;
      case T.RST_STREAM: {
        const s = this.streams.get(d.streamId);
        if (!s || s.emitted || p.length < 4) return;
        if (s.reqEnded && s.respEnded) return;
        s.damaged = true;
        addError(s.ex, `RST_STREAM ${p.readUInt32BE(0)} from ${d.dir === 0 ? 'client' : 'server'}`);
        this.emit(s, tsNs);
        return;
      }
      case T.GOAWAY: {
        if (p.length < 8) return;
        const last = p.readUInt32BE(0) & 0x7fffffff;
        const code = p.readUInt32BE(4);
        if (d.dir === 1) {
          this.goawayLastStream = last;
          for (const s of [...this.streams.values()]) {
            if (s.id > last && s.id % 2 === 1) {
              s.damaged = true;
              addError(s.ex, `not processed: GOAWAY last stream ${last} code ${code}`);
              this.emit(s, tsNs);
            }
          }
        }
        return;
      }
      default:
        // PRIORITY, PING, WINDOW_UPDATE and unknown extension frames carry nothing we record.
        return;
    }
  }

  private headerBlockDone(d: DirState, tsNs: number): void {
    const parts = d.block!;
    d.block = null;
    const sid = d.blockStream;
    let headers: HeaderList | null = null;
    if (!d.hpackUnknown) {
      try {
        headers = d.hpack.decode(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
      } catch (err) {
        d.hpackUnknown = true;
        this.loss('h2:hpack', 1, `dir ${d.dir}: ${(err as Error).message}; later headers unknown`, tsNs);
      }
    }
    if (d.blockKind === 'push') {
      this.onPushPromise(d.pushPromised, headers, tsNs);
      return;
    }
    if (d.dir === 0) this.onRequestHeaders(sid, headers, (d.blockFlags & FLAG_END_STREAM) !== 0, tsNs);
    else this.onResponseHeaders(sid, headers, (d.blockFlags & FLAG_END_STREAM) !== 0, tsNs);
  }

  private onRequestHeaders(sid: number, headers: HeaderList | null, endStream: boolean, tsNs: number): void {
    let s: H2Stream | null | undefined = this.streams.get(sid);
    if (s && !s.emitted) {
      // Request trailers.
      if (headers) s.ex.reqHeaders.push(...redactHeaders(headers));
    } else {
      s = this.openStream(sid, tsNs);
      if (!s) return;
      if (headers) this.applyRequestHeaders(s, headers);
      else this.markHeadersUnknown(s, tsNs);
    }
    if (endStream) this.endSide(0, sid, tsNs);
  }

  private onPushPromise(promised: number, headers: HeaderList | null, tsNs: number): void {
    const s = this.openStream(promised, tsNs);
    if (!s) return;
    if (headers) this.applyRequestHeaders(s, headers);
    else this.markHeadersUnknown(s, tsNs);
    addError(s.ex, 'server push');
    s.reqEnded = true;
    s.ex.requestDone = true;
  }

  private applyRequestHeaders(s: H2Stream, headers: HeaderList): void {
    const ex = s.ex;
    ex.method = headerValue(headers, ':method');
    const path = headerValue(headers, ':path');
    ex.path = path === null ? null : redactUrl(path);
    ex.host = headerValue(headers, ':authority') ?? headerValue(headers, 'host');
    ex.reqHeaders = redactHeaders(headers);
    s.reqBody = new BodyCollector(headerValue(headers, 'content-encoding'), null);
  }

  private onResponseHeaders(sid: number, headers: HeaderList | null, endStream: boolean, tsNs: number): void {
    const s = this.streamFor(this.dirs[1], sid, tsNs);
    if (!s) return;
    const ex = s.ex;
    if (ex.firstByteNs === null) ex.firstByteNs = tsNs;
    if (!s.respHeadersSeen) {
      if (headers) {
        const status = Number(headerValue(headers, ':status'));
        if (status >= 100 && status < 200 && !endStream) return; // informational; the final HEADERS follows
        ex.status = Number.isFinite(status) && status > 0 ? status : null;
        ex.respHeaders = redactHeaders(headers);
        const len = headerValue(headers, 'content-length');
        s.respLength = len !== undefined && len !== null && /^\d+$/.test(len) ? Number(len) : null;
        s.respBody = this.respCollector(s, headerValue(headers, 'content-encoding'));
      } else {
        this.markHeadersUnknown(s, tsNs);
        s.respBody = this.respCollector(s, null);
      }
      s.respHeadersSeen = true;
      this.events.onResponseHeaders?.(ex);
    } else if (headers) {
      ex.respHeaders.push(...redactHeaders(headers)); // trailers
    }
    if (endStream) this.endSide(1, sid, tsNs);
  }

  private respCollector(s: H2Stream, contentEncoding: string | null): BodyCollector {
    const ex = s.ex;
    return new BodyCollector(contentEncoding, (data, ts) => this.events.onResponseData?.(ex, data, ts));
  }

  private markHeadersUnknown(s: H2Stream, tsNs: number): void {
    if (!s.ex.error?.includes('headers unknown')) addError(s.ex, 'headers unknown (HPACK state not captured)');
    s.damaged = true;
    if (!this.warnedHeadersUnknown) {
      this.warnedHeadersUnknown = true;
      this.loss('h2:headers-unknown', 1, 'header blocks could not be decoded: capture began mid-connection or lost bytes', tsNs);
    }
  }

  /** Finds the stream, creating it (headers unknown) for frames of a stream whose HEADERS we never saw. */
  private streamFor(d: DirState, sid: number, tsNs: number): H2Stream | null {
    const s = this.streams.get(sid);
    if (s) return s.emitted ? null : s;
    if (sid === 0 || this.isClosed(sid)) return null;
    const n = this.openStream(sid, tsNs);
    if (!n) return null;
    this.markHeadersUnknown(n, tsNs);
    n.reqBody = new BodyCollector(null, null);
    if (d.dir === 1) {
      // We never saw this request at all.
      n.reqEnded = true;
    }
    return n;
  }

  /**
   * Highest finished stream id per initiator (index = id parity). Stream ids only grow, so frames for an id at or
   * below it belong to a finished stream (late DATA after RST_STREAM) and must not reopen it.
   */
  private readonly highestClosed = [0, 0];
  private isClosed(sid: number): boolean {
    return sid <= this.highestClosed[sid % 2]!;
  }

  private openStream(sid: number, tsNs: number): H2Stream | null {
    if (this.streams.size >= MAX_OPEN_STREAMS) {
      this.loss('h2:streams', 1, `more than ${MAX_OPEN_STREAMS} open streams: stream ${sid} not tracked`, tsNs);
      return null;
    }
    const s: H2Stream = {
      id: sid,
      ex: newExchange(this.nextSeq(), 'h2', sid, tsNs),
      reqBody: null,
      respBody: null,
      reqEnded: false,
      respEnded: false,
      respHeadersSeen: false,
      respLength: null,
      respData: 0,
      emitted: false,
      damaged: false,
    };
    this.streams.set(sid, s);
    return s;
  }

  private endSide(dir: 0 | 1, sid: number, tsNs: number): void {
    const s = this.streams.get(sid);
    if (!s || s.emitted) return;
    if (dir === 0) {
      if (s.reqEnded) return;
      s.reqEnded = true;
      s.ex.requestDone = true;
      if (s.reqBody) {
        s.ex.reqBody = s.reqBody.finish(tsNs);
        if (s.reqBody.error) addError(s.ex, `request body: ${s.reqBody.error}`);
      }
      this.events.onRequest?.(s.ex);
    } else {
      if (s.respEnded) return;
      s.respEnded = true;
      s.ex.responseDone = true;
      if (!s.reqEnded) {
        s.damaged = true;
        addError(s.ex, 'response before request end');
      }
      this.emit(s, tsNs);
    }
  }

  private emit(s: H2Stream, tsNs: number): void {
    if (s.emitted) return;
    s.emitted = true;
    this.streams.delete(s.id);
    if (s.id > this.highestClosed[s.id % 2]!) this.highestClosed[s.id % 2] = s.id;
    const ex = s.ex;
    if (s.reqBody && !s.ex.requestDone) ex.reqBody = s.reqBody.finish(tsNs);
    if (s.respBody) {
      ex.respBody = s.respBody.finish(tsNs);
      if (s.respBody.error) addError(ex, `response body: ${s.respBody.error}`);
    }
    const dropped = (s.reqBody?.droppedBytes ?? 0) + (s.respBody?.droppedBytes ?? 0);
    if (dropped > 0) this.loss('http:body', dropped, `stream ${s.id}: ${ex.error ?? ''}`, tsNs);
    ex.endNs = tsNs;
    ex.complete = ex.requestDone && ex.responseDone && !s.damaged && dropped === 0;
    this.events.onExchange(ex);
  }

  /** Capture lost n bytes of this direction right after the last pushed byte. */
  private lose(d: DirState, n: number, tsNs: number): void {
    if (d.desynced) {
      this.loss('h2:desync', n, `dir ${d.dir} bytes lost while out of sync`, tsNs);
      return;
    }
    if (d.inFrame && d.type === T.DATA && d.dataPad >= 0 && n <= d.left) {
      const dataLost = Math.min(n, Math.max(0, d.left - d.dataPad));
      d.left -= n;
      const s = this.streams.get(d.streamId);
      if (s && !s.emitted) {
        s.damaged = true;
        addError(s.ex, `capture lost ${dataLost} body bytes`);
        (d.dir === 0 ? s.reqBody : s.respBody)?.lose(dataLost);
      }
      this.loss('tls:clipped', dataLost, `h2 stream ${d.streamId} DATA bytes lost, framing kept`, tsNs);
      if (d.left === 0) this.frameDone(d, tsNs);
      return;
    }
    this.loss('tls:clipped', n, `h2 dir ${d.dir}: bytes lost outside DATA payload`, tsNs);
    this.desync(d, `capture lost ${n} bytes`, tsNs);
  }

  private desync(d: DirState, why: string, tsNs: number): void {
    d.desynced = true;
    d.inFrame = false;
    d.hdrLen = 0;
    d.payload = null;
    d.block = null;
    // Header blocks may have been lost: the table can no longer be trusted.
    d.hpackUnknown = true;
    this.loss('h2:desync', 1, `dir ${d.dir}: ${why}`, tsNs);
    // Streams with that direction still open cannot complete reliably.
    for (const s of [...this.streams.values()]) {
      const open = d.dir === 0 ? !s.reqEnded : !s.respEnded;
      if (!open) continue;
      s.damaged = true;
      addError(s.ex, `${d.dir === 0 ? 'request' : 'response'} stream lost sync: ${why}`);
      this.emit(s, tsNs);
    }
  }

  private headerBlockBroken(d: DirState, why: string, tsNs: number): void {
    d.block = null;
    d.hpackUnknown = true;
    this.loss('h2:hpack', 1, `dir ${d.dir}: ${why}; later headers unknown`, tsNs);
  }

  private protocolError(d: DirState, why: string, tsNs: number): void {
    this.loss('http:parse', 1, `h2 dir ${d.dir}: ${why}`, tsNs);
    const s = this.streams.get(d.streamId);
    if (s && !s.emitted) {
      s.damaged = true;
      addError(s.ex, `protocol error: ${why}`);
    }
  }

  private loss(source: string, bytes: number, detail: string, tsNs: number): void {
    this.events.onLoss?.({ source, count: 1, bytes, detail, tsNs });
  }

  /** For tests: the HPACK decoders (0 = request headers, 1 = response headers). */
  hpackOf(dir: 0 | 1): HpackDecoder {
    return this.dirs[dir].hpack;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  get goawayLast(): number {
    return this.goawayLastStream;
  }
}
