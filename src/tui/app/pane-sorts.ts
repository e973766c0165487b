/**
 * What each pane can be sorted by, as data (htop's F6 menu lists these for the focused pane). Sessions sort by
 * their table's columns (columns.ts); the Processes pane sorts the children of each process, so the tree stays a
 * tree; Files and Network sort their rows. The Prompts pane has no columns: it stays in time order, calls with
 * their tool calls under them.
 */
import type { FileChange } from '../../store';
import { processDurationNs } from '../../present';
import type { NetDest, ProcessNode } from '../session-detail';
import { COLUMNS } from './columns';
import type { PaneId } from './view-state';

export interface SortKey<R> {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Largest first when picked (counts, sizes); names and times read better ascending. */
  readonly defaultDesc: boolean;
  value(row: R, atNs: number): number | string;
}

export type SortablePane = 'processes' | 'files' | 'network';

export const PROCESS_SORTS: readonly SortKey<ProcessNode>[] = [
  { id: 'start', title: 'START', description: 'start time (as started)', defaultDesc: false, value: (n) => n.proc.startNs },
  { id: 'pid', title: 'PID', description: 'process id', defaultDesc: false, value: (n) => n.proc.pid },
  { id: 'status', title: 'STATUS', description: 'running first, then by exit code', defaultDesc: false, value: (n, at) => (n.proc.exitNs === null || n.proc.exitNs > at ? -1 : n.proc.exitCode ?? 1000) },
  { id: 'time', title: 'TIME', description: 'how long it ran', defaultDesc: true, value: (n, at) => processDurationNs(n.proc, at) },
  { id: 'command', title: 'COMMAND', description: 'command line', defaultDesc: false, value: (n) => (n.proc.argv.length > 0 ? n.proc.argv.join(' ') : n.proc.comm) },
];

export const FILE_SORTS: readonly SortKey<FileChange>[] = [
  { id: 'first', title: 'FIRST', description: 'first change (as changed)', defaultDesc: false, value: (f) => f.firstNs },
  { id: 'path', title: 'PATH', description: 'path', defaultDesc: false, value: (f) => f.path },
  { id: 'op', title: 'OP', description: 'operation', defaultDesc: false, value: (f) => f.op },
  { id: 'count', title: 'COUNT', description: 'times changed', defaultDesc: true, value: (f) => f.count },
  { id: 'bytes', title: 'BYTES', description: 'bytes written', defaultDesc: true, value: (f) => f.bytes },
];

export const NET_SORTS: readonly SortKey<NetDest>[] = [
  { id: 'first', title: 'FIRST', description: 'first seen (as seen)', defaultDesc: false, value: (d) => d.firstNs },
  { id: 'dest', title: 'DESTINATION', description: 'host or address', defaultDesc: false, value: (d) => d.host ?? d.target },
  { id: 'count', title: 'COUNT', description: 'operations', defaultDesc: true, value: (d) => d.count },
  { id: 'bytes', title: 'BYTES', description: 'bytes sent and received', defaultDesc: true, value: (d) => d.bytesSent + d.bytesRecv },
  { id: 'failures', title: 'FAILED', description: 'failed operations', defaultDesc: true, value: (d) => d.failures },
];

/** The sort keys the F6 menu offers for a pane (none for Prompts). */
export function sortChoices(pane: PaneId): ReadonlyArray<{ id: string; title: string; description: string; defaultDesc: boolean }> {
  switch (pane) {
    case 'sessions': return COLUMNS;
    case 'processes': return PROCESS_SORTS;
    case 'files': return FILE_SORTS;
    case 'network': return NET_SORTS;
    case 'prompts': return [];
  }
}

function compare(a: number | string, b: number | string): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
}

/** Rows sorted by a key (stable: ties keep their order); the first key of the list is the natural order. */
export function sortRows<R>(rows: readonly R[], keys: readonly SortKey<R>[], by: string, invert: boolean, atNs: number): R[] {
  const key = keys.find((k) => k.id === by) ?? keys[0];
  const desc = key.defaultDesc !== invert;
  const keyed = rows.map((r, i) => ({ r, i, k: key.value(r, atNs) }));
  keyed.sort((a, b) => (desc ? -compare(a.k, b.k) : compare(a.k, b.k)) || a.i - b.i);
  return keyed.map((x) => x.r);
}

/** A process forest with each node's children (and the roots) sorted; the natural order returns it as it is. */
export function sortForest(roots: readonly ProcessNode[], by: string, invert: boolean, atNs: number): ProcessNode[] {
  if ((by === PROCESS_SORTS[0].id || !PROCESS_SORTS.some((k) => k.id === by)) && !invert) return [...roots];
  const sortNodes = (nodes: readonly ProcessNode[]): ProcessNode[] =>
    sortRows(nodes, PROCESS_SORTS, by, invert, atNs).map((n) => (n.children.length > 0 ? { ...n, children: sortNodes(n.children) } : n));
  return sortNodes(roots);
}
