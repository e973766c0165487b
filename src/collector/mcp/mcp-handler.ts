/**
 * Pipe records → MCP conversations → mcp_servers and mcp_calls rows.
 *
 * A stream is what one process wrote into one pipe or unix socket (keyed by writer and the inode its reader sees).
 * A conversation's channel is the inode the server reads its requests from: the client's stream writes into it, and
 * the server's records carry it as their writer's stdin, so the two directions meet with no guess about who spawned
 * whom (an `npx` wrapper in between changes nothing: the server inherits the same stdin). The first line of a stream
 * decides its side: a request or notification from a process whose stdin is no known channel is a client; a writer
 * whose stdin is a channel is that channel's server. Streams whose first line is not JSON-RPC are ignored.
 */
import type { RawRecord } from '../bpf-capture';
import type { CollectorContext, RecordHandler } from '../collector';
import type { RecordHeader } from '../process/process-events';
import { isSecretName, redactCommandText } from '../process/redact-command';
import { LineSplitter, parseJsonRpcLine, type JsonRpcMessage } from '../../protocols/mcp/json-rpc';
import { McpConversation, type McpCall, type McpNotification, type McpServerInfo, type McpSide } from '../../protocols/mcp/mcp-conversation';
import { redactJsonSecrets } from '../../protocols/mcp/redact-json';
import type { McpCallRow, McpServerRow, ProcessRow } from '../../store/types';
import type { HttpExchange } from '../../protocols/http/types';
import { mcpHttpMessages, type McpHttpMessages } from '../../protocols/mcp/mcp-http';
import { McpHttpStreams } from './mcp-http-streams';
import { decodePipeEvent, PIPE_KIND_TCP, PIPE_KIND_UNIX, type PipeDataEvent } from './pipe-events';

interface Stream {
  tgid: number;
  ino: number;
  stdinIno: number;
  kind: number;
  /** The fd written when the stream was first seen (1: the writer's stdout). */
  fd: number;
  splitter: LineSplitter;
  channel: Channel | null;
  side: McpSide | null;
  ignored: boolean;
}

interface Channel {
  ino: number;
  /** Wall-clock ms after which a channel whose process exited is finished (records may still be on their way). */
  closeAtMs: number | null;
  conv: McpConversation;
  row: McpServerRow;
  clientTgid: number | null;
  serverTgid: number | null;
  finished: boolean;
}

/**
 * How long after its server (or client) exits a conversation stays open. Exits travel on the event ring and pipe
 * records on their own, read first each round but queued apart: a writer's last lines were seen arriving after its
 * exit (the bench's 1 MiB messages: 15 of 64 counted when conversations ended at the exit). As for TLS streams.
 */
const EXIT_GRACE_MS = 30_000;

export class McpHandler implements RecordHandler {
  readonly types = [64, 79] as const;
  private readonly streams = new Map<string, Stream>();
  private readonly channels = new Map<number, Channel>();
  private readonly dirty = new Set<Channel>();
  /** Calls written, for tests and status. */
  calls = 0;
  /** MCP over streamable HTTP on plaintext TCP; its conversations are channels with negative keys, by URL. */
  private readonly http = new McpHttpStreams({ exchange: (...a) => this.httpExchange(...a) });
  private readonly httpKeys = new Map<string, number>();

  handle(rec: RawRecord, h: RecordHeader, ctx: CollectorContext): void {
    const e = decodePipeEvent(rec.bytes, rec.view, h);
    if (!e) {
      ctx.loss('decode:malformed', 1, 0, 'pipe record');
      return;
    }
    const tsNs = ctx.unix(e.tsNs);
    if (e.kind === PIPE_KIND_TCP) {
      if (e.lostBefore > 0) ctx.loss('pipe:lost', 1, e.lostBefore, 'MCP over HTTP: bytes written into the socket were not captured', ctx.processes.forRecord(e.tgid)?.id ?? null);
      this.http.push(e, tsNs, ctx);
      return;
    }
    const st = this.stream(e);
    if (e.lostBefore > 0) {
      const bytes = e.lostBefore + st.splitter.gap();
      this.lost(st, bytes, tsNs, 'bytes written into the stream were not captured', ctx);
    }
    const { lines, dropped } = st.splitter.push(e.data);
    if (dropped > 0) this.lost(st, dropped, tsNs, 'partial JSON-RPC line after a gap', ctx);
    for (const line of lines) this.line(st, line, tsNs, ctx);
  }

  tick(ctx: CollectorContext): void {
    this.http.tick(ctx);
    const now = Date.now();
    for (const ch of [...this.channels.values()]) if (ch.closeAtMs !== null && ch.closeAtMs <= now) this.finishChannel(ch, ctx);
    for (const ch of this.dirty) ctx.store.putMcpServer(ch.row);
    this.dirty.clear();
  }

