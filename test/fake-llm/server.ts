/**
 * Fake LLM provider server for tests, end-to-end runs and real agents: HTTPS on 127.0.0.1 with its own CA,
 * HTTP/1.1 and HTTP/2 by ALPN, Anthropic Messages, OpenAI Chat Completions, OpenAI Responses and Gemini
 * (streaming and not), gzip / br / zstd / identity by Accept-Encoding, scripted tool-call turns, scripted
 * errors, exact token counts. It records every connection's plaintext in both directions exactly as it crossed
 * TLS (server side), so tests can compare with what the capture saw.
 *
 *   const srv = await startFakeLlmServer();          // port 0 → srv.port
 *   NODE_EXTRA_CA_CERTS=srv.caCertPath  (Node clients), SSL_CERT_FILE=srv.caBundlePath (OpenSSL/rustls),
 *   ANTHROPIC_BASE_URL / OPENAI_BASE_URL / GOOGLE_GEMINI_BASE_URL = srv.url (see srv.env)
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import * as zlib from 'node:zlib';
import { Duplex } from 'node:stream';
import { rmSync, writeFileSync } from 'node:fs';
import { decompress as zstdDecompress } from 'fzstd';
import { makeCa } from './cert';
import { decide, type ApiKind, type Reply } from './replies';

export type { ApiKind, Reply, Usage } from './replies';
import { render } from './render';
import { ZstdStoredStream, zstdCompress } from './zstd-frame';
import { acceptWebSocket } from './ws';

export type Encoding = 'identity' | 'gzip' | 'br' | 'zstd';

export interface FakeLlmOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Force a response encoding; 'auto' (default) follows Accept-Encoding preferring zstd, then gzip, then br. */
  encoding?: 'auto' | Encoding;
  /** Pause between streamed events, so clients see a real stream (default 0: events still written one by one). */
  eventDelayMs?: number;
  /** The model "thinking": wait this long before answering each model call (not count_tokens). Default 0. */
  replyDelayMs?: number;
  /** ALPN protocols offered, in preference order (default h2 then http/1.1). */
  alpn?: Array<'h2' | 'http/1.1'>;
  /** Extra names for the server certificate (it always covers localhost and 127.0.0.1). */
  hosts?: string[];
  /**
   * Custom script: return a Reply to override the default (tool call → text) script for one request, or
   * null/undefined to keep it. Usage must be exact numbers (tests compare them).
   */
  script?: (ctx: { api: ApiKind; model: string; body: unknown; rawBody: Buffer; seq: number }) => Reply | null | undefined;
}

export interface RecordedChunk {
  /** 0 = client to server (request side), 1 = server to client (response side). */
  dir: 0 | 1;
  tsNs: number;
  data: Buffer;
}

export interface RecordedConnection {
  id: number;
  alpn: string;
  chunks: RecordedChunk[];
  closed: boolean;
}

export interface FakeRequest {
  connId: number;
  protocol: 'http/1.1' | 'h2';
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Decoded request body. */
  body: Buffer;
  api: ApiKind | 'count_tokens' | null;
  stream: boolean;
  reply: Reply | null;
  status: number;
  encoding: Encoding;
}

export interface FakeLlmServer {
  port: number;
  url: string;
  caCertPath: string;
  /** The server's key and certificate (for 127.0.0.1 and localhost, by caCertPath's CA): another local HTTPS server
   * the agent trusts, e.g. a remote MCP server. */
  tls: { key: string; cert: string };
  /** Our CA plus the system bundle, for SSL_CERT_FILE. */
  caBundlePath: string;
  /** Environment a child agent needs to talk to this server. */
  env: Record<string, string>;
  requests: FakeRequest[];
  connections: RecordedConnection[];
  close(): Promise<void>;
}

/** The part of http.ServerResponse and Http2ServerResponse we use (their union is not callable in TS). */
interface ResLike {
  writeHead(status: number, headers: Record<string, string | number>): void;
  write(b: Buffer): boolean;
  end(b?: Buffer): void;
  destroy(): void;
}

const now = (): number => Number(process.hrtime.bigint() - HR0) + EPOCH0;
const HR0 = process.hrtime.bigint();
const EPOCH0 = Date.now() * 1e6;

