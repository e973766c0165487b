/** `agentsight report prompts`: every LLM call; with --json the full request and response bodies. */
import { tokenFigures, type LlmCallRow, type RecordingReader, type ToolCallRow } from '../store';
import type { ReportContext } from './context';
import { writeJson } from './context';
import { EXIT_NOTHING_FOUND, EXIT_OK, ReportError } from './errors';
import { formatCost, formatDuration, formatInt, oneLine } from '../present';
import { callFailed, callModel } from './llm-usage';
import { renderTable } from './table';

export const PROMPTS_SCHEMA_ID = 'agentsight.report.prompts/1';

/** Stored JSON text as a value; text that is not valid JSON (a clipped body) is kept as the string it is. */
function parsedOrRaw(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toolJson(t: ToolCallRow): Record<string, unknown> {
  return {
    id: t.id,
    callId: t.callId,
    name: t.name,
    input: parsedOrRaw(t.inputJson),
    tsNs: t.tsNs,
    resultLlmCallId: t.resultLlmCallId,
    resultIsError: t.resultIsError,
    resultText: t.resultText,
  };
}


/** A call that reported no usage: every kind unknown, never a made-up zero. */
const NO_USAGE = { inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null, totalTokens: null };
export function promptJson(c: LlmCallRow, tools: readonly ToolCallRow[], ctx: ReportContext): Record<string, unknown> {
  return {
    id: c.id,
    sessionId: c.sessionId,
    processId: c.processId,
    exchangeId: c.exchangeId,
    provider: c.provider,
    host: c.host,
    endpoint: c.endpoint,
    streaming: c.streaming,
    requestModel: c.requestModel,
    responseModel: c.responseModel,
    startNs: c.startNs,
    firstTokenNs: c.firstTokenNs,
    endNs: c.endNs,
    start: ctx.clock.iso(c.startNs),
    httpStatus: c.httpStatus,
    error: c.error,
    incomplete: c.incomplete,
    stopReason: c.stopReason,
    // The views' token kinds (docs/figures.md); null when the call reported no usage.
    usage: c.inputTokens === null && c.outputTokens === null ? NO_USAGE : tokenFigures(c),
    costUsd: c.costUsd,
    systemPrompt: c.systemPrompt,
    responseText: c.responseText,
    thinking: c.thinking,
    toolCalls: tools.map(toolJson),
    request: parsedOrRaw(c.requestJson),
    response: parsedOrRaw(c.responseJson),
  };
}

export function runPrompts(store: RecordingReader, ctx: ReportContext): number {
  const calls = store.llmCalls({ full: ctx.json });
  const toolsByCall = new Map<number, ToolCallRow[]>();
  for (const t of store.toolCalls()) {
    const list = toolsByCall.get(t.llmCallId) ?? [];
    list.push(t);
    toolsByCall.set(t.llmCallId, list);
  }
  if (ctx.json) {
    writeJson(ctx, {
      schema: PROMPTS_SCHEMA_ID,
      recording: store.path,
      calls: calls.map((c) => promptJson(c, toolsByCall.get(c.id) ?? [], ctx)),
      // whether calls may be missing (TLS that was not decrypted, losses)
      completeness: store.completeness(),
    });
    return calls.length ? EXIT_OK : EXIT_NOTHING_FOUND;
  }
  if (calls.length === 0) throw new ReportError(`${store.path}: no LLM calls recorded`, EXIT_NOTHING_FOUND);
  const p = ctx.painter;
  // The last message of each request (what the user or the tool loop just said), from the store's text index.
  // The last user turn's text (store/message-text.ts), from at most its last 16,000 characters.
  const promptOf = new Map(store.llmCallTexts({ maxChars: 4000 }).map((t) => [t.id, t.prompt]));
  ctx.io.out(
    renderTable<LlmCallRow>(
      [
        { title: 'ID', align: 'right', value: (c) => String(c.id) },
        { title: 'TIME', value: (c) => ctx.clock.time(c.startNs) },
        { title: 'SES', align: 'right', value: (c) => (c.sessionId === null ? '-' : String(c.sessionId)) },
        { title: 'PROVIDER', value: (c) => c.provider },
        { title: 'MODEL', value: (c) => callModel(c) ?? '?', maxWidth: 32 },
        {
          title: 'STATUS',
          value: (c) => (c.httpStatus !== null && c.httpStatus >= 400 ? String(c.httpStatus) : c.error ? 'error' : c.incomplete ? 'partial' : c.httpStatus === null ? '-' : String(c.httpStatus)),
          style: (c) => (callFailed(c) ? 'red' : null),
        },
        { title: 'IN', align: 'right', value: (c) => formatInt(c.inputTokens === null ? null : tokenFigures(c).inputTokens) },
        { title: 'CACHE', align: 'right', value: (c) => formatInt(c.inputTokens === null ? null : tokenFigures(c).cacheReadTokens + tokenFigures(c).cacheWriteTokens) },
        { title: 'OUT', align: 'right', value: (c) => formatInt(c.outputTokens) },
        { title: 'COST', align: 'right', value: (c) => formatCost(c.costUsd) },
        { title: 'TIME', align: 'right', value: (c) => (c.endNs === null ? '-' : formatDuration(c.endNs - c.startNs)) },
        { title: 'TOOLS', value: (c) => (toolsByCall.get(c.id) ?? []).map((t) => t.name).join(',') || '-', maxWidth: 30 },
        { title: 'PROMPT', value: (c) => oneLine(promptOf.get(c.id) ?? '', 48) },
        { title: 'RESPONSE', value: (c) => oneLine(c.error ?? c.responseText ?? c.stopReason ?? '', 48) },
      ],
      calls,
      p,
    ),
  );
  return EXIT_OK;
}
