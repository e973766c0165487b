/**
 * TLS records → per-connection ordered plaintext streams → stored raw chunks + the LLM pipeline.
 *
 * OpenSSL/BoringSSL: a connection is (process, SSL*); chunks arrive in call order. aws-lc under rustls: each
 * direction has its own AEAD context, so records are joined into a connection through the socket fd each context
 * was seen on (EV_TLS_BIND), and each call's TLS 1.3 inner plaintext is reduced to its application data.
 */
import type { RawRecord } from '../bpf-capture';
import type { Collector, CollectorContext, RecordHandler } from '../collector';
import type { RecordHeader } from '../decode/process-events';
import { LlmPipeline } from '../llm/llm-pipeline';
import type { ProcessRow, TlsConnRow } from '../../store/types';
import { onSecretSeen } from '../redact';
import { LlmStoreSink } from './llm-sink';
import { SecretScrubber } from './secret-scrubber';
import { EV_TLS_BIND, TLS_API_AEAD, decodeTlsEvent, innerPlaintextAppData, type TlsDataEvent } from './tls-events';

interface Stream {
  key: string;
  row: TlsConnRow;
  seq: [number, number];
  tgid: number;
  /** Per direction, the last chunk, kept back one chunk so secrets split across two chunks are scrubbed too. */
  pending: [PendingChunk | null, PendingChunk | null];
}

interface PendingChunk {
  tsNs: number;
  data: Buffer;
}

/** One AEAD context (one direction of one rustls connection). */
interface AeadCtx {
  fd: number | null;
  dir: 0 | 1;
  /** Plaintext of calls completed before the context was bound to a socket. */
  queued: Array<{ tsNs: number; data: Uint8Array; lost?: number }>;
  /** Chunks of the call being assembled (a TLS record may span two chunk records). */
  partial: { callTsNs: number; parts: Uint8Array[]; have: number; total: number } | null;
}

/** rustls connection on a socket: which contexts it has, so a new context on the same fd starts a new connection. */
interface FdConn {
  gen: number;
  ctxs: [bigint | null, bigint | null];
}

/**
 * How long after a process exit its TLS streams stay open for records still in the TLS ring. Generous: on a loaded
 * machine the TLS ring's consumer was seen more than a second behind the event ring (a Codex call lost its last
 * response bytes with 1 s). `record` closes everything at the end of capture anyway, after the rings are drained.
 */
const EXIT_GRACE_MS = 30_000;

export class TlsHandler implements RecordHandler {
  private readonly exited: Array<{ tgid: number; endNs: number; closeAfterMs: number }> = [];
  readonly types = [48, 63] as const;
  private readonly streams = new Map<string, Stream>();
  private readonly byConnKey = new Map<string, Stream>();
  private readonly aead = new Map<string, AeadCtx>();
  private readonly fdConns = new Map<string, FdConn>();
  private readonly dirty = new Set<Stream>();
  readonly sink: LlmStoreSink;
  private readonly scrubber = new SecretScrubber();
  private readonly unsubscribe: () => void;
  readonly pipeline: LlmPipeline;
  bytes = 0;

  constructor(private readonly collector: Collector) {
    this.sink = new LlmStoreSink(collector, {
      connId: (k) => this.byConnKey.get(k)?.row.id ?? null,
      setProtocol: (k, protocol, host) => {
        const s = this.byConnKey.get(k);
        if (!s) return;
        if (protocol && !s.row.protocol) s.row.protocol = protocol;
        if (host && !s.row.host) s.row.host = host;
        this.dirty.add(s);
      },
    });
    this.pipeline = new LlmPipeline(this.sink);
    this.unsubscribe = onSecretSeen((v) => this.scrubber.learn(v));
  }

  handle(rec: RawRecord, h: RecordHeader, ctx: CollectorContext): void {
    const e = decodeTlsEvent(rec.bytes, rec.view, h);
    if (!e) {
      ctx.loss('decode:malformed', 1, 0, 'TLS record');
      return;
    }
    if (h.type === EV_TLS_BIND && e.kind === 'bind') {
      this.bind(e.tgid, e.conn, e.fd, e.dir, ctx);
      return;
    }
    if (e.kind !== 'data') return;
    if (e.api === TLS_API_AEAD) this.aeadData(e, ctx);
    else this.deliver(this.sslStream(e, ctx), e.dir, ctx.unix(e.tsNs), e.data, e.lostBefore, ctx);
  }

