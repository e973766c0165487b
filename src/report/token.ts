/** `agentsight report token`: token use and cost of the recorded LLM calls, grouped by model, session, agent or day. */
import type { LlmCallRow, RecordingReader } from '../store';
import type { ReportContext } from './context';
import { writeJson } from './context';
import { EXIT_NOTHING_FOUND, EXIT_OK, ReportError } from './errors';
import { formatCost, formatInt } from '../present';
import { callModel, callTokens } from './llm-usage';
import { renderTable } from './table';
import { emptyTotals, groupUsage, mergeTotals, totalsJson, type UsageTotals } from './usage';

export const TOKEN_SCHEMA_ID = 'agentsight.report.token/1';
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

/** Usage totals per group, largest total first (days in date order), and the grand total. */
export function tokenRows(store: RecordingReader, groupBy: TokenGroup, ctx: ReportContext): { rows: TokenRow[]; total: UsageTotals } {
  const calls = store.llmCalls();
  const sessions = new Map(store.sessions().map((s) => [s.id, s]));
  const key = (c: LlmCallRow): string => {
    switch (groupBy) {
      case 'model':
        return callModel(c) ?? 'unknown';
      case 'session': {
        if (c.sessionId === null) return 'no session';
        const s = sessions.get(c.sessionId);
        return s ? `#${s.id} ${s.agent ?? 'unknown'}` : `#${c.sessionId}`;
      }
      case 'agent':
        return (c.sessionId !== null ? sessions.get(c.sessionId)?.agent : null) ?? 'unknown';
      case 'day':
        return ctx.clock.day(c.startNs / 1e6);
    }
  };
  const grouped = groupUsage(calls, key, callTokens, (c) => c.costUsd);
  const rows = [...grouped].map(([k, t]) => ({ key: k, ...t }));
  if (groupBy === 'day') rows.sort((a, b) => a.key.localeCompare(b.key));
  else rows.sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  const total = emptyTotals();
  for (const r of rows) mergeTotals(total, r);
  return { rows, total };
}

export function runToken(store: RecordingReader, groupBy: TokenGroup, ctx: ReportContext): number {
  const { rows, total } = tokenRows(store, groupBy, ctx);
  if (ctx.json) {
    writeJson(ctx, {
      schema: TOKEN_SCHEMA_ID,
      recording: store.path,
      groupBy,
      rows: rows.map((r) => ({ key: r.key, ...totalsJson(r) })),
      total: totalsJson(total),
      completeness: store.completeness(),
    });
    return rows.length ? EXIT_OK : EXIT_NOTHING_FOUND;
  }
  if (rows.length === 0) throw new ReportError(`${store.path}: no LLM calls recorded`, EXIT_NOTHING_FOUND);
  ctx.io.out(renderUsageTable(groupBy.toUpperCase(), rows, { key: 'TOTAL', ...total }, ctx));
  if (total.unknownCostCalls) {
    ctx.io.out(ctx.painter.paint('yellow', `${total.unknownCostCalls} call(s) with unknown price (unknown model or no usage): costs marked + are lower bounds\n`));
  }
  return EXIT_OK;
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
