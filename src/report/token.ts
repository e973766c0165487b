/** `agentsight report token`: token use and cost of the recorded LLM calls, grouped by model, session, agent or day. */
import path from 'node:path';
import type { Completeness, LlmCallRow, RecordingReader } from '../store';
import type { ReportContext } from './context';
import { writeJson } from './context';
import { dayInRange, isUnbounded, type DayRange } from './day-range';
import { EXIT_BAD_INPUT, EXIT_NOTHING_FOUND, EXIT_OK, ReportError } from './errors';
import { formatCost, formatInt } from '../present';
import { callModel, callTokens } from './llm-usage';
import { eachRecording, type RecordingSource } from './recordings';
import { renderTable } from './table';
import { emptyTotals, groupUsage, mergeTotals, totalsJson, type UsageTotals } from './usage';

export const TOKEN_SCHEMA_ID = 'agentsight.report.token/2';
export const TOKEN_GROUPS = ['model', 'session', 'agent', 'day'] as const;
export type TokenGroup = (typeof TOKEN_GROUPS)[number];

export function parseTokenGroup(v: string | undefined): TokenGroup {
  const g = (v ?? 'model') as TokenGroup;
  if (!TOKEN_GROUPS.includes(g)) throw new ReportError(`--group-by must be one of ${TOKEN_GROUPS.join(', ')} (got "${v}")`);
  return g;
}

export interface TokenRow extends UsageTotals {
  key: string;
}

/** Where a `report token` reads (recordings.ts). */
export type TokenSource = RecordingSource;

/** Group key of one call; a session is named by its file when several recordings are summed (ids restart per file). */
function keyFn(store: RecordingReader, groupBy: TokenGroup, ctx: ReportContext, fileLabel: string | null): (c: LlmCallRow) => string {
  const sessions = new Map(store.sessions().map((s) => [s.id, s]));
  return (c) => {
    switch (groupBy) {
      case 'model':
        return callModel(c) ?? 'unknown';
      case 'session': {
        const where = fileLabel ? `${fileLabel} ` : '';
        if (c.sessionId === null) return `${where}no session`;
        const s = sessions.get(c.sessionId);
        return s ? `${where}#${s.id} ${s.agent ?? 'unknown'}` : `${where}#${c.sessionId}`;
      }
      case 'agent':
        return (c.sessionId !== null ? sessions.get(c.sessionId)?.agent : null) ?? 'unknown';
      case 'day':
        return ctx.clock.day(c.startNs / 1e6);
    }
  };
}

/** Add one recording's calls (those on a day of the range) to the groups. */
function addRecording(grouped: Map<string, UsageTotals>, store: RecordingReader, groupBy: TokenGroup, ctx: ReportContext, range: DayRange, fileLabel: string | null): void {
  const calls = store.llmCalls().filter((c) => dayInRange(range, ctx.clock.day(c.startNs / 1e6)));
  const key = keyFn(store, groupBy, ctx, fileLabel);
  for (const [k, t] of groupUsage(calls, key, callTokens, (c) => c.costUsd)) {
    const into = grouped.get(k);
    if (into) mergeTotals(into, t);
    else grouped.set(k, t);
  }
}

function sortedRows(grouped: Map<string, UsageTotals>, groupBy: TokenGroup): { rows: TokenRow[]; total: UsageTotals } {
  const rows = [...grouped].map(([k, t]) => ({ key: k, ...t }));
  if (groupBy === 'day') rows.sort((a, b) => a.key.localeCompare(b.key));
  else rows.sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  const total = emptyTotals();
  for (const r of rows) mergeTotals(total, r);
  return { rows, total };
}

/** Usage totals per group of one recording, largest total first (days in date order), and the grand total. */
export function tokenRows(store: RecordingReader, groupBy: TokenGroup, ctx: ReportContext, range: DayRange = { since: null, until: null }): { rows: TokenRow[]; total: UsageTotals } {
  const grouped = new Map<string, UsageTotals>();
  addRecording(grouped, store, groupBy, ctx, range, null);
  return sortedRows(grouped, groupBy);
}