  private stream(key: string, tgid: number, connPtr: string, stack: string, tsNs: number, ctx: CollectorContext): Stream {
    let s = this.streams.get(key);
    if (s) return s;
    const proc = ctx.processes.byTgid(tgid);
    const row: TlsConnRow = {
      id: ctx.store.nextId('tls_conns'),
      processId: proc?.id ?? null,
      sessionId: proc?.sessionId ?? null,
      connPtr,
      stack,
      protocol: null,
      host: null,
      firstNs: tsNs,
      lastNs: tsNs,
      bytesOut: 0,
      bytesIn: 0,
      lostBytes: 0,
      lostEvents: 0,
    };
    s = { key: `${key}@${row.id}`, row, seq: [0, 0], tgid, pending: [null, null] };
    this.streams.set(key, s);
    this.byConnKey.set(s.key, s);
    return s;
  }

  private sslStream(e: TlsDataEvent, ctx: CollectorContext): Stream {
    const ptr = e.conn.toString(16);
    return this.stream(`${e.tgid}:ssl:${ptr}`, e.tgid, `0x${ptr}`, 'ssl', ctx.unix(e.tsNs), ctx);
  }

  /** Append plaintext to a stream: keep the raw chunk, feed the HTTP/LLM pipeline. */
  private deliver(s: Stream, dir: 0 | 1, tsNs: number, data: Uint8Array, lostBefore: number, ctx: CollectorContext): void {
    const store = ctx.store;
    if (lostBefore > 0) {
      this.storeChunk(s, dir, null, store);
      // The kernel could not copy these bytes (ring full, fault): a gap the parser must see, stored as such.
      store.addTlsChunk({ id: store.nextId('tls_chunks'), connId: s.row.id, dir, seq: s.seq[dir]++, tsNs, origLen: lostBefore, data: new Uint8Array(0) });
      this.pipeline.pushChunk(s.key, { dir, tsNs, data: new Uint8Array(0), origLen: lostBefore }, this.meta(s));
      s.row.lostBytes += lostBefore;
      s.row.lostEvents++;
      ctx.loss('tls:lost', 1, lostBefore, 'TLS plaintext not captured (ring full or unreadable buffer)', s.row.processId, s.row.id);
      this.dirty.add(s);
    }
    if (data.length === 0) return; // a gap alone
    const copy = Uint8Array.prototype.slice.call(data) as Uint8Array;
    // The pipeline first: decoding the headers teaches the scrubber this connection's secrets.
    this.pipeline.pushChunk(s.key, { dir, tsNs, data: copy, origLen: copy.length }, this.meta(s));
    this.storeChunk(s, dir, { tsNs, data: Buffer.from(copy) }, store);
    if (dir === 0) s.row.bytesOut += copy.length;
    else s.row.bytesIn += copy.length;
    s.row.lastNs = Math.max(s.row.lastNs, tsNs);
    this.bytes += copy.length;
    this.dirty.add(s);
  }

  /** Store the previous chunk of this direction, scrubbed together with the new one (secrets may straddle them). */
  private storeChunk(s: Stream, dir: 0 | 1, next: PendingChunk | null, store: CollectorContext['store']): void {
    const prev = s.pending[dir];
    if (prev && next) {
      const both = Buffer.concat([prev.data, next.data]);
      this.scrubber.scrub(both);
      both.copy(prev.data, 0, 0, prev.data.length);
      both.copy(next.data, 0, prev.data.length);
    } else if (prev) {
      this.scrubber.scrub(prev.data);
    }
    if (prev) {
      store.addTlsChunk({ id: store.nextId('tls_chunks'), connId: s.row.id, dir, seq: s.seq[dir]++, tsNs: prev.tsNs, origLen: prev.data.length, data: prev.data });
    }
    s.pending[dir] = next;
  }

  private flushPending(s: Stream, store: CollectorContext['store']): void {
    this.storeChunk(s, 0, null, store);
    this.storeChunk(s, 1, null, store);
  }

  private meta(s: Stream) {
    return { processId: s.row.processId, sessionId: s.row.sessionId, host: s.row.host };
  }

  private aeadData(e: TlsDataEvent, ctx: CollectorContext): void {
    const key = `${e.tgid}:${e.conn.toString(16)}`;
    let a = this.aead.get(key);
    if (!a) {
      a = { fd: null, dir: e.dir, queued: [], partial: null };
      this.aead.set(key, a);
    }
    // Reassemble one call (one TLS record, up to 16385 bytes: may span two chunk records).
    if (!a.partial || a.partial.callTsNs !== e.callTsNs) {
      a.partial = { callTsNs: e.callTsNs, parts: [], have: 0, total: e.callLen };
    }
    const copy = Uint8Array.prototype.slice.call(e.data) as Uint8Array;
    if (e.lostBefore > 0) {
      // Bytes of this context were lost before this record: the stream must see the gap (never a silent desync).
      const ts = ctx.unix(e.tsNs);
      if (a.fd !== null) this.deliver(this.fdStream(e.tgid, a.fd, ts, ctx), a.dir, ts, new Uint8Array(0), e.lostBefore, ctx);
      else {
        a.queued.push({ tsNs: ts, data: new Uint8Array(0), lost: e.lostBefore });
      }
    }
    a.partial.parts.push(copy);
    a.partial.have += copy.length;
    if (a.partial.have < a.partial.total) return;
    const whole = a.partial.parts.length === 1 ? a.partial.parts[0] : Buffer.concat(a.partial.parts);
    a.partial = null;
    const app = innerPlaintextAppData(whole);
    if (!app || app.length === 0) return; // handshake or alert under the application key
    const ts = ctx.unix(e.tsNs);
    if (a.fd === null) a.queued.push({ tsNs: ts, data: app });
    else this.deliver(this.fdStream(e.tgid, a.fd, ts, ctx), a.dir, ts, app, 0, ctx);
  }