/** Connects one TLS socket to an HTTP server through a stream that records both directions. */
class RecordingDuplex extends Duplex {
  constructor(
    private readonly sock: tls.TLSSocket,
    private readonly rec: RecordedConnection,
  ) {
    super();
    sock.on('data', (d: Buffer) => {
      rec.chunks.push({ dir: 0, tsNs: now(), data: Buffer.from(d) });
      if (!this.push(d)) sock.pause();
    });
    sock.on('end', () => this.push(null));
    sock.on('close', () => {
      rec.closed = true;
      this.destroy();
    });
    sock.on('error', () => this.destroy());
  }
  override _read(): void {
    this.sock.resume();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.rec.chunks.push({ dir: 1, tsNs: now(), data: Buffer.from(chunk) });
    this.sock.write(chunk, cb);
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.sock.end();
    cb();
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.sock.destroy();
    cb(err);
  }
  // http2 looks at these on its socket.
  get alpnProtocol(): string | false {
    return this.sock.alpnProtocol ?? false;
  }
  get encrypted(): boolean {
    return true;
  }
  setNoDelay(): this {
    this.sock.setNoDelay(true);
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(ms: number, cb?: () => void): this {
    this.sock.setTimeout(ms, cb);
    return this;
  }
  get remoteAddress(): string | undefined {
    return this.sock.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.sock.remotePort;
  }
}

function pickEncoding(accept: string | undefined, forced: FakeLlmOptions['encoding']): Encoding {
  if (forced && forced !== 'auto') return forced;
  const offered = new Map<string, number>();
  for (const part of (accept ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)).find(Boolean);
    offered.set(name, q ? Number(q[1]) : 1);
  }
  for (const e of ['zstd', 'gzip', 'br'] as const) if ((offered.get(e) ?? 0) > 0) return e;
  return 'identity';
}

function decodeRequestBody(raw: Buffer, enc: string | undefined): Buffer {
  switch ((enc ?? '').toLowerCase()) {
    case 'gzip':
      return zlib.gunzipSync(raw);
    case 'br':
      return zlib.brotliDecompressSync(raw);
    case 'deflate':
      return zlib.inflateSync(raw);
    case 'zstd':
      return Buffer.from(zstdDecompress(raw));
    default:
      return raw;
  }
}

function route(method: string, path: string): { api: ApiKind | 'count_tokens'; stream: boolean | null; model: string | null; wrapped: boolean } | null {
  if (method !== 'POST') return null;
  const p = path.split('?')[0]!;
  const query = path.includes('?') ? path.slice(path.indexOf('?')) : '';
  if (/\/v1\/messages\/count_tokens$/.test(p)) return { api: 'count_tokens', stream: false, model: null, wrapped: false };
  if (/\/v1\/messages$/.test(p)) return { api: 'anthropic', stream: null, model: null, wrapped: false };
  if (/\/chat\/completions$/.test(p)) return { api: 'openai-chat', stream: null, model: null, wrapped: false };
  if (/\/responses$/.test(p)) return { api: 'openai-responses', stream: null, model: null, wrapped: false };
  const g = /\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(p);
  if (g) return { api: 'gemini', stream: g[2] === 'streamGenerateContent', model: decodeURIComponent(g[1]!), wrapped: false };
  const ci = /\/v1internal:(generateContent|streamGenerateContent)$/.exec(p);
  if (ci) return { api: 'gemini', stream: ci[1] === 'streamGenerateContent', model: null, wrapped: true };
  void query;
  return null;
}

