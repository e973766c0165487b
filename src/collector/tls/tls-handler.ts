/**
 * TLS records → per-connection ordered plaintext streams → stored raw chunks + the LLM pipeline.
 *
 * OpenSSL/BoringSSL: a connection is (process, SSL*) until SSL_free/SSL_clear (EV_TLS_FREE) or, where those cannot be
 * found, until a handshake starts on that SSL* again (EV_TLS_HANDSHAKE; malloc hands a freed
 * SSL*'s address to the next connection); chunks arrive in call order. aws-lc under rustls: each
 * direction has its own AEAD context, so records are joined into a connection through the socket fd each context
 * was seen on (EV_TLS_BIND), and each call's TLS 1.3 inner plaintext is reduced to its application data.
 */
import type { RawRecord } from '../bpf-capture';
import type { Collector, CollectorContext, RecordHandler } from '../collector';
import type { RecordHeader } from '../process/process-events';
import { LlmPipeline } from '../../protocols/llm/llm-pipeline';
import type { ProcessRow, TlsConnRow } from '../../store/types';
import { onSecretSeen } from '../../protocols/http/redact';
import { LlmStoreSink } from './llm-sink';
import { SecretScrubber } from './secret-scrubber';
import { tlsCoverage } from './tls-coverage';
import { TLS_API_AEAD, decodeTlsEvent, innerPlaintextAppData, type TlsDataEvent } from './tls-events';

interface Stream {
  key: string;
  row: TlsConnRow;
  seq: [number, number];
  tgid: number;
  /** Per direction, the last chunk, kept back one chunk so secrets split across two chunks are scrubbed too. */
  pending: [PendingChunk | null, PendingChunk | null];
  /** SSL_free/Close/handshake seen (kernel clock, unix ns, wall ms when handled): data of calls begun before still belongs here. */
  closed?: { monoNs: number; unixNs: number; seenMs: number };
}

interface PendingChunk {
  tsNs: number;
  data: Buffer;
}

/**
 * One AEAD context (one direction of one rustls connection). Its address names it only while its connection lives:
 * malloc hands it to the next connection, whose socket often gets the same fd number. So sent plaintext waits here
 * until the socket write that follows its seal names the fd (the kernel confirms every send), received plaintext is
 * delivered to the fd its open was bound to just before, and a close of that fd unbinds the context.
 */
interface AeadCtx {
  fd: number | null;
  /** Plaintext (and gaps) not yet delivered: sends waiting for their write's fd, anything before a first bind. */
  queued: Array<{ tsNs: number; dir: 0 | 1; data: Uint8Array; lost?: number }>;
  /** Chunks of the call being assembled (a TLS record may span two chunk records). */
  partial: { callTsNs: number; parts: Uint8Array[]; have: number; total: number } | null;
}

/** rustls connection on a socket: which contexts it has, so a new context on the same fd starts a new connection. */
interface FdConn {
  gen: number;
  ctxs: [bigint | null, bigint | null];
  /** Keys (this.aead) of every context bound to this fd: unbound when it is closed. */
  bound: Set<string>;
}

/**
 * How long after a process exit its TLS streams stay open for records still in the TLS ring. Generous: on a loaded
 * machine the TLS ring's consumer was seen more than a second behind the event ring (a Codex call lost its last
 * response bytes with 1 s). `record` closes everything at the end of capture anyway, after the rings are drained.
 */
const EXIT_GRACE_MS = 30_000;

/**
 * How long a stream whose end was signalled (SSL_free, Go's Close, a new handshake) still takes data of calls that began
 * before that signal. Go emits Write's bytes at its RET, and a goroutine returning from the write syscall can wait for a
 * thread (exitsyscall) while another goroutine reads the reply and closes the connection: the request's bytes then come
 * after the Close (1 in 3 runs of 30 sequential Go connections merged two of them before this).
 */
