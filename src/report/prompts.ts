/** `agentsight report prompts`: every LLM call; with --json the full request and response bodies. */
import path from 'node:path';
import { tokenFigures, type Completeness, type LlmCallRow, type RecordingReader, type ToolCallRow } from '../store';
import { dayInRange, isUnbounded, type DayRange } from './day-range';
import type { ReportContext } from './context';
import { writeJson } from './context';
import { EXIT_BAD_INPUT, EXIT_NOTHING_FOUND, EXIT_OK, ReportError } from './errors';
import { formatCost, formatDuration, formatInt, oneLine } from '../present';
import { callFailed, callModel } from './llm-usage';
import { eachRecording, type RecordingSource } from './recordings';
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

/** Where `report prompts` reads (recordings.ts). */
export type PromptsSource = RecordingSource;

/** One recording's calls (on a day of the range) with their tool calls and prompts. */
interface RecordingCalls {
  path: string;
  calls: LlmCallRow[];
  toolsByCall: Map<number, ToolCallRow[]>;
  promptOf: Map<number, string | null>;
  completeness: Completeness;
}

function readCalls(store: RecordingReader, ctx: ReportContext, range: DayRange): RecordingCalls {
  const calls = store.llmCalls({ full: ctx.json }).filter((c) => dayInRange(range, ctx.clock.day(c.startNs / 1e6)));
  const toolsByCall = new Map<number, ToolCallRow[]>();
  for (const t of store.toolCalls()) {
    const list = toolsByCall.get(t.llmCallId) ?? [];
    list.push(t);
    toolsByCall.set(t.llmCallId, list);
  }
  // The last user turn's text (store/message-text.ts), from at most its last 16,000 characters.
  const promptOf = ctx.json ? new Map<number, string | null>() : new Map(store.llmCallTexts({ maxChars: 4000 }).map((t) => [t.id, t.prompt]));
  return { path: store.path, calls, toolsByCall, promptOf, completeness: store.completeness() };
}

/**
 * `report prompts` over its source. Several recordings are read in turn (oldest first) with the conventions of one;
 * a recording that cannot be read is skipped with a note, listed in the JSON, and makes the exit status 2.
 */
export function runPrompts(source: PromptsSource, ctx: ReportContext): number {
  const read: RecordingCalls[] = [];
  const skipped = eachRecording(source, ctx, (store) => read.push(readCalls(store, ctx, source.range)));
  const total = read.reduce((n, r) => n + r.calls.length, 0);
  const code = skipped.length ? EXIT_BAD_INPUT : total ? EXIT_OK : EXIT_NOTHING_FOUND;
  if (ctx.json) {
    const calls = read.flatMap((r) => r.calls.map((c) => ({ ...promptJson(c, r.toolsByCall.get(c.id) ?? [], ctx), ...(source.many ? { recording: r.path } : {}) })));
    writeJson(ctx, source.many
      ? { schema: PROMPTS_SCHEMA_ID, recording: null, recordings: read.map((r) => r.path), range: source.range, calls, completeness: null, skipped }
      // whether calls may be missing (TLS that was not decrypted, losses)
      : { schema: PROMPTS_SCHEMA_ID, recording: read[0].path, calls, completeness: read[0].completeness });
    return code;
  }
  const where = source.many ? `${read.length} ${read.length === 1 ? 'recording' : 'recordings'} in ${ctx.dir}` : read[0].path;
  if (total === 0) {
    const when = isUnbounded(source.range) ? '' : ` from ${source.range.since ?? 'the start'} to ${source.range.until ?? 'the end'}`;
    const what = source.many && read.length === 0 && skipped.length === 0 ? `no recordings in ${ctx.dir} ran${when}` : `${where}: no LLM calls recorded${when}`;
    throw new ReportError(what, skipped.length ? EXIT_BAD_INPUT : EXIT_NOTHING_FOUND);
  }
  const rows = read.flatMap((r) => r.calls.map((c) => ({ c, r })));
  const p = ctx.painter;
  ctx.io.out(
    renderTable<{ c: LlmCallRow; r: RecordingCalls }>(
      [
        ...(source.many ? [{ title: 'RECORDING', value: (x: { r: RecordingCalls }) => path.basename(x.r.path), maxWidth: 32 }] : []),
        { title: 'ID', align: 'right', value: ({ c }) => String(c.id) },
        { title: 'TIME', value: ({ c }) => (source.many ? ctx.clock.day(c.startNs / 1e6) + ' ' : '') + ctx.clock.time(c.startNs) },
        { title: 'SES', align: 'right', value: ({ c }) => (c.sessionId === null ? '-' : String(c.sessionId)) },
        { title: 'PROVIDER', value: ({ c }) => c.provider },
        { title: 'MODEL', value: ({ c }) => callModel(c) ?? '?', maxWidth: 32 },
        {
          title: 'STATUS',
          value: ({ c }) => (c.httpStatus !== null && c.httpStatus >= 400 ? String(c.httpStatus) : c.error ? 'error' : c.incomplete ? 'partial' : c.httpStatus === null ? '-' : String(c.httpStatus)),
          style: ({ c }) => (callFailed(c) ? 'red' : null),
        },
        { title: 'IN', align: 'right', value: ({ c }) => formatInt(c.inputTokens === null ? null : tokenFigures(c).inputTokens) },
        { title: 'CACHE', align: 'right', value: ({ c }) => formatInt(c.inputTokens === null ? null : tokenFigures(c).cacheReadTokens + tokenFigures(c).cacheWriteTokens) },
        { title: 'OUT', align: 'right', value: ({ c }) => formatInt(c.outputTokens) },
        { title: 'COST', align: 'right', value: ({ c }) => formatCost(c.costUsd) },
        { title: 'TIME', align: 'right', value: ({ c }) => (c.endNs === null ? '-' : formatDuration(c.endNs - c.startNs)) },
        { title: 'TOOLS', value: ({ c, r }) => (r.toolsByCall.get(c.id) ?? []).map((t) => t.name).join(',') || '-', maxWidth: 30 },
        { title: 'PROMPT', value: ({ c, r }) => oneLine(r.promptOf.get(c.id) ?? '', 48) },
        { title: 'RESPONSE', value: ({ c }) => oneLine(c.error ?? c.responseText ?? c.stopReason ?? '', 48) },
      ],
      rows,
      p,
    ),
  );
  if (source.many) ctx.io.out(`${total} calls in ${where}${skipped.length ? `, ${skipped.length} skipped` : ''}\n`);
  return code;
}
