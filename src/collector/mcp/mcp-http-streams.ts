/**
 * Plaintext TCP records (pipe records of kind PIPE_KIND_TCP: sockets of traced processes whose first write was
 * HTTP/1.1) → HTTP exchanges → MCP's streamable HTTP messages. A connection is the pair of its ports (loopback: both
 * ends are traced processes, each capturing what it writes, so the client's socket carries requests and the server's
 * responses). Each direction feeds the existing HTTP/1.1 decoder; exchanges that are not JSON-RPC (an LLM call to a
 * local provider, any other HTTP) are dropped here and reach nothing else.
 */
import type { CollectorContext } from '../collector';
import { Http1Decoder } from '../../protocols/http/http1-decoder';
import type { HttpExchange } from '../../protocols/http/types';
import { mcpHttpMessages, type McpHttpMessages } from '../../protocols/mcp/mcp-http';
import type { PipeDataEvent } from './pipe-events';

interface Connection {
  decoder: Http1Decoder;
  /** Writer of requests (dir 0) and of responses (dir 1), once seen. */
  tgids: [number | null, number | null];
  /** Local port of the request writer's socket (the client's): names the connection for the URL. */
  serverPort: number | null;
  /** Wall-clock ms after which the connection of an exited client is ended (its last records may still be coming). */
  closeAtMs: number | null;
}

export interface McpHttpSink {
  /** An MCP exchange seen on a connection between clientTgid and serverTgid (either may be unknown). */
  exchange(url: string, clientTgid: number | null, serverTgid: number | null, ex: HttpExchange, msgs: McpHttpMessages, ctx: CollectorContext): void;
}

export class McpHttpStreams {
  private readonly conns = new Map<string, Connection>();
  /** Direction of each socket stream (decided by its first bytes), by writer and socket inode. */
  private readonly dirs = new Map<string, 0 | 1>();
  private seq = 0;
  private ctx: CollectorContext | null = null;

  constructor(private readonly sink: McpHttpSink) {}

  push(e: PipeDataEvent, tsNs: number, ctx: CollectorContext): void {
    this.ctx = ctx;
    const local = Math.floor(e.stdinIno / 65536) & 0xffff;
    const remote = e.stdinIno & 0xffff;
    const sk = `${e.tgid}:${e.ino}`;
    let dir = this.dirs.get(sk);
    if (dir === undefined) {
      dir = e.data.length >= 5 && Buffer.from(e.data.subarray(0, 5)).toString('latin1') === 'HTTP/' ? 1 : 0;
      this.dirs.set(sk, dir);
    }
    const key = `${Math.min(local, remote)}-${Math.max(local, remote)}`;
    let c = this.conns.get(key);
    if (!c) {
      const conn: Connection = { tgids: [null, null], serverPort: null, closeAtMs: null, decoder: null as unknown as Http1Decoder };
      conn.decoder = new Http1Decoder({
        onExchange: (ex) => this.onExchange(conn, ex),
        onLoss: (l) => this.ctx?.loss(l.source, l.count, l.bytes, `MCP over HTTP: ${l.detail}`, null),
      }, () => ++this.seq, false);
      this.conns.set(key, conn);
      c = conn;
    }
    c.tgids[dir] ??= e.tgid;
    if (dir === 0) c.serverPort ??= remote;
    c.decoder.push(dir, e.data, tsNs, e.lostBefore);
  }

  /** The process exited: its sockets are closed, so its connections end once its last records had time to arrive. */
  onProcessExit(tgid: number, closeAtMs: number): void {
    for (const c of this.conns.values()) if (c.tgids[0] === tgid || c.tgids[1] === tgid) c.closeAtMs ??= closeAtMs;
  }

  tick(ctx: CollectorContext): void {
    this.ctx = ctx;
    const now = Date.now();
    for (const [k, c] of this.conns) {
      if (c.closeAtMs === null || c.closeAtMs > now) continue;
      c.decoder.end(now * 1e6);
      this.conns.delete(k);
      for (const t of c.tgids) for (const d of this.dirs.keys()) if (d.startsWith(`${t}:`)) this.dirs.delete(d);
    }
  }

  finish(tsNs: number): void {
    for (const c of this.conns.values()) c.decoder.end(tsNs);
    this.conns.clear();
  }

  private onExchange(c: Connection, ex: HttpExchange): void {
    const msgs = mcpHttpMessages(ex);
    if (!msgs || !this.ctx) return;
    const url = `http://${ex.host ?? `127.0.0.1:${c.serverPort ?? '?'}`}${(ex.path ?? '/').split('?')[0]}`;
    this.sink.exchange(url, c.tgids[0], c.tgids[1], ex, msgs, this.ctx);
  }
}