const CLOSE_GRACE_MS = 5_000;

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
    if (e.kind === 'bind') {
      this.bind(e.tgid, e.conn, e.fd, e.dir, ctx);
      return;
    }
    if (e.kind === 'free' || e.kind === 'handshake') {
      // A handshake on an SSL* that already carried data can only be a new connection at a reused address (SSL_free
      // not found: stripped BoringSSL); streams exist only once data flowed, so early handshake steps end nothing.
      // The stream ends at the first data of a call begun after this (sslStream) or CLOSE_GRACE_MS later (tick).
      const s = this.streams.get(`${e.tgid}:ssl:${e.conn.toString(16)}`);
      if (s && !s.closed) s.closed = { monoNs: e.tsNs, unixNs: ctx.unix(e.tsNs), seenMs: Date.now() };
      return;
    }
    if (e.kind === 'unbind') {
      this.unbind(e.tgid, e.fd, ctx.unix(e.tsNs));
      return;
    }
    if (e.kind !== 'data') return;
    if (e.api === TLS_API_AEAD) this.aeadData(e, ctx);
    else this.deliver(this.sslStream(e, ctx), e.dir, ctx.unix(e.tsNs), e.data, e.lostBefore, ctx);
  }

  private stream(key: string, tgid: number, connPtr: string, stack: string, tsNs: number, ctx: CollectorContext): Stream {
    let s = this.streams.get(key);
    if (s) return s;
    const proc = ctx.processes.forRecord(tgid);
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
    if (proc) tlsCoverage(this.collector)?.noteStream(proc.id, tgid, tsNs, proc.exe);
    this.streams.set(key, s);
    this.byConnKey.set(s.key, s);
    return s;
  }

  private sslStream(e: TlsDataEvent, ctx: CollectorContext): Stream {
    const ptr = e.conn.toString(16);
    const key = `${e.tgid}:ssl:${ptr}`;
    const old = this.streams.get(key);
    // A call that began after the end signal is the next connection at this address; one begun before is the old one's.
    if (old?.closed && e.callTsNs >= old.closed.monoNs) this.end(old, old.closed.unixNs);
    return this.stream(key, e.tgid, `0x${ptr}`, 'ssl', ctx.unix(e.tsNs), ctx);
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
      a = { fd: null, queued: [], partial: null };
      this.aead.set(key, a);
    }
    // Reassemble one call (one TLS record, up to 16385 bytes: may span two chunk records).
    if (!a.partial || a.partial.callTsNs !== e.callTsNs) {
      a.partial = { callTsNs: e.callTsNs, parts: [], have: 0, total: e.callLen };
    }
    const copy = Uint8Array.prototype.slice.call(e.data) as Uint8Array;
    const ts = ctx.unix(e.tsNs);
    // Bytes of this context were lost before this record: the stream must see the gap (never a silent desync).
    if (e.lostBefore > 0) this.aeadPush(a, e.tgid, { tsNs: ts, dir: e.dir, data: new Uint8Array(0), lost: e.lostBefore }, ctx);
    a.partial.parts.push(copy);
    a.partial.have += copy.length;
    if (a.partial.have < a.partial.total) return;
    const whole = a.partial.parts.length === 1 ? a.partial.parts[0] : Buffer.concat(a.partial.parts);
    a.partial = null;
    const app = innerPlaintextAppData(whole);
    if (!app || app.length === 0) return; // handshake or alert under the application key
    this.aeadPush(a, e.tgid, { tsNs: ts, dir: e.dir, data: app }, ctx);
  }

  /**
   * Received plaintext goes to the fd its open was bound to (the bind record came first); sent plaintext waits for the
   * bind record of the write that carries it, because the context may already belong to a new connection.
   */
  private aeadPush(a: AeadCtx, tgid: number, q: AeadCtx['queued'][number], ctx: CollectorContext): void {
    if (q.dir === 1 && a.fd !== null && a.queued.length === 0) this.deliver(this.fdStream(tgid, a.fd, q.tsNs, ctx), 1, q.tsNs, q.data, q.lost ?? 0, ctx);
    else a.queued.push(q);
  }

  /** Deliver what a context holds to the fd it was last bound to (or to a stream of its own when it never was). */
  private flushAead(key: string, a: AeadCtx, ctx: CollectorContext): void {
    if (a.queued.length === 0) return;
    const tgid = Number(key.split(':')[0]);
    const s = a.fd !== null ? this.fdStream(tgid, a.fd, a.queued[0].tsNs, ctx) : this.stream(`${key.replace(':', ':ctx:')}`, tgid, `0x${key.split(':')[1]}`, 'rustls-aws-lc', a.queued[0].tsNs, ctx);
    for (const q of a.queued.splice(0)) this.deliver(s, q.dir, q.tsNs, q.data, q.lost ?? 0, ctx);
  }

  private fdStream(tgid: number, fd: number, tsNs: number, ctx: CollectorContext): Stream {
    const fc = this.fdConns.get(`${tgid}:${fd}`) ?? { gen: 0, ctxs: [null, null], bound: new Set<string>() };
    return this.stream(`${tgid}:fd:${fd}:${fc.gen}`, tgid, `fd${fd}#${fc.gen}`, 'rustls-aws-lc', tsNs, ctx);
  }

  private bind(tgid: number, conn: bigint, fd: number, dir: 0 | 1, ctx: CollectorContext): void {
    const key = `${tgid}:${conn.toString(16)}`;
    let a = this.aead.get(key);
    if (!a) {
      a = { fd: null, queued: [], partial: null };
      this.aead.set(key, a);
    }
    const fk = `${tgid}:${fd}`;
    let fc = this.fdConns.get(fk);
    if (!fc) {
      fc = { gen: 0, ctxs: [null, null], bound: new Set() };
      this.fdConns.set(fk, fc);
    } else if (fc.ctxs[dir] !== null && fc.ctxs[dir] !== conn) {
      // A new context for a direction that already had one: the fd now carries a new TLS connection.
      const old = this.streams.get(`${tgid}:fd:${fd}:${fc.gen}`);
      if (old) this.end(old, Date.now() * 1e6);
      fc.gen++;
      fc.ctxs = [null, null];
    }
    fc.ctxs[dir] = conn;
    if (a.fd !== null && a.fd !== fd) this.fdConns.get(`${tgid}:${a.fd}`)?.bound.delete(key);
    fc.bound.add(key);
    a.fd = fd;
    for (const q of a.queued.splice(0)) this.deliver(this.fdStream(tgid, fd, q.tsNs, ctx), q.dir, q.tsNs, q.data, q.lost ?? 0, ctx);
  }

  /** The socket closed: its connection is over, and the contexts bound to it may be reused by another one. */
  private unbind(tgid: number, fd: number, tsNs: number): void {
    const fk = `${tgid}:${fd}`;
    const fc = this.fdConns.get(fk);
    if (!fc) return;
    const old = this.streams.get(`${tgid}:fd:${fd}:${fc.gen}`);
    if (old) this.end(old, tsNs);
    // The next connection on this fd number is a new stream (the generation keeps its name distinct).
    fc.gen++;
    fc.ctxs = [null, null];
    for (const key of fc.bound) {
      const a = this.aead.get(key);
      if (!a || a.fd !== fd) continue;
      // Sends still waiting for their write stay queued: their bind names the connection they belong to.
      if (a.queued.length === 0 && a.partial === null) this.aead.delete(key);
      else a.fd = null;
    }
    fc.bound.clear();
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

  private closeExited(nowMs: number, ctx: CollectorContext): void {
    while (this.exited.length > 0 && (this.exited[0].closeAfterMs <= nowMs || nowMs === Infinity)) {
      const x = this.exited.shift()!;
      for (const [k, a] of [...this.aead]) {
        if (!k.startsWith(`${x.tgid}:`)) continue;
        this.flushAead(k, a, ctx);
        this.aead.delete(k);
      }
      for (const s of [...this.streams.values()]) if (s.tgid === x.tgid) this.end(s, s.closed?.unixNs ?? x.endNs);
      for (const k of [...this.fdConns.keys()]) if (k.startsWith(`${x.tgid}:`)) this.fdConns.delete(k);
    }
  }

  tick(ctx: CollectorContext): void {
    const nowMs = Date.now();
    this.closeExited(nowMs, ctx);
    for (const s of [...this.streams.values()]) if (s.closed && s.closed.seenMs + CLOSE_GRACE_MS <= nowMs) this.end(s, s.closed.unixNs);
    // Chunks held back for scrubbing are stored at the latest one tick later.
    for (const s of this.streams.values()) this.flushPending(s, ctx.store);
    for (const s of this.dirty) ctx.store.putTlsConn(s.row);
    this.dirty.clear();
  }

  finish(ctx: CollectorContext): void {
    const now = Date.now() * 1e6;
    // Plaintext of AEAD contexts whose send was never confirmed goes to the fd they were last bound to; that of
    // contexts never tied to a socket is kept as its own stream rather than dropped.
    for (const [key, a] of this.aead) this.flushAead(key, a, ctx);
    this.closeExited(Infinity, ctx);
    for (const s of [...this.streams.values()]) this.end(s, s.closed?.unixNs ?? now);
    this.pipeline.endAll(now);
    this.tick(ctx);
    this.unsubscribe();
  }
}
