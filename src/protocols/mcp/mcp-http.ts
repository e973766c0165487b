/**
 * MCP's streamable HTTP transport: one HTTP exchange → the JSON-RPC messages it carried. The client POSTs a message
 * (or a batch) as JSON; the server answers with JSON, with an SSE stream whose events' data are messages, or with
 * 202 and no body (for notifications and responses). An exchange whose request body is not JSON-RPC 2.0 is not MCP
 * (an LLM API call, any other JSON POST), and a GET (the server's own SSE stream) carries only server messages.
 * Pure: works on exchanges from any source (plaintext TCP capture or TLS).
 */
import { headerValue } from '../http/exchange';
import type { HttpExchange } from '../http/types';
import { SseParser } from '../llm/sse';
import { parseJsonRpcLine, type JsonRpcMessage } from './json-rpc';

export interface McpHttpMessages {
  /** What the client sent (the request body). */
  fromClient: JsonRpcMessage[];
  /** What the server sent back (JSON body or SSE events), in order. */
  fromServer: JsonRpcMessage[];
  /** Bytes of the request and response bodies. */
  requestBytes: number;
  responseBytes: number;
}

const decoder = new TextDecoder();

/** The JSON-RPC messages of an MCP exchange, or null when the exchange is not MCP. */
export function mcpHttpMessages(ex: HttpExchange): McpHttpMessages | null {
  let fromClient: JsonRpcMessage[] = [];
  if (ex.method === 'POST') {
    if (!ex.reqBody || !ex.reqBody.length) return null;
    fromClient = parseJsonRpcLine(decoder.decode(ex.reqBody));
    if (fromClient.some((m) => m.kind === 'malformed')) return null;
  } else if (ex.method === 'GET') {
    if (!/text\/event-stream/i.test(headerValue(ex.reqHeaders, 'accept') ?? '') || !headerValue(ex.reqHeaders, 'mcp-session-id')) return null;
  } else {
    return null;
  }
  const fromServer: JsonRpcMessage[] = [];
  const body = ex.respBody;
  const type = headerValue(ex.respHeaders, 'content-type') ?? '';
  if (body && body.length) {
    if (/text\/event-stream/i.test(type)) {
      const sse = new SseParser((ev) => {
        if (ev.data.trim()) fromServer.push(...parseJsonRpcLine(ev.data));
      });
      sse.push(body);
      sse.push(new Uint8Array([10, 10])); // a stream cut mid-event still yields what it held
    } else if (/json/i.test(type)) {
      fromServer.push(...parseJsonRpcLine(decoder.decode(body)));
    }
  }
  return { fromClient, fromServer, requestBytes: ex.reqBody?.length ?? 0, responseBytes: body?.length ?? 0 };
}