export async function startFakeLlmServer(opts: FakeLlmOptions = {}): Promise<FakeLlmServer> {
  const ca = makeCa(opts.hosts ?? []);
  const requests: FakeRequest[] = [];
  const connections: RecordedConnection[] = [];
  let seq = 0;

  const handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse, connId: number): void => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      void respond(req, res, connId, Buffer.concat(parts)).catch(() => {
        try {
          res.destroy();
        } catch {
          // already gone
        }
      });
    });
  };

  const respond = async (
    req: http.IncomingMessage | http2.Http2ServerRequest,
    resAny: http.ServerResponse | http2.Http2ServerResponse,
    connId: number,
    raw: Buffer,
  ): Promise<void> => {
    const res = resAny as unknown as ResLike;
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const protocol = req.httpVersion === '2.0' ? 'h2' : 'http/1.1';
    const headers = { ...req.headers } as Record<string, string | string[] | undefined>;
    const encoding = pickEncoding(headers['accept-encoding'] as string | undefined, opts.encoding);
    const r = route(method, path);
    const record: FakeRequest = { connId, protocol, method, path, headers, body: raw, api: r?.api ?? null, stream: false, reply: null, status: 0, encoding };
    requests.push(record);
    const mySeq = ++seq;

    const send = (status: number, json: unknown): void => {
      let body: Buffer = Buffer.from(JSON.stringify(json));
      const h: Record<string, string | number> = { 'content-type': 'application/json', 'x-fake-llm-seq': mySeq };
      if (encoding === 'gzip') body = zlib.gzipSync(body);
      else if (encoding === 'br') body = zlib.brotliCompressSync(body);
      else if (encoding === 'zstd') body = zstdCompress(body);
      if (encoding !== 'identity') h['content-encoding'] = encoding;
      h['content-length'] = body.length;
      record.status = status;
      res.writeHead(status, h);
      res.end(body);
    };

    if (!r) return send(404, { error: { message: `fake-llm: no route for ${method} ${path}`, type: 'not_found' } });
    let body: any;
    try {
      record.body = decodeRequestBody(raw, headers['content-encoding'] as string | undefined);
      body = JSON.parse(record.body.toString('utf8'));
    } catch (err) {
      return send(400, { error: { message: `fake-llm: bad request body: ${(err as Error).message}`, type: 'invalid_request_error' } });
    }
    if (r.api === 'count_tokens') return send(200, { input_tokens: Math.ceil(record.body.length / 4) });
    const api = r.api;
    const inner = r.wrapped ? body?.request ?? {} : body;
    const model = String(r.model ?? body?.model ?? 'unknown-model');
    const stream = r.stream ?? body?.stream === true;
    record.stream = stream;
    if (opts.replyDelayMs) await new Promise((resolve) => setTimeout(resolve, opts.replyDelayMs));
    const reply = opts.script?.({ api, model, body: inner, rawBody: record.body, seq: mySeq }) ?? decide(api, record.body, inner, model, mySeq);
    record.reply = reply;
    const includeUsage = body?.stream_options?.include_usage === true;
    const out = render(api, reply, model, stream, mySeq, includeUsage);
    const wrap = (x: unknown): unknown => (r.wrapped ? { response: x } : x);
    if (!out.events) return send(out.status, out.json === undefined ? {} : reply.kind === 'error' ? out.json : wrap(out.json));

    record.status = 200;
    const h: Record<string, string | number> = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-fake-llm-seq': mySeq };
    if (encoding !== 'identity') h['content-encoding'] = encoding;
    res.writeHead(200, h);
    const gz = encoding === 'gzip' ? zlib.createGzip() : encoding === 'br' ? zlib.createBrotliCompress() : null;
    const zs = encoding === 'zstd' ? new ZstdStoredStream() : null;
    if (gz) gz.on('data', (d: Buffer) => res.write(d));
    const write = async (s: string): Promise<void> => {
      const b = Buffer.from(s);
      if (gz) {
        gz.write(b);
        await new Promise<void>((resolve) => gz.flush(() => resolve()));
      } else if (zs) res.write(zs.write(b));
      else res.write(b);
      if (opts.eventDelayMs) await new Promise((resolve) => setTimeout(resolve, opts.eventDelayMs));
    };
    for (const ev of out.events) {
      const text = r.wrapped ? ev.replace(/^data: (.*)$/m, (_m, d: string) => `data: ${JSON.stringify({ response: JSON.parse(d) })}`) : ev;
      await write(text);
    }
    if (gz) {
      await new Promise<void>((resolve) => {
        gz.on('end', () => resolve());
        gz.end();
      });
      res.end();
    } else if (zs) res.end(zs.end());
    else res.end();
  };

  const h1 = http.createServer();
  const h2 = http2.createServer();
  const connIdOf = new WeakMap<object, number>();
  // http2 creates the session synchronously inside emit('connection'): this carries the id across.
  let incomingH2Conn = 0;
  h1.on('request', (req, res) => handler(req, res, connIdOf.get(req.socket) ?? 0));
  h1.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = req.url ?? '/';
    const connId = connIdOf.get(socket) ?? 0;
    if (String(req.headers.upgrade).toLowerCase() !== 'websocket' || !/\/responses(\?|$)/.test(path)) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    acceptWebSocket(req.headers, socket, head, (text, peer) => {
      let msg: any;
      try {
        msg = JSON.parse(text);
      } catch {
        return;
      }
      if (msg?.type !== 'response.create') return;
      const { type: _t, ...rest } = msg;
      const body = msg.response && msg.model === undefined ? msg.response : rest;
      const rawBody = Buffer.from(JSON.stringify(body));
      const mySeq = ++seq;
      const reply = opts.script?.({ api: 'openai-responses', model: String(body.model ?? 'unknown-model'), body, rawBody, seq: mySeq }) ?? decide('openai-responses', rawBody, body, null, mySeq);
      requests.push({ connId, protocol: 'http/1.1', method: 'WS', path, headers: { ...req.headers }, body: rawBody, api: 'openai-responses', stream: true, reply, status: 101, encoding: 'identity' });
      const out = render('openai-responses', reply, String(body.model ?? 'unknown-model'), true, mySeq, false);
      if (out.events) for (const ev of out.events) peer.send(/^data: (.*)$/m.exec(ev)![1]!);
      else peer.send(JSON.stringify({ type: 'error', status: out.status, error: (out.json as { error?: unknown })?.error ?? out.json }));
    });
  });
  h2.on('session', (session) => connIdOf.set(session, incomingH2Conn));
  h2.on('request', (req, res) => handler(req, res, (req.stream.session && connIdOf.get(req.stream.session)) ?? 0));

  const server = tls.createServer({ key: ca.key, cert: ca.cert, ALPNProtocols: opts.alpn ?? ['h2', 'http/1.1'] }, (sock) => {
    const rec: RecordedConnection = { id: connections.length + 1, alpn: sock.alpnProtocol || 'http/1.1', chunks: [], closed: false };
    connections.push(rec);
    const dup = new RecordingDuplex(sock, rec);
    connIdOf.set(dup, rec.id);
    if (rec.alpn === 'h2') {
      incomingH2Conn = rec.id;
      h2.emit('connection', dup);
    } else h1.emit('connection', dup);
  });
  server.on('tlsClientError', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = `https://127.0.0.1:${port}`;
  return {
    port,
    url,
    caCertPath: ca.caCertPath,
    tls: { key: ca.key, cert: ca.cert },
    caBundlePath: ca.bundlePath,
    env: {
      NODE_EXTRA_CA_CERTS: ca.caCertPath,
      SSL_CERT_FILE: ca.bundlePath,
      ANTHROPIC_BASE_URL: url,
      OPENAI_BASE_URL: `${url}/v1`,
      GOOGLE_GEMINI_BASE_URL: url,
      GEMINI_API_BASE_URL: url,
    },
    requests,
    connections,
    close: async () => {
      for (const c of connections) c.closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Drop keep-alive connections so close() does not wait for clients.
        h1.closeAllConnections?.();
        setImmediate(() => server.emit('close'));
      });
      h2.close();
      rmSync(ca.dir, { recursive: true, force: true });
    },
  };
}

/** Saves one recorded connection as a fixture: JSON with base64 chunks, dir 0 = request side. */
export function saveConnectionFixture(conn: RecordedConnection, file: string, note: string): void {
  const t0 = conn.chunks[0]?.tsNs ?? 0;
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        note,
        alpn: conn.alpn,
        chunks: conn.chunks.map((c) => ({ dir: c.dir, tsNs: c.tsNs - t0 + 1_700_000_000_000_000_000, b64: c.data.toString('base64') })),
      },
      null,
      0,
    )}\n`,
  );
}
