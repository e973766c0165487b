/**
 * Turns one HTTP exchange into an LLM call as its response streams: picks the provider codec from the request,
 * feeds SSE events (or the final JSON body) to the codec's accumulator, and fills timings, usage, cost, errors
 * and the `incomplete` flag at the end.
 */
import type { HttpExchange } from '../http/types';
import { identifyAgent } from './agent-identity';
import { costUsd } from './cost';
import { errorMessage, obj, num, tryParse } from './json-util';
import { findProvider } from './providers/registry';
import { SseParser } from './sse';
import type { LlmCall, LlmToolCall, LlmToolResult, ParsedRequest, ProviderCodec, RequestInfo, ResponseAccumulator } from './types';

export interface LlmCallResult {
  call: LlmCall;
  toolCalls: LlmToolCall[];
  toolResults: LlmToolResult[];
}

export interface LlmProgress {
  exchangeSeq: number;
  provider: string;
  /** SSE event name and data that carried model output. */
  event: string;
  data: string;
  tsNs: number;
}

const utf8 = new TextDecoder('utf-8');

export function requestInfo(ex: HttpExchange, hostFallback: string | null): RequestInfo {
  const full = ex.path ?? '';
  const q = full.indexOf('?');
  let json: unknown;
  if (ex.reqBody && ex.reqBody.length > 0) {
    const first = ex.reqBody[0];
    // Only try JSON when it can be JSON: a multi-MB binary upload is not worth a failed parse.
    if (first === 0x7b || first === 0x5b || first === 0x20 || first === 0x0a) json = tryParse(utf8.decode(ex.reqBody));
  }
  return { method: ex.method, host: ex.host ?? hostFallback, path: q < 0 ? full : full.slice(0, q), query: q < 0 ? '' : full.slice(q + 1), headers: ex.reqHeaders, json };
}

/** Returns a builder when the exchange's request looks like a model call, else null. */
export function startLlmCall(ex: HttpExchange, hostFallback: string | null, onProgress?: (p: LlmProgress) => void): LlmCallBuilder | null {
  if (!ex.method || ex.path === null) return null;
  const info = requestInfo(ex, hostFallback);
  const codec = findProvider(info);
  if (!codec) return null;
  let parsed: ParsedRequest;
  try {
    parsed = codec.parseRequest(info);
  } catch {
    parsed = { model: null, systemPrompt: null, stream: false, toolResults: [], kind: 'other', context: {} };
  }
  return new LlmCallBuilder(ex, codec, info, parsed, onProgress ?? null);
}

export class LlmCallBuilder {
  private readonly acc: ResponseAccumulator;
  private sse: SseParser | null = null;
  private sseDecided = false;
  private firstTokenNs: number | null = null;
  private rawParts: Uint8Array[] = [];
  private rawSize = 0;
  private currentTs = 0;
  private accError: string | null = null;
  /** Events arrived one by one from a message transport (WebSocket) rather than as SSE bytes. */
  private eventFed = false;

  constructor(
    private readonly ex: HttpExchange,
    private readonly codec: ProviderCodec,
    private readonly info: RequestInfo,
    private readonly parsed: ParsedRequest,
    private readonly onProgress: ((p: LlmProgress) => void) | null,
  ) {
    this.acc = codec.newResponse(parsed);
  }

  get provider(): string {
    return this.codec.id;
  }

  onData(data: Uint8Array, tsNs: number): void {
    if (!this.sseDecided) {
      this.sseDecided = true;
      const ct = this.ex.respHeaders.find(([n]) => n === 'content-type')?.[1] ?? '';
      if (/text\/event-stream/i.test(ct) && (this.ex.status ?? 0) < 400) {
        this.sse = new SseParser((ev) => this.onEvent(ev.event, ev.data));
      }
    }
    this.currentTs = tsNs;
    if (this.sse) this.sse.push(data);
    else {
      // Non-streaming bodies are parsed at the end; the HTTP layer keeps the same bytes, so only reference them.
      this.rawParts.push(data);
      this.rawSize += data.length;
    }
  }

  /** Feeds one provider event that did not come as SSE bytes (a WebSocket message). */
  feedEvent(event: string, data: string, tsNs: number): void {
    this.sseDecided = true;
    this.eventFed = true;
    this.currentTs = tsNs;
    this.onEvent(event, data);
  }

  private onEvent(event: string, data: string): void {
    let output = false;
    try {
      output = this.acc.onEvent(event, data, this.currentTs);
    } catch (err) {
      this.accError ??= `provider decoder: ${(err as Error).message}`;
    }
    if (output) {
      if (this.firstTokenNs === null) this.firstTokenNs = this.currentTs;
      this.onProgress?.({ exchangeSeq: this.ex.seq, provider: this.codec.id, event, data, tsNs: this.currentTs });
    }
  }