  onProcessExit(row: ProcessRow): void {
    const at = Date.now() + EXIT_GRACE_MS;
    this.http.onProcessExit(row.pid, at);
    // streams that turned out not to be JSON-RPC hold nothing worth waiting for
    for (const [k, st] of this.streams) if (st.tgid === row.pid && st.ignored) this.streams.delete(k);
    for (const ch of this.channels.values()) {
      if (ch.serverTgid === row.pid || (ch.serverTgid === null && ch.clientTgid === row.pid)) ch.closeAtMs ??= at;
    }
  }

  finish(ctx: CollectorContext): void {
    this.sinkCtx = ctx;
    this.http.finish(Date.now() * 1e6);
    for (const ch of this.channels.values()) this.finishChannel(ch, ctx);
    this.tick(ctx);
  }

  private finishChannel(ch: Channel, ctx: CollectorContext): void {
    if (ch.finished) return;
    ch.finished = true;
    this.sinkCtx = ctx;
    ch.conv.finish();
    this.channels.delete(ch.ino);
    for (const [k, st] of this.streams) if (st.channel === ch) this.streams.delete(k);
  }

  private stream(e: PipeDataEvent): Stream {
    const key = `${e.tgid}:${e.ino}`;
    let st = this.streams.get(key);
    if (!st) {
      st = { tgid: e.tgid, ino: e.ino, stdinIno: e.stdinIno, kind: e.kind, fd: e.fd, splitter: new LineSplitter(), channel: null, side: null, ignored: false };
      this.streams.set(key, st);
    }
    return st;
  }

  private lost(st: Stream, bytes: number, tsNs: number, detail: string, ctx: CollectorContext): void {
    const proc = ctx.processes.forRecord(st.tgid);
    ctx.loss('pipe:lost', 1, bytes, `MCP ${detail}`, proc?.id ?? null);
    if (st.channel) {
      st.channel.row.lostBytes += bytes;
      this.dirty.add(st.channel);
    }
  }

  /** The context of the conversation callbacks (they run synchronously inside message()). */
  private sinkCtx: CollectorContext | null = null;

  private line(st: Stream, line: string, tsNs: number, ctx: CollectorContext): void {
    if (st.ignored) return;
    const msgs = parseJsonRpcLine(line);
    if (!st.channel && !this.assign(st, msgs[0], tsNs, ctx)) return;
    const ch = st.channel!;
    const bytes = Buffer.byteLength(line) + 1;
    ch.row.lastNs = Math.max(ch.row.lastNs, tsNs);
    this.dirty.add(ch);
    this.sinkCtx = ctx;
    for (const m of msgs) ch.conv.message(st.side!, m, tsNs, bytes);
  }

  /** Which conversation, and which side of it, a stream's first line belongs to. */
  private assign(st: Stream, first: JsonRpcMessage, tsNs: number, ctx: CollectorContext): boolean {
    if (first.kind === 'malformed') {
      st.ignored = true; // another JSON stream (a log, a tool's output): not ours
      return false;
    }
    // A server replies on its stdout. The fd matters when a server is itself a client (an agent run as another agent's
    // MCP server writes requests to its own servers): those streams start with requests on other fds.
    const served = this.channels.get(st.stdinIno);
    if (served && served.clientTgid !== st.tgid && (st.fd === 1 || first.kind === 'response')) {
      this.bindServer(served, st, ctx);
      return true;
    }
    if (first.kind === 'response') {
      // A reply whose request we did not see (capture began mid-conversation): this writer is a server.
      const ch = this.channel(st.stdinIno, st.kind, null, tsNs, ctx);
      this.bindServer(ch, st, ctx);
      return true;
    }
    const ch = this.channels.get(st.ino) ?? this.channel(st.ino, st.kind, st.tgid, tsNs, ctx);
    if (ch.clientTgid === null) {
      ch.clientTgid = st.tgid;
      ch.row.clientProcessId = ctx.processes.forRecord(st.tgid)?.id ?? null;
      ch.row.sessionId ??= ctx.processes.forRecord(st.tgid)?.sessionId ?? null;
    }
    st.channel = ch;
    st.side = 'client';
    return true;
  }

  private bindServer(ch: Channel, st: Stream, ctx: CollectorContext): void {
    st.channel = ch;
    st.side = 'server';
    if (ch.serverTgid === null) {
      ch.serverTgid = st.tgid;
      const proc = ctx.processes.forRecord(st.tgid);
      ch.row.processId = proc?.id ?? null;
      ch.row.command = proc && proc.argv.length ? proc.argv.join(' ') : (proc?.comm ?? null);
      ch.row.sessionId ??= proc?.sessionId ?? null;
      this.dirty.add(ch);
    }
  }

  /** An HTTPS exchange the TLS handler decoded (a remote server: only the client's end is ours). */
  tlsExchange(ex: HttpExchange, tgid: number, ctx: CollectorContext): void {
    const msgs = mcpHttpMessages(ex);
    if (!msgs) return;
    this.httpExchange(`https://${ex.host ?? '?'}${(ex.path ?? '/').split('?')[0]}`, Number.isFinite(tgid) ? tgid : null, null, ex, msgs, ctx);
  }

