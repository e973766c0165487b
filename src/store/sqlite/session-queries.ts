/**
 * The recording- and session-level answers: info (span and counts), recordingState, the sessions with their
 * aggregates, and the completeness verdict every surface prints. Aggregates come from a finished recording's
 * summaries when they hold for the moment asked (summaries.ts), else from the rows.
 */
import { COUNT_COLUMNS, COUNTS_SQL, sessionAggregatesSql, sessionBucketSql, sessionSummarySql } from '../end-summaries';
import { costFigure, tokenFigures } from '../figures';
import { recordingStateOf, type RecordingState } from '../recording-state';
import { COMPLETENESS_CONNECTIONS, TLS_NOT_DECRYPTED_SOURCES } from '../store';
import type { Completeness, LossTotal, RecordingInfo, SessionSummary, TimeQuery } from '../store';
import { TABLES, decodeRow } from '../table-specs';
import type { SessionRow } from '../types';
import { filesChanged } from './change-queries';
import type { ReadContext } from './read-context';
import { END_OF_TIME } from './statements';

function readMeta(c: ReadContext): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const r of c.st.stmt('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>) meta[r.key] = r.value;
  return meta;
}

export function info(c: ReadContext): RecordingInfo {
  const meta = readMeta(c);
  const metaStart = meta['start_ns'] ? Number(meta['start_ns']) : null;
  const metaEnd = meta['end_ns'] ? Number(meta['end_ns']) : null;
  // A finished recording knows its span; only a live or interrupted one needs the scan (a full pass over the
  // big tables: MAX(COALESCE(...)) cannot use an index).
  const range =
    metaStart !== null && metaEnd !== null
      ? { s: null, e: null }
      : (c.st.stmt(
            `SELECT MIN(s) AS s, MAX(e) AS e FROM (
               SELECT MIN(start_ns) AS s, MAX(COALESCE(exit_ns, start_ns)) AS e FROM processes
               UNION ALL SELECT MIN(start_ns), MAX(COALESCE(end_ns, start_ns)) FROM llm_calls
               UNION ALL SELECT MIN(first_ns), MAX(last_ns) FROM file_ops
               UNION ALL SELECT MIN(first_ns), MAX(last_ns) FROM net_conns
               UNION ALL SELECT MIN(ts_ns), MAX(ts_ns) FROM losses)`,
          )
          .get() as { s: number | null; e: number | null });
  return {
    path: c.o.path,
    schemaVersion: c.o.db.pragma('user_version', { simple: true }) as number,
    meta,
    startNs: minOf(range.s, metaStart),
    endNs: maxOf(range.e, metaEnd),
    counts: c.gate.fromSummaryOrRows(
      END_OF_TIME,
      () => countsFrom(c, `SELECT ${COUNT_COLUMNS.join(', ')} FROM summary_state WHERE id = 1`),
      () => countsFrom(c, `SELECT ${COUNTS_SQL}`),
    ),
  };
}

function countsFrom(c: ReadContext, sql: string): RecordingInfo['counts'] {
  const n = c.st.stmt(sql).raw().get() as number[];
  return { sessions: n[0], processes: n[1], execs: n[2], fileOps: n[3], netConns: n[4], llmCalls: n[5], toolCalls: n[6], losses: n[7] };
}

export function recordingState(c: ReadContext): RecordingState {
  return recordingStateOf(readMeta(c));
}