/**
 * `report token` over its source: every recording is opened in turn and its calls summed into the same groups, with
 * the conventions of one recording (docs/figures.md). A recording that cannot be read is skipped with a note, listed
 * in the JSON, and makes the exit status 2: a total that silently lacks a file would pass for the whole.
 */
export function runToken(source: TokenSource, groupBy: TokenGroup, ctx: ReportContext): number {
  const grouped = new Map<string, UsageTotals>();
  const read: Array<{ path: string; completeness: Completeness }> = [];
  const skipped = eachRecording(source, ctx, (store) => {
    addRecording(grouped, store, groupBy, ctx, source.range, source.many ? path.basename(store.path) : null);
    read.push({ path: store.path, completeness: store.completeness() });
  });
  const { rows, total } = sortedRows(grouped, groupBy);
  const where = read.length === 1 && !source.many ? read[0].path : `${read.length} ${read.length === 1 ? 'recording' : 'recordings'} in ${ctx.dir}`;
  const code = skipped.length ? EXIT_BAD_INPUT : rows.length ? EXIT_OK : EXIT_NOTHING_FOUND;
  if (ctx.json) {
    writeJson(ctx, {
      schema: TOKEN_SCHEMA_ID,
      recording: source.many ? null : (read[0]?.path ?? null),
      recordings: read.map((r) => r.path),
      range: source.range,
      groupBy,
      rows: rows.map((r) => ({ key: r.key, ...totalsJson(r) })),
      total: totalsJson(total),
      completeness: source.many ? null : (read[0]?.completeness ?? null),
      skipped,
    });
    return code;
  }
  if (rows.length === 0) {
    const when = isUnbounded(source.range) ? '' : ` from ${source.range.since ?? 'the start'} to ${source.range.until ?? 'the end'}`;
    const what = source.many && read.length === 0 && skipped.length === 0 ? `no recordings in ${ctx.dir} ran${when}` : `${where}: no LLM calls recorded${when}`;
    throw new ReportError(what, skipped.length ? EXIT_BAD_INPUT : EXIT_NOTHING_FOUND);
  }
  ctx.io.out(renderUsageTable(groupBy.toUpperCase(), rows, { key: 'TOTAL', ...total }, ctx));
  if (source.many) ctx.io.out(`${where}${skipped.length ? `, ${skipped.length} skipped` : ''}\n`);
  if (total.unknownCostCalls) {
    ctx.io.out(ctx.painter.paint('yellow', `${total.unknownCostCalls} call(s) with unknown price (unknown model or no usage): costs marked + are lower bounds\n`));
  }
  return code;
}

/** The usage table shared by `report token` and `report --local`. */
export function renderUsageTable(keyTitle: string, rows: readonly TokenRow[], footer: TokenRow | undefined, ctx: ReportContext, extra: Array<{ title: string; value: (r: TokenRow) => string }> = []): string {
  return renderTable<TokenRow>(
    [
      { title: keyTitle, value: (r) => r.key, maxWidth: 48 },
      ...extra,
      { title: 'CALLS', align: 'right', value: (r) => formatInt(r.calls) },
      { title: 'INPUT', align: 'right', value: (r) => formatInt(r.input) },
      { title: 'OUTPUT', align: 'right', value: (r) => formatInt(r.output) },
      { title: 'CACHE READ', align: 'right', value: (r) => formatInt(r.cacheRead) },
      { title: 'CACHE WRITE', align: 'right', value: (r) => formatInt(r.cacheWrite) },
      { title: 'REASONING', align: 'right', value: (r) => formatInt(r.reasoning) },
      { title: 'TOTAL', align: 'right', value: (r) => formatInt(r.total) },
      { title: 'COST', align: 'right', value: (r) => formatCost(r.costUsd, r.unknownCostCalls) },
    ],
    rows,
    ctx.painter,
    footer,
  );
}
