/**
 * What the LLM layer produces. `LlmCall` maps onto `LlmCallRow`, `LlmToolCall` onto `ToolCallRow`
 * (src/store/types.ts) minus the ids the caller assigns.
 *
 * Token conventions, the same for every provider so readers can add them up:
 * - inputTokens: every prompt token, cached ones included (Anthropic reports cache reads and writes apart
 *   from input_tokens; we add them back). cacheReadTokens / cacheWriteTokens are the cached parts of it.
 * - outputTokens: every billed output token, reasoning included (Gemini reports thoughts apart; we add them).
 *   reasoningTokens is the reasoning part of it.
 */
import type { HttpExchange } from '../http/types';
import type { LlmCallRow } from '../../store/types';

export type ProviderId = 'anthropic' | 'openai-chat' | 'openai-responses' | 'gemini' | 'unknown';

export interface LlmUsage {
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  reasoningTokens: number | null;
}

export interface LlmToolCall {
  /** Provider id (toolu_…, call_…) or a synthetic one for Gemini calls without an id. */
  callId: string;
  name: string;
  inputJson: string;
  /** When the call was complete in the response (stream time of its last piece, or response end). */
  tsNs: number;
}

/** A tool result carried by a request: new in that request (after the last assistant turn). */
export interface LlmToolResult {
  callId: string;
  /** Tool name when the format carries it (Gemini). */
  name: string | null;
  text: string | null;
  isError: boolean | null;
  /** Time of the request that carried it. */
  tsNs: number;
}

/** An LLM call as decoded: the row's fields (src/store/types.ts, where each is documented) minus the ids the
 * caller assigns, plus what the caller needs to build sessions. */
export interface LlmCall extends Omit<LlmCallRow, 'id' | 'exchangeId' | 'sessionId' | 'processId' | 'provider'> {
  provider: ProviderId;
  /** Agent that made the call ('claude-code' | 'codex' | 'gemini-cli' | …), from user-agent and headers. */
  agent: string | null;
  /** The agent's own session id (x-claude-code-session-id, Codex session_id …). */
  agentSessionId: string | null;
  userAgent: string | null;
  /** The exchange this call was decoded from (its seq links it to the caller's exchange id). */
  exchangeSeq: number;
}

/** Per-provider knowledge: how to read a request and accumulate a response. */
export interface ProviderCodec {
  readonly id: ProviderId;
  /** Does this request belong to the provider? (method, path without query, host, parsed JSON body or null). */
  matches(req: RequestInfo): boolean;
  parseRequest(req: RequestInfo): ParsedRequest;
  newResponse(req: ParsedRequest): ResponseAccumulator;
}

export interface RequestInfo {
  method: string | null;
  host: string | null;
  path: string;
  query: string;
  headers: HttpExchange['reqHeaders'];
  /** Parsed JSON body, or undefined when absent / not JSON. */
  json: unknown;
}

export interface ParsedRequest {
  model: string | null;
  systemPrompt: string | null;
  /** The request asked for a stream (may be confirmed by the response content type). */
  stream: boolean;
  toolResults: Array<Omit<LlmToolResult, 'tsNs'>>;
  /** Count-tokens and similar calls produce no message. */
  kind: 'generate' | 'count_tokens' | 'other';
  /** Extra context a response parser needs (Gemini's turn position for synthetic call ids). */
  context: Record<string, unknown>;
}

export interface ResponseState {
  model: string | null;
  text: string;
  thinking: string;
  toolCalls: LlmToolCall[];
  stopReason: string | null;
  usage: LlmUsage;
  error: string | null;
  /** The provider's end-of-stream marker was seen (or the JSON body was whole). */
  finished: boolean;
  /** Reassembled response JSON. */
  json: unknown;
}

export interface ResponseAccumulator {
  /** One SSE event; returns true when it carried model output (for first-token time). */
  onEvent(event: string, data: string, tsNs: number): boolean;
  /** A complete JSON (non-streaming) body. */
  onJson(body: unknown, tsNs: number): void;
  result(): ResponseState;
}

export function emptyUsage(): LlmUsage {
  return { inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null };
}

export function emptyState(): ResponseState {
  return { model: null, text: '', thinking: '', toolCalls: [], stopReason: null, usage: emptyUsage(), error: null, finished: false, json: null };
}
