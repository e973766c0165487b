/**
 * Where decoded HTTP exchanges and LLM calls become store rows: ids, session naming from the traffic (agent and
 * the agent's own session id), and tool results linked back to the tool calls that asked for them.
 */
import type { Collector } from '../collector';
import type { ExchangeMeta, LlmPipelineSink, PipelineLoss } from '../../protocols/llm/llm-pipeline';
import type { LlmCall, LlmToolCall, LlmToolResult } from '../../protocols/llm/types';
import type { HttpExchange } from '../../protocols/http/types';
import type { HttpExchangeRow, LlmCallRow, ToolCallRow } from '../../store/types';
import { toHttpExchangeRow, toLlmCallRow, toToolCallRow } from './llm-rows';
import { redactStoredBody, redactStoredText } from './stored-text-redaction';

/** Secrets in bodies (stored-text-redaction.ts): every text column of the three row kinds, before the store. */
function redactExchange(r: HttpExchangeRow): HttpExchangeRow {
  r.reqBody = redactStoredBody(r.reqBody);
  r.respBody = redactStoredBody(r.respBody);
  return r;
}

/** The text columns of each row kind that can hold what a model or tool saw or said. */
type TextKeys<T> = { [K in keyof T]: T[K] extends string | null ? K : never }[keyof T];
const CALL_TEXT: ReadonlyArray<TextKeys<LlmCallRow>> = ['systemPrompt', 'requestJson', 'responseJson', 'responseText', 'thinking', 'error'];
const TOOL_TEXT: ReadonlyArray<TextKeys<ToolCallRow>> = ['inputJson', 'resultText'];

function redactText<T>(r: T, keys: ReadonlyArray<TextKeys<T>>): T {
  for (const k of keys) (r as Record<TextKeys<T>, string | null>)[k] = redactStoredText(r[k] as string | null);
  return r;
}

export interface ConnLookup {
  /** Store id of the TLS connection behind a pipeline connection key. */
  connId(connKey: string): number | null;
  /** The HTTP protocol was recognised on a connection. */
  setProtocol(connKey: string, protocol: string | null, host: string | null): void;
}

export class LlmStoreSink implements LlmPipelineSink {
  /** exchange seq (per connection) → exchange row id, until its LLM call arrives. */
  private readonly exchangeIds = new Map<string, number>();
  /** provider call id → tool call row, to attach results that arrive in later requests. */
  private readonly toolsByCallId = new Map<string, ToolCallRow>();
  /** Results whose tool call has not been decoded yet (calls finish in response-end order, not request order). */
  private readonly orphanResults = new Map<string, { llmCallId: number; r: LlmToolResult }>();
  /** Every HTTPS exchange also goes here, with the writer's tgid: MCP's streamable HTTP to remote servers. */
  mcp: ((ex: HttpExchange, tgid: number) => void) | null = null;
  llmCalls = 0;
  tokens = 0;
  costUsd = 0;

  constructor(private readonly collector: Collector, private readonly conns: ConnLookup) {}

  onExchange(ex: HttpExchange, meta: ExchangeMeta): void {
    const store = this.collector.store;
    const id = store.nextId('http_exchanges');
    this.exchangeIds.set(`${meta.connKey}#${ex.seq}`, id);
    this.conns.setProtocol(meta.connKey, meta.protocol, ex.host);
    store.putHttpExchange(redactExchange(toHttpExchangeRow(ex, { id, connId: this.conns.connId(meta.connKey), processId: meta.processId, sessionId: meta.sessionId })));
    this.mcp?.(ex, Number.parseInt(meta.connKey, 10)); // connection keys begin with the tgid
  }

  onLlmCall(call: LlmCall, toolCalls: LlmToolCall[], toolResults: LlmToolResult[], meta: ExchangeMeta): void {
    const store = this.collector.store;
    const key = `${meta.connKey}#${call.exchangeSeq}`;
    const exchangeId = this.exchangeIds.get(key) ?? null;
    this.exchangeIds.delete(key);
    const id = store.nextId('llm_calls');
    const { agent, agentSessionId } = call;
    store.putLlmCall(redactText(toLlmCallRow(call, { id, exchangeId, sessionId: meta.sessionId, processId: meta.processId }), CALL_TEXT));
    this.llmCalls++;
    const tokens = (call.inputTokens ?? 0) + (call.outputTokens ?? 0);
    this.tokens += tokens;
    if (call.costUsd !== null) this.costUsd += call.costUsd;
    const failed = (call.httpStatus ?? 0) >= 400 || call.incomplete || call.error !== null;
    store.addActivity(call.startNs, { llmCalls: 1, tokens, errors: failed ? 1 : 0 });

    if (meta.sessionId !== null) {
      const s = this.collector.session(meta.sessionId);
      if (s && ((agent && !s.agent) || (agentSessionId && !s.externalId))) {
        if (agent && !s.agent) s.agent = agent;
        if (agentSessionId && !s.externalId) s.externalId = agentSessionId;
        this.collector.touchSession(s);
      }
    }
    for (const r of toolResults) {
      const t = this.toolsByCallId.get(r.callId);
      if (!t) this.orphanResults.set(r.callId, { llmCallId: id, r });
      else if (t.resultLlmCallId === null) this.linkResult(t, id, r);
    }
    for (const tc of toolCalls) {
      const t = redactText(toToolCallRow(tc, { id: store.nextId('tool_calls'), llmCallId: id, sessionId: meta.sessionId }), TOOL_TEXT);
      this.toolsByCallId.set(tc.callId, t);
      const orphan = this.orphanResults.get(tc.callId);
      if (orphan) {
        this.orphanResults.delete(tc.callId);
        this.linkResult(t, orphan.llmCallId, orphan.r);
      } else store.putToolCall(t);
    }
  }

  private linkResult(t: ToolCallRow, llmCallId: number, r: LlmToolResult): void {
    t.resultLlmCallId = llmCallId;
    t.resultText = redactStoredText(r.text);
    t.resultIsError = r.isError;
    t.resultNs = r.tsNs;
    this.collector.store.putToolCall(t);
    this.collector.onToolResult?.(t);
  }

  onLoss(l: PipelineLoss): void {
    this.collector.loss(l.source, l.count, l.bytes, l.detail, l.processId, this.conns.connId(l.connKey));
  }
}
