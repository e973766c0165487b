/**
 * One MCP client ↔ server conversation → requests paired with their responses (by id, per direction), the server's
 * name and version from `initialize`, tool calls with their arguments and results, notifications. Pure: the caller
 * feeds messages with the side that sent them and a time.
 */
import type { JsonRpcError, JsonRpcId, JsonRpcMessage } from './json-rpc';

export type McpSide = 'client' | 'server';

export interface McpCall {
  /** Who sent the request: 'client' for tools/call and the like, 'server' for sampling or roots requests. */
  from: McpSide;
  id: JsonRpcId;
  method: string;
  /** tools/call: the tool's name; prompts/get: the prompt's; resources/read: the URI. */
  target: string | null;
  params: unknown;
  result: unknown;
  error: JsonRpcError | null;
  /** tools/call whose result says isError: true (the tool ran and failed), or a JSON-RPC error. */
  failed: boolean;
  startNs: number;
  endNs: number | null;
  requestBytes: number;
  responseBytes: number;
}

export interface McpNotification {
  from: McpSide;
  method: string;
  params: unknown;
  tsNs: number;
}

export interface McpServerInfo {
  name: string | null;
  version: string | null;
  protocolVersion: string | null;
  /** What the client said it is in `initialize`. */
  clientName: string | null;
  clientVersion: string | null;
}

export interface McpConversationSink {
  /** A request was answered (or, at finish, never was: endNs null). */
  call(c: McpCall): void;
  notification(n: McpNotification): void;
  /** initialize's request and response were seen. */
  server(info: McpServerInfo): void;
  /** A message that is not JSON-RPC, or a response to no request seen. */
  malformed(reason: string, from: McpSide): void;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** What a request acts on, for the methods that name something. */
function targetOf(method: string, params: unknown): string | null {
  const p = rec(params);
  if (method === 'tools/call' || method === 'prompts/get') return str(p.name);
  if (method === 'resources/read' || method === 'resources/subscribe') return str(p.uri);
  return null;
}

export class McpConversation {
  /** Requests waiting for their response, by sender and id. */
  private readonly open = new Map<string, McpCall>();
  private clientInfo: { name: string | null; version: string | null } = { name: null, version: null };
  readonly info: McpServerInfo | null = null;

  constructor(private readonly sink: McpConversationSink) {}

  /** A message sent by `from` at tsNs, `bytes` long on the wire. */
  message(from: McpSide, m: JsonRpcMessage, tsNs: number, bytes: number): void {
    if (m.kind === 'malformed') {
      this.sink.malformed(m.reason, from);
      return;
    }
    if (m.kind === 'notification') {
      this.sink.notification({ from, method: m.method, params: m.params, tsNs });
      return;
    }
    if (m.kind === 'request') {
      if (m.method === 'initialize' && from === 'client') {
        const ci = rec(rec(m.params).clientInfo);
        this.clientInfo = { name: str(ci.name), version: str(ci.version) };
      }
      this.open.set(`${from}:${String(m.id)}`, {
        from, id: m.id, method: m.method, target: targetOf(m.method, m.params), params: m.params, result: undefined,
        error: null, failed: false, startNs: tsNs, endNs: null, requestBytes: bytes, responseBytes: 0,
      });
      return;
    }
    // A response travels the other way: it answers a request of the other side.
    const asker: McpSide = from === 'client' ? 'server' : 'client';
    const key = `${asker}:${String(m.id)}`;
    const c = m.id === null ? undefined : this.open.get(key);
    if (!c) {
      this.sink.malformed(m.error ? `error response to no request seen: ${m.error.message}` : 'response to no request seen', from);
      return;
    }
    this.open.delete(key);
    c.endNs = tsNs;
    c.responseBytes = bytes;
    if (m.error) {
      c.error = m.error;
      c.failed = true;
    } else {
      c.result = m.result;
      c.failed = c.method === 'tools/call' && rec(m.result).isError === true;
    }
    if (c.method === 'initialize' && !m.error) {
      const r = rec(m.result);
      const si = rec(r.serverInfo);
      const info: McpServerInfo = {
        name: str(si.name), version: str(si.version), protocolVersion: str(r.protocolVersion),
        clientName: this.clientInfo.name, clientVersion: this.clientInfo.version,
      };
      (this as { info: McpServerInfo | null }).info = info;
      this.sink.server(info);
    }
    this.sink.call(c);
  }

  /** The conversation ended: requests never answered are reported with endNs null. */
  finish(): void {
    for (const c of this.open.values()) this.sink.call(c);
    this.open.clear();
  }

  /** Requests still waiting for their response. */
  get pending(): number {
    return this.open.size;
  }
}

/** The text of a tools/call result: its text content parts joined, else its JSON. */
export function toolResultText(result: unknown): string {
  const content = rec(result).content;
  if (Array.isArray(content)) {
    const texts = content.map((p) => rec(p)).filter((p) => p.type === 'text' && typeof p.text === 'string').map((p) => p.text as string);
    if (texts.length) return texts.join('\n');
  }
  return JSON.stringify(result ?? null);
}
