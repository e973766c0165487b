/**
 * Maps decoder output onto the store's row types (src/store/types.ts). The caller assigns ids; these functions
 * only copy and serialise, so the mapping lives next to the types it reads.
 */
import type { HttpExchangeRow, LlmCallRow, ToolCallRow } from '../../store/types';
import type { HttpExchange } from '../../protocols/http/types';
import type { LlmCall, LlmToolCall } from '../../protocols/llm/types';

export function toHttpExchangeRow(ex: HttpExchange, ids: { id: number; connId: number | null; processId: number | null; sessionId: number | null }): HttpExchangeRow {
  return {
    id: ids.id,
    connId: ids.connId,
    processId: ids.processId,
    sessionId: ids.sessionId,
    streamId: ex.streamId,
    protocol: ex.protocol,
    method: ex.method,
    host: ex.host,
    path: ex.path,
    status: ex.status,
    reqHeaders: JSON.stringify(ex.reqHeaders),
    respHeaders: JSON.stringify(ex.respHeaders),
    reqBody: ex.reqBody,
    respBody: ex.respBody,
    startNs: ex.startNs,
    firstByteNs: ex.firstByteNs,
    endNs: ex.endNs,
    complete: ex.complete,
    error: ex.error,
  };
}

export function toLlmCallRow(call: LlmCall, ids: { id: number; exchangeId: number | null; sessionId: number | null; processId: number | null }): LlmCallRow {
  return {
    id: ids.id,
    exchangeId: ids.exchangeId,
    sessionId: ids.sessionId,
    processId: ids.processId,
    provider: call.provider,
    host: call.host,
    endpoint: call.endpoint,
    streaming: call.streaming,
    requestModel: call.requestModel,
    responseModel: call.responseModel,
    systemPrompt: call.systemPrompt,
    requestJson: call.requestJson,
    responseJson: call.responseJson,
    responseText: call.responseText,
    thinking: call.thinking,
    stopReason: call.stopReason,
    inputTokens: call.inputTokens,
    outputTokens: call.outputTokens,
    cacheReadTokens: call.cacheReadTokens,
    cacheWriteTokens: call.cacheWriteTokens,
    reasoningTokens: call.reasoningTokens,
    costUsd: call.costUsd,
    httpStatus: call.httpStatus,
    error: call.error,
    startNs: call.startNs,
    firstTokenNs: call.firstTokenNs,
    endNs: call.endNs,
    incomplete: call.incomplete,
  };
}

/** A tool call row; the result fields stay null until a later request carries its result (link by callId). */
export function toToolCallRow(t: LlmToolCall, ids: { id: number; llmCallId: number; sessionId: number | null }): ToolCallRow {
  return {
    id: ids.id,
    llmCallId: ids.llmCallId,
    sessionId: ids.sessionId,
    callId: t.callId,
    name: t.name,
    inputJson: t.inputJson,
    tsNs: t.tsNs,
    resultLlmCallId: null,
    resultText: null,
    resultIsError: null,
    resultNs: null,
  };
}
