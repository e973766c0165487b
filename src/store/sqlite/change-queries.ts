/**
 * Files changed and network destinations: the grouped queries of the detail panes, answered from a finished
 * recording's summaries for a whole session, else from the rows (docs/figures.md).
 */
import {
  FILE_CHANGE_COLUMNS,
  FILE_CHANGE_COUNT_SUMMARY_SQL,
  FILE_CHANGE_GROUP,
  FILE_CHANGE_ORDER,
  FILE_CHANGE_SUMMARY_SQL,
  FILE_CHANGE_WHERE,
  NET_DEST_COLUMNS,
  NET_DEST_COUNT_SUMMARY_SQL,
  NET_DEST_GROUP,
  NET_DEST_ORDER,
  NET_DEST_SUMMARY_SQL,
} from '../end-summaries';
import type { FileChange, FileChangeQuery, NetDestination, TimeQuery } from '../store';
import type { ReadContext } from './read-context';
import { END_OF_TIME, limit } from './statements';

type ProcessQuery = FileChangeQuery;

export function fileChanges(c: ReadContext, q: ProcessQuery): FileChange[] {
  const at = q.atNs ?? END_OF_TIME;
  const { where, params } = fileChangeFilter(at, q);
  const rows = () =>
    c.st.stmt(`SELECT ${FILE_CHANGE_COLUMNS} FROM file_ops WHERE ${where}
       GROUP BY ${FILE_CHANGE_GROUP} ORDER BY ${FILE_CHANGE_ORDER} ${limit(q)}`).all(...params) as FileChange[];
  // The end summaries hold a whole session's changes: a process's or a directory's are read from the rows.
  if (q.sessionId === undefined || q.processId !== undefined || q.under !== undefined) return rows();
  const sid = q.sessionId;
  return c.gate.fromSummaryOrRows(at, () => c.st.stmt(`${FILE_CHANGE_SUMMARY_SQL} ${limit(q)}`).all(sid) as FileChange[], rows);
}

export function fileChangeCounts(c: ReadContext, q: ProcessQuery): Array<{ op: string; count: number }> {
  const at = q.atNs ?? END_OF_TIME;
  const { where, params } = fileChangeFilter(at, q);
  const rows = () =>
    c.st.stmt(`SELECT op, COUNT(*) AS count FROM (SELECT op FROM file_ops WHERE ${where} GROUP BY ${FILE_CHANGE_GROUP})
       GROUP BY op ORDER BY op`).all(...params) as Array<{ op: string; count: number }>;
  if (q.sessionId === undefined || q.processId !== undefined || q.under !== undefined) return rows();
  const sid = q.sessionId;
  return c.gate.fromSummaryOrRows(at, () => c.st.stmt(FILE_CHANGE_COUNT_SUMMARY_SQL).all(sid) as Array<{ op: string; count: number }>, rows);
}

export function filesChanged(c: ReadContext, q: TimeQuery): number {
  const { where, params } = fileChangeFilter(q.atNs ?? END_OF_TIME, q);
  return (c.st.stmt(`SELECT COUNT(DISTINCT path) AS n FROM file_ops WHERE ${where}`).get(...params) as { n: number }).n;
}

export function netDestinations(c: ReadContext, q: TimeQuery): NetDestination[] {
  const at = q.atNs ?? END_OF_TIME;
  const { where, params } = netDestFilter(at, q);
  const rows = () =>
    c.st.stmt(`SELECT ${NET_DEST_COLUMNS} FROM net_conns WHERE ${where}
       GROUP BY ${NET_DEST_GROUP} ORDER BY ${NET_DEST_ORDER} ${limit(q)}`).all(...params) as NetDestination[];
  if (q.sessionId === undefined) return rows();
  const sid = q.sessionId;
  return c.gate.fromSummaryOrRows(at, () => c.st.stmt(`${NET_DEST_SUMMARY_SQL} ${limit(q)}`).all(sid) as NetDestination[], rows);
}

export function netDestinationCount(c: ReadContext, q: TimeQuery): number {
  const at = q.atNs ?? END_OF_TIME;
  const { where, params } = netDestFilter(at, q);
  const rows = () =>
    (c.st.stmt(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM net_conns WHERE ${where} GROUP BY ${NET_DEST_GROUP})`).get(...params) as { n: number }).n;
  if (q.sessionId === undefined) return rows();
  const sid = q.sessionId;
  return c.gate.fromSummaryOrRows(at, () => (c.st.stmt(NET_DEST_COUNT_SUMMARY_SQL).get(sid) as { n: number }).n, rows);
}

/** WHERE terms and parameters of the file-change readers (changes as of `at`, optionally of one session/process). */
function fileChangeFilter(at: number, q: { sessionId?: number; processId?: number; under?: string }): { where: string; params: unknown[] } {
  const terms = [`first_ns <= ?`, FILE_CHANGE_WHERE];
  const params: unknown[] = [at];
  if (q.sessionId !== undefined) { terms.push('session_id = ?'); params.push(q.sessionId); }
  if (q.processId !== undefined) { terms.push('process_id = ?'); params.push(q.processId); }
  if (q.under !== undefined) {
    // The directory itself or a path below it (a prefix compare: LIKE would read '_' and '%' in a path as wildcards).
    const dir = q.under.replace(/\/+$/, '') || '/';
    const prefix = dir === '/' ? '/' : `${dir}/`;
    terms.push('(path = ? OR substr(path, 1, ?) = ?)');
    params.push(dir, prefix.length, prefix);
  }
  return { where: terms.join(' AND '), params };
}

function netDestFilter(at: number, q: { sessionId?: number }): { where: string; params: unknown[] } {
  const terms = ['first_ns <= ?'];
  const params: unknown[] = [at];
  if (q.sessionId !== undefined) { terms.push('session_id = ?'); params.push(q.sessionId); }
  return { where: terms.join(' AND '), params };
}