  /** One exchange of MCP's streamable HTTP: its messages go to the URL's conversation, as the client's and the server's. */
  private httpExchange(url: string, clientTgid: number | null, serverTgid: number | null, ex: HttpExchange, msgs: McpHttpMessages, ctx: CollectorContext): void {
    const convKey = `${clientTgid ?? '?'} ${url}`;
    let key = this.httpKeys.get(convKey);
    let ch = key === undefined ? undefined : this.channels.get(key);
    if (!ch) {
      key = -(this.httpKeys.size + 1);
      this.httpKeys.set(convKey, key);
      ch = this.channel(key, PIPE_KIND_TCP, clientTgid, ex.startNs, ctx, url);
    }
    if (serverTgid !== null && ch.serverTgid === null) {
      ch.serverTgid = serverTgid;
      const proc = ctx.processes.forRecord(serverTgid);
      ch.row.processId = proc?.id ?? null;
      ch.row.command = proc && proc.argv.length ? proc.argv.join(' ') : (proc?.comm ?? null);
      ch.row.sessionId ??= proc?.sessionId ?? null;
    }
    const endNs = ex.endNs ?? ex.firstByteNs ?? ex.startNs;
    ch.row.lastNs = Math.max(ch.row.lastNs, endNs);
    if (ex.error) ch.row.malformed += ex.complete ? 0 : 1;
    this.dirty.add(ch);
    this.sinkCtx = ctx;
    for (const m of msgs.fromClient) ch.conv.message('client', m, ex.startNs, msgs.requestBytes);
    for (const m of msgs.fromServer) ch.conv.message('server', m, endNs, msgs.responseBytes);
  }

  private channel(ino: number, kind: number, clientTgid: number | null, tsNs: number, ctx: CollectorContext, url?: string): Channel {
    const client = clientTgid === null ? undefined : ctx.processes.forRecord(clientTgid);
    const row: McpServerRow = {
      id: ctx.store.nextId('mcp_servers'), sessionId: client?.sessionId ?? null, processId: null,
      clientProcessId: client?.id ?? null, transport: url ? 'http' : 'stdio', channel: url ?? `${kind === PIPE_KIND_UNIX ? 'unix' : 'pipe'}:${ino}`,
      command: null, name: null, version: null, protocolVersion: null, firstNs: tsNs, lastNs: tsNs, calls: 0, errors: 0,
      malformed: 0, lostBytes: 0,
    };
    const ch: Channel = { ino, closeAtMs: null, row, clientTgid, serverTgid: null, finished: false, conv: null as unknown as McpConversation };
    ch.conv = new McpConversation({
      call: (c) => this.onCall(ch, c),
      notification: (n) => this.onNotification(ch, n),
      server: (info) => this.onServer(ch, info),
      malformed: () => {
        ch.row.malformed++;
        this.dirty.add(ch);
      },
    });
    this.channels.set(ino, ch);
    this.dirty.add(ch);
    return ch;
  }

  private onServer(ch: Channel, info: McpServerInfo): void {
    ch.row.name = info.name;
    ch.row.version = info.version;
    ch.row.protocolVersion = info.protocolVersion;
    this.dirty.add(ch);
  }

  private onCall(ch: Channel, c: McpCall): void {
    const ctx = this.sinkCtx!;
    ch.row.calls++;
    if (c.failed) ch.row.errors++;
    this.dirty.add(ch);
    const row: McpCallRow = {
      id: ctx.store.nextId('mcp_calls'), serverId: ch.row.id, sessionId: ch.row.sessionId, kind: 'request', fromSide: c.from,
      rpcId: String(c.id), method: c.method, target: c.target, paramsJson: json(c.params),
      resultJson: c.result === undefined ? null : json(c.result), errorCode: c.error?.code ?? null,
      errorMessage: c.error ? c.error.message : null, isError: c.failed, startNs: c.startNs, endNs: c.endNs,
      requestBytes: c.requestBytes, responseBytes: c.responseBytes, toolCallId: null,
    };
    ctx.store.putMcpCall(row);
    this.calls++;
  }

  private onNotification(ch: Channel, n: McpNotification): void {
    const ctx = this.sinkCtx!;
    ctx.store.putMcpCall({
      id: ctx.store.nextId('mcp_calls'), serverId: ch.row.id, sessionId: ch.row.sessionId, kind: 'notification',
      fromSide: n.from, rpcId: null, method: n.method, target: null, paramsJson: json(n.params), resultJson: null,
      errorCode: null, errorMessage: null, isError: false, startNs: n.tsNs, endNs: null, requestBytes: 0, responseBytes: 0,
      toolCallId: null,
    });
  }
}

/**
 * Stored JSON, secrets redacted: secret-named members like headers, and secrets inside strings by the rules command
 * lines go through (assignments, JSON fields, key shapes, URL passwords); undefined (no params) as null.
 */
function json(v: unknown): string | null {
  return v === undefined ? null : JSON.stringify(redactJsonSecrets(v, isSecretName, redactCommandText));
}