  private fdStream(tgid: number, fd: number, tsNs: number, ctx: CollectorContext): Stream {
    const fc = this.fdConns.get(`${tgid}:${fd}`) ?? { gen: 0, ctxs: [null, null] };
    return this.stream(`${tgid}:fd:${fd}:${fc.gen}`, tgid, `fd${fd}#${fc.gen}`, 'rustls-aws-lc', tsNs, ctx);
  }

  private bind(tgid: number, conn: bigint, fd: number, dir: 0 | 1, ctx: CollectorContext): void {
    const key = `${tgid}:${conn.toString(16)}`;
    let a = this.aead.get(key);
    if (!a) {
      a = { fd: null, dir, queued: [], partial: null };
      this.aead.set(key, a);
    }
    a.dir = dir;
    const fk = `${tgid}:${fd}`;
    let fc = this.fdConns.get(fk);
    if (!fc) {
      fc = { gen: 0, ctxs: [null, null] };
      this.fdConns.set(fk, fc);
    } else if (fc.ctxs[dir] !== null && fc.ctxs[dir] !== conn) {
      // A new context for a direction that already had one: the fd now carries a new TLS connection.
      const old = this.streams.get(`${tgid}:fd:${fd}:${fc.gen}`);
      if (old) this.end(old, Date.now() * 1e6);
      fc.gen++;
      fc.ctxs = [null, null];
    }
    fc.ctxs[dir] = conn;
    a.fd = fd;
    for (const q of a.queued.splice(0)) this.deliver(this.fdStream(tgid, fd, q.tsNs, ctx), a.dir, q.tsNs, q.data, q.lost ?? 0, ctx);
  }

  private end(s: Stream, tsNs: number): void {
    this.pipeline.endConnection(s.key, tsNs);
    this.flushPending(s, this.collector.store);
    for (const [k, v] of this.streams) if (v === s) this.streams.delete(k);
    this.dirty.add(s);
  }

  /**
   * Exit records travel on the event ring and TLS records on their own ring, so an exit can be decoded before the
   * last TLS records its process produced. Streams of an exited process are closed one grace period later.
   */
  onProcessExit(row: ProcessRow): void {
    this.exited.push({ tgid: row.pid, endNs: row.exitNs ?? Date.now() * 1e6, closeAfterMs: Date.now() + EXIT_GRACE_MS });
  }

  private closeExited(nowMs: number): void {
    while (this.exited.length > 0 && (this.exited[0].closeAfterMs <= nowMs || nowMs === Infinity)) {
      const x = this.exited.shift()!;
      for (const s of [...this.streams.values()]) if (s.tgid === x.tgid) this.end(s, x.endNs);
      for (const k of [...this.aead.keys()]) if (k.startsWith(`${x.tgid}:`)) this.aead.delete(k);
      for (const k of [...this.fdConns.keys()]) if (k.startsWith(`${x.tgid}:`)) this.fdConns.delete(k);
    }
  }

  tick(ctx: CollectorContext): void {
    this.closeExited(Date.now());
    // Chunks held back for scrubbing are stored at the latest one tick later.
    for (const s of this.streams.values()) this.flushPending(s, ctx.store);
    for (const s of this.dirty) ctx.store.putTlsConn(s.row);
    this.dirty.clear();
  }

  finish(ctx: CollectorContext): void {
    const now = Date.now() * 1e6;
    // Plaintext of AEAD contexts never tied to a socket: keep it as its own stream rather than drop it.
    for (const [key, a] of this.aead) {
      if (a.fd !== null || a.queued.length === 0) continue;
      const [tgid, ptr] = key.split(':');
      const s = this.stream(`${tgid}:ctx:${ptr}`, Number(tgid), `0x${ptr}`, 'rustls-aws-lc', a.queued[0].tsNs, ctx);
      for (const q of a.queued.splice(0)) this.deliver(s, a.dir, q.tsNs, q.data, q.lost ?? 0, ctx);
    }
    this.closeExited(Infinity);
    for (const s of [...this.streams.values()]) this.end(s, now);
    this.pipeline.endAll(now);
    this.tick(ctx);
    this.unsubscribe();
  }
}
