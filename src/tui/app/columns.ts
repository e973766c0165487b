/**
 * The sessions table's columns, declared once as data: the header, the cells, the sort menu, the help screen and
 * the ranking all read this table. `sortValue` ranks; `cell` displays; `needs` names the SessionSummary fields used.
 */
import type { SessionSummary } from '../../store';
import { formatCost, formatCount, formatDuration } from '../../present';

export interface ColumnContext {
  atNs: number;
}

export interface Column {
  readonly id: string;
  readonly title: string;
  /** Fixed width in columns; the one column with width 0 takes the remaining space. */
  readonly width: number;
  readonly align: 'left' | 'right';
  readonly description: string;
  /** Sort descending first (largest first) when picked; names and times read better ascending. */
  readonly defaultDesc: boolean;
  readonly needs: ReadonlyArray<keyof SessionSummary>;
  sortValue(s: SessionSummary, ctx: ColumnContext): number | string;
  cell(s: SessionSummary, ctx: ColumnContext): string;
}

/** Health: every kind of trouble a session had, summed (HTTP errors / broken streams, failed tool calls, losses). */
export function healthScore(s: SessionSummary): number {
  return s.errors + s.failedToolCalls + s.losses;
}

export const COLUMNS: readonly Column[] = [
  {
    id: 'id', title: 'ID', width: 4, align: 'right', description: 'session number', defaultDesc: false, needs: ['id'],
    sortValue: (s) => s.id, cell: (s) => String(s.id),
  },
  {
    id: 'agent', title: 'AGENT', width: 11, align: 'left', description: 'agent (process family)', defaultDesc: false, needs: ['agent'],
    sortValue: (s) => s.agent ?? '', cell: (s) => s.agent ?? '?',
  },
  {
    // The first model in full and how many others ("gemini-3.5-flash-lite +1"): a name cut to another real model's
    // name ("gemini-3.5-flash") would mislead; a name too long for the cell is cut visibly (frame.ts cellText).
    id: 'model', title: 'MODEL', width: 26, align: 'left', description: 'models called (first, +others)', defaultDesc: false, needs: ['models'],
    sortValue: (s) => s.models.join(','), cell: (s) => (s.models.length === 0 ? '-' : `${s.models[0]}${s.models.length > 1 ? ` +${s.models.length - 1}` : ''}`),
  },
  {
    id: 'tokens', title: 'TOKENS', width: 7, align: 'right', description: 'all tokens so far (input, cache, output)', defaultDesc: true,
    needs: ['totalTokens'], sortValue: (s) => s.totalTokens, cell: (s) => formatCount(s.totalTokens),
  },
  {
    id: 'cost', title: 'COST', width: 7, align: 'right', description: 'cost of known-priced calls', defaultDesc: true, needs: ['costUsd'],
    sortValue: (s) => s.costUsd ?? -1, cell: (s) => formatCost(s.llmCalls === 0 ? 0 : s.costUsd),
  },
  {
    id: 'calls', title: 'CALLS', width: 5, align: 'right', description: 'LLM calls', defaultDesc: true, needs: ['llmCalls'],
    sortValue: (s) => s.llmCalls, cell: (s) => formatCount(s.llmCalls),
  },
  {
    id: 'health', title: 'HEALTH', width: 8, align: 'right', description: 'errors/failed tools/losses', defaultDesc: true,
    needs: ['errors', 'failedToolCalls', 'losses'], sortValue: healthScore,
    cell: (s) => (healthScore(s) === 0 ? 'ok' : `${s.errors}/${s.failedToolCalls}/${s.losses}`),
  },
  {
    id: 'tools', title: 'TOOLS', width: 5, align: 'right', description: 'tool calls requested', defaultDesc: true, needs: ['toolCalls'],
    sortValue: (s) => s.toolCalls, cell: (s) => formatCount(s.toolCalls),
  },
  {
    id: 'procs', title: 'PROCS', width: 9, align: 'right', description: 'processes (running/all)', defaultDesc: true,
    needs: ['processes', 'liveProcesses'], sortValue: (s) => s.processes, cell: (s) => `${s.liveProcesses}/${formatCount(s.processes)}`,
  },
  {
    id: 'files', title: 'FILES', width: 6, align: 'right', description: 'file changes', defaultDesc: true, needs: ['filesChanged'],
    sortValue: (s) => s.filesChanged, cell: (s) => formatCount(s.filesChanged),
  },
  {
    id: 'net', title: 'NET', width: 5, align: 'right', description: 'network operations', defaultDesc: true, needs: ['netConns'],
    sortValue: (s) => s.netConns, cell: (s) => formatCount(s.netConns),
  },
  {
    id: 'idle', title: 'IDLE', width: 6, align: 'right', description: 'time since last activity', defaultDesc: false, needs: ['lastActivityNs'],
    sortValue: (s, c) => c.atNs - s.lastActivityNs, cell: (s, c) => formatDuration(c.atNs - s.lastActivityNs),
  },
  {
    id: 'title', title: 'SESSION', width: 0, align: 'left', description: 'session title (command or agent and cwd)', defaultDesc: false,
    needs: ['title'], sortValue: (s) => s.title, cell: (s) => s.title,
  },
];

export function columnById(id: string): Column {
  return COLUMNS.find((c) => c.id === id) ?? COLUMNS[0];
}