  finish(ex: HttpExchange): LlmCallResult {
    const endNs = ex.endNs ?? ex.startNs;
    const status = ex.status;
    // Exchanges whose body never streamed through onData (e.g. bodies decoded only at the end).
    if (!this.sseDecided && ex.respBody) this.onData(ex.respBody, endNs);
    let bodyJson: unknown;
    let bodyText = '';
    if (this.sse) this.sse.end();
    else if (this.rawSize > 0) {
      bodyText = utf8.decode(this.rawParts.length === 1 ? this.rawParts[0]! : Buffer.concat(this.rawParts, this.rawSize));
      bodyJson = tryParse(bodyText);
      this.rawParts = [];
      if (bodyJson !== undefined && (status ?? 0) < 400) {
        try {
          this.acc.onJson(bodyJson, endNs);
        } catch (err) {
          this.accError ??= `provider decoder: ${(err as Error).message}`;
        }
      }
    }
    let state;
    try {
      state = this.acc.result();
    } catch (err) {
      this.accError ??= `provider decoder: ${(err as Error).message}`;
      state = null;
    }
    const streaming = this.sse !== null || this.eventFed || this.parsed.stream;
    let error: string | null = null;
    if (status !== null && status >= 400) error = `HTTP ${status}: ${errorMessage(bodyJson, bodyText)}`;
    else if (state?.error) error = state.error;
    else if (this.accError) error = this.accError;
    const isCount = this.parsed.kind === 'count_tokens';
    const usage = state?.usage ?? { inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null };
    if (isCount) {
      const b = obj(bodyJson);
      usage.inputTokens = num(b.input_tokens) ?? num(b.totalTokens);
      usage.outputTokens = 0;
    }
    const ok = status !== null && status < 400;
    const bodyUnreadable = ok && !this.sse && !this.eventFed && this.rawSize === 0 && bodyText === '' && ex.respBody === null;
    const jsonBroken = ok && !this.sse && bodyText !== '' && bodyJson === undefined;
    // A stream whose provider end marker arrived (response.completed, message_stop …) is whole even when the
    // client closed the HTTP stream before its end (Codex drops the connection after response.completed).
    const providerFinished = this.sse && (state?.finished ?? false);
    const incomplete = (!ex.complete && !providerFinished) || (ok && this.codec.id !== 'unknown' && !isCount && !(state?.finished ?? false)) || jsonBroken || bodyUnreadable;
    if (incomplete && !error && ex.error) error = ex.error;
    const ident = identifyAgent(ex.reqHeaders);
    const model = state?.model ?? null;
    const call: LlmCall = {
      provider: this.codec.id,
      host: this.info.host,
      endpoint: this.info.path,
      streaming,
      requestModel: this.parsed.model,
      responseModel: model,
      systemPrompt: this.parsed.systemPrompt,
      requestJson: this.info.json === undefined ? null : utf8.decode(ex.reqBody ?? new Uint8Array()),
      responseJson: state?.json != null ? safeStringify(state.json) : bodyJson !== undefined ? safeStringify(bodyJson) : null,
      responseText: state && state.text !== '' ? state.text : null,
      thinking: state && state.thinking !== '' ? state.thinking : null,
      stopReason: state?.stopReason ?? null,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cacheReadTokens: usage.cacheReadTokens,
      cacheWriteTokens: usage.cacheWriteTokens,
      reasoningTokens: usage.reasoningTokens,
      costUsd: isCount ? null : costUsd(this.codec.id, model ?? this.parsed.model, usage),
      httpStatus: status,
      error,
      startNs: ex.startNs,
      firstTokenNs: this.firstTokenNs ?? (ok && !this.sse ? ex.firstByteNs : null),
      endNs: ex.endNs,
      incomplete,
      agent: ident.agent,
      agentSessionId: ident.sessionId,
      userAgent: ident.userAgent,
      exchangeSeq: ex.seq,
    };
    const toolCalls = (state?.toolCalls ?? []).map((t) => ({ ...t, tsNs: this.sse ? t.tsNs : endNs }));
    const toolResults = this.parsed.toolResults.map((r) => ({ ...r, tsNs: ex.startNs }));
    return { call, toolCalls, toolResults };
  }
}

function safeStringify(v: unknown): string | null {
  try {
    return JSON.stringify(v);
  } catch {
    return null;
  }
}