export function sessions(c: ReadContext, q: TimeQuery): SessionSummary[] {
  const at = q.atNs ?? END_OF_TIME;
  const one = q.sessionId !== undefined;
  const params = one ? { at, sid: q.sessionId } : { at };
  const rows = c.gate.fromSummaryOrRows(
    at,
    () => c.st.stmt(sessionSummarySql(one)).all(params),
    () => c.st.stmt(sessionAggregatesSql(one)).all(params),
    c.o.hasBucketTables ? () => c.st.stmt(sessionBucketSql(one)).all(params) : undefined,
  ) as Array<Record<string, unknown>>;
  return rows.map((r) => {
    const base = decodeRow<SessionRow>(TABLES.sessions, r);
    const num = (k: string) => (r[k] as number | null) ?? 0;
    return {
      ...base,
      processes: num('n_processes'),
      liveProcesses: num('n_live'),
      llmCalls: num('n_llm'),
      models: r['models'] ? String(r['models']).split(',').filter(Boolean) : [],
      ...tokenFigures({ inputTokens: num('inp'), outputTokens: num('outp'), cacheReadTokens: num('cr'), cacheWriteTokens: num('cw'), reasoningTokens: num('rs') }),
      costUsd: costFigure((r['cost'] as number | null) ?? null),
      toolCalls: num('n_tools'),
      failedToolCalls: num('n_tool_fail'),
      errors: num('errs'),
      fileOps: num('n_files'),
      filesChanged: num('n_changed'),
      netConns: num('n_net'),
      losses: num('n_losses'),
      lastActivityNs: Math.max(base.startNs, num('last_proc'), num('last_llm'), num('last_f')),
    };
  }).map((s) => (c.gate.oldChangedSummaries() ? { ...s, filesChanged: filesChanged(c, { atNs: at, sessionId: s.id }) } : s));
}

export function completeness(c: ReadContext, q: TimeQuery): Completeness {
  const at = q.atNs ?? END_OF_TIME;
  const one = q.sessionId !== undefined;
  const llm = c.st.stmt(`SELECT COUNT(*) AS n, COALESCE(SUM(input_tokens), 0) + COALESCE(SUM(output_tokens), 0) AS tokens FROM llm_calls WHERE start_ns <= ?${one ? ' AND session_id = ?' : ''}`)
    .get(...(one ? [at, q.sessionId] : [at])) as { n: number; tokens: number };
  const tls = c.st.stmt(`SELECT COUNT(*) AS n FROM tls_conns WHERE first_ns <= ?${one ? ' AND session_id = ?' : ''}`)
    .get(...(one ? [at, q.sessionId] : [at])) as { n: number };
  const losses = c.st.stmt(
    'SELECT source, SUM(count) AS count, SUM(bytes) AS bytes FROM losses WHERE ts_ns <= ?' +
      (one ? ' AND (process_id IS NULL OR process_id IN (SELECT id FROM processes WHERE session_id = ?))' : '') +
      ' GROUP BY source ORDER BY source',
  ).all(...(one ? [at, q.sessionId] : [at])) as LossTotal[];
  const tlsNotDecryptedConnections = c.st.stmt(
    `SELECT source AS reason, process_id AS processId, bytes, detail FROM losses WHERE ts_ns <= ? AND source IN (${TLS_NOT_DECRYPTED_SOURCES.map(() => '?').join(', ')})` +
      (one ? ' AND process_id IN (SELECT id FROM processes WHERE session_id = ?)' : '') +
      ` ORDER BY ts_ns, id LIMIT ${COMPLETENESS_CONNECTIONS}`,
  ).all(...[at, ...TLS_NOT_DECRYPTED_SOURCES, ...(one ? [q.sessionId] : [])]) as Completeness['tlsNotDecryptedConnections'];
  const tlsNotDecrypted = losses.filter((l) => TLS_NOT_DECRYPTED_SOURCES.includes(l.source)).map((l) => ({ reason: l.source, connections: l.count, bytes: l.bytes }));
  // Clipped argv, paths and DNS answers are kept (marked on the row); clipped TLS plaintext is lost.
  const lost = losses.filter((l) => !TLS_NOT_DECRYPTED_SOURCES.includes(l.source) && (!l.source.endsWith(':clipped') || l.source.startsWith('tls')));
  const stoppedEarly = recordingState(c).state === 'incomplete';
  return {
    llmCalls: llm.n,
    tokens: llm.tokens,
    tlsDecrypted: tls.n,
    tlsNotDecrypted,
    tlsNotDecryptedConnections,
    lost,
    stoppedEarly,
    complete: tlsNotDecrypted.length === 0 && lost.length === 0 && !stoppedEarly,
  };
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
