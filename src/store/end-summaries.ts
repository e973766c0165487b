/**
 * The grouping queries behind sessions(), fileChanges() and netDestinations(), written once and used twice: by the
 * readers over the rows (as of any moment), and by finalize() to fill the summary_* tables (migration 003) with the
 * same answers for a finished recording, per session, as of its end. A summary is valid for every moment at or
 * after summary_state.as_of_ns: the latest timestamp any of these queries filters on, so later moments select
 * exactly the same rows. Any write to a summarized table deletes the summaries (see sqlite/writer.ts).
 */

/** File operations that change the file system (reads and plain opens do not). */
export const CHANGE_OPS = "'create','write','fallocate','mmap','truncate','rename','unlink','rmdir','mkdir','chmod','link','symlink'";

/** Per-session LLM call aggregates as of @at (alias l), shared by the row query and the per-minute bucket query. */
const LLM_AGGREGATES_JOIN = `LEFT JOIN (SELECT session_id, COUNT(*) AS n,
       SUM(COALESCE(input_tokens, 0)) AS inp, SUM(COALESCE(output_tokens, 0)) AS outp,
       SUM(COALESCE(cache_read_tokens, 0)) AS cr, SUM(COALESCE(cache_write_tokens, 0)) AS cw,
       SUM(COALESCE(reasoning_tokens, 0)) AS rs, SUM(cost_usd) AS cost,
       SUM(CASE WHEN (http_status >= 400) OR incomplete = 1 OR error IS NOT NULL THEN 1 ELSE 0 END) AS errs,
       MAX(start_ns) AS last_llm
     FROM llm_calls WHERE start_ns <= @at GROUP BY session_id) l ON l.session_id = s.id`;

/**
 * Per-session aggregates as of @at (all sessions, or @sid). Columns after `s.*` are those of summary_sessions.
 * Models are listed in order of first use (then name), so the text does not depend on the order SQLite visits rows in.
 */
export function sessionAggregatesSql(oneSession: boolean): string {
  return `SELECT s.*,
    (SELECT COUNT(*) FROM processes p WHERE p.session_id = s.id AND p.start_ns <= @at) AS n_processes,
    (SELECT COUNT(*) FROM processes p WHERE p.session_id = s.id AND p.start_ns <= @at
       AND (p.exit_ns IS NULL OR p.exit_ns > @at)) AS n_live,
    (SELECT MAX(p.start_ns) FROM processes p WHERE p.session_id = s.id AND p.start_ns <= @at) AS last_proc,
    l.n AS n_llm,
    (SELECT GROUP_CONCAT(m, ',' ORDER BY f, m) FROM (SELECT COALESCE(c.response_model, c.request_model) AS m, MIN(c.start_ns) AS f
       FROM llm_calls c WHERE c.session_id = s.id AND c.start_ns <= @at AND COALESCE(c.response_model, c.request_model) IS NOT NULL
       GROUP BY 1)) AS models,
    l.inp, l.outp, l.cr, l.cw, l.rs, l.cost, l.errs, l.last_llm,
    (SELECT COUNT(*) FROM tool_calls t WHERE t.session_id = s.id AND t.ts_ns <= @at) AS n_tools,
    (SELECT COUNT(*) FROM tool_calls t WHERE t.session_id = s.id AND t.ts_ns <= @at AND t.result_is_error = 1) AS n_tool_fail,
    f.n AS n_files, f.changed AS n_changed, f.last_f,
    (SELECT COUNT(*) FROM net_conns c WHERE c.session_id = s.id AND c.first_ns <= @at) AS n_net,
    (SELECT COALESCE(SUM(x.count), 0) FROM losses x JOIN processes p ON p.id = x.process_id
       WHERE p.session_id = s.id AND x.ts_ns <= @at) AS n_losses
  FROM sessions s
  ${LLM_AGGREGATES_JOIN}
  LEFT JOIN (SELECT session_id, COUNT(*) AS n,
       COUNT(DISTINCT CASE WHEN op IN (${CHANGE_OPS}) AND result = 0 THEN path END) AS changed,
       MAX(first_ns) AS last_f
     FROM file_ops WHERE first_ns <= @at GROUP BY session_id) f ON f.session_id = s.id
  WHERE s.start_ns <= @at
  ${oneSession ? 'AND s.id = @sid' : ''}
  ORDER BY s.id`;
}

/** The aggregate columns of sessionAggregatesSql, in summary_sessions' order. */
export const SESSION_AGGREGATES = [
  'n_processes', 'n_live', 'last_proc', 'n_llm', 'models', 'inp', 'outp', 'cr', 'cw', 'rs', 'cost', 'errs', 'last_llm',
  'n_tools', 'n_tool_fail', 'n_files', 'n_changed', 'last_f', 'n_net', 'n_losses',
] as const;

/** The same rows as sessionAggregatesSql, from the summary (valid when the caller checked summary_state). */
export function sessionSummarySql(oneSession: boolean): string {
  return `SELECT s.*, ${SESSION_AGGREGATES.map((c) => 'x.' + c).join(', ')}
  FROM sessions s LEFT JOIN summary_sessions x ON x.session_id = s.id
  WHERE s.start_ns <= @at ${oneSession ? 'AND s.id = @sid' : ''}
  ORDER BY s.id`;
}

/** Successful changes grouped by (op, path, path2); the order is total so every reader lists them alike. */
export const FILE_CHANGE_COLUMNS = `op, path, path2, SUM(count) AS count, SUM(bytes) AS bytes, MIN(first_ns) AS firstNs,
  MAX(last_ns) AS lastNs, MIN(process_id) AS processId, COUNT(DISTINCT process_id) AS processes`;
export const FILE_CHANGE_WHERE = `result = 0 AND op IN (${CHANGE_OPS})`;
export const FILE_CHANGE_GROUP = 'op, path, path2';
export const FILE_CHANGE_ORDER = 'firstNs, path, op, path2';
export const FILE_CHANGE_COUNT_SUMMARY_SQL = 'SELECT op, COUNT(*) AS count FROM summary_file_changes WHERE session_id = ? GROUP BY op ORDER BY op';
export const FILE_CHANGE_SUMMARY_SQL = `SELECT op, path, path2, count, bytes, first_ns AS firstNs, last_ns AS lastNs,
  process_id AS processId, processes FROM summary_file_changes WHERE session_id = ? ORDER BY first_ns, path, op, path2`;

/** Network operations grouped by destination. -115 is -EINPROGRESS: a non-blocking connect under way, not a failure. */
export const NET_DEST_COLUMNS = `op, family, proto, addr, port, MAX(host) AS host, SUM(count) AS count,
  SUM(CASE WHEN result < 0 AND result != -115 THEN count ELSE 0 END) AS failures,
  SUM(bytes_sent) AS bytesSent, SUM(bytes_recv) AS bytesRecv, MIN(first_ns) AS firstNs, MAX(last_ns) AS lastNs,
  COUNT(DISTINCT process_id) AS processes`;
export const NET_DEST_GROUP = 'op, family, proto, addr, port';
export const NET_DEST_ORDER = 'firstNs, op, family, proto, addr, port';
export const NET_DEST_COUNT_SUMMARY_SQL = 'SELECT COUNT(*) AS n FROM summary_net_dests WHERE session_id = ?';
export const NET_DEST_SUMMARY_SQL = `SELECT op, family, proto, addr, port, host, count, failures, bytes_sent AS bytesSent,
  bytes_recv AS bytesRecv, first_ns AS firstNs, last_ns AS lastNs, processes FROM summary_net_dests
  WHERE session_id = ? ORDER BY first_ns, op, family, proto, addr, port`;

/** Row counts of the whole recording (RecordingInfo.counts): column of summary_state, and the query for it. */
export const COUNT_COLUMNS = ['n_sessions', 'n_processes', 'n_execs', 'n_file_ops', 'n_net_conns', 'n_llm_calls', 'n_tool_calls', 'n_losses'] as const;
export const COUNTS_SQL = `(SELECT COUNT(*) FROM sessions), (SELECT COUNT(*) FROM processes), (SELECT COUNT(*) FROM execs),
  (SELECT COUNT(*) FROM file_ops), (SELECT COUNT(*) FROM net_conns), (SELECT COUNT(*) FROM llm_calls),
  (SELECT COUNT(*) FROM tool_calls), (SELECT COALESCE(SUM(count), 0) FROM losses)`;

/** Tables whose rows the summaries are computed from: a write to any of them makes the summaries stale. */
export const SUMMARIZED_TABLES: ReadonlySet<string> = new Set(['sessions', 'processes', 'execs', 'llm_calls', 'tool_calls', 'file_ops', 'net_conns', 'losses']);

/**
 * Fill the summaries as of the end (@at: a bound above every timestamp). as_of_ns is the latest timestamp the
 * queries filter on, so a reader asking about any moment at or after it gets the rows' answer.
 */
export const WRITE_SUMMARIES_SQL = [
  'DELETE FROM summary_state',
  'DELETE FROM summary_sessions',
  'DELETE FROM summary_file_changes',
  'DELETE FROM summary_net_dests',
  `INSERT INTO summary_sessions (session_id, ${SESSION_AGGREGATES.join(', ')})
     SELECT id, ${SESSION_AGGREGATES.join(', ')} FROM (${sessionAggregatesSql(false)})`,
  `INSERT INTO summary_file_changes (session_id, op, path, path2, count, bytes, first_ns, last_ns, process_id, processes)
     SELECT session_id, ${FILE_CHANGE_COLUMNS} FROM file_ops
     WHERE session_id IS NOT NULL AND first_ns <= @at AND ${FILE_CHANGE_WHERE}
     GROUP BY session_id, ${FILE_CHANGE_GROUP}`,
  `INSERT INTO summary_net_dests (session_id, op, family, proto, addr, port, host, count, failures, bytes_sent, bytes_recv, first_ns, last_ns, processes)
     SELECT session_id, ${NET_DEST_COLUMNS} FROM net_conns WHERE session_id IS NOT NULL AND first_ns <= @at
     GROUP BY session_id, ${NET_DEST_GROUP}`,
  `INSERT INTO summary_state (id, as_of_ns, ${COUNT_COLUMNS.join(', ')}) SELECT 1, COALESCE(MAX(m), 0), ${COUNTS_SQL} FROM (
     SELECT MAX(start_ns) AS m FROM sessions
     UNION ALL SELECT MAX(start_ns) FROM processes UNION ALL SELECT MAX(exit_ns) FROM processes
     UNION ALL SELECT MAX(start_ns) FROM llm_calls UNION ALL SELECT MAX(ts_ns) FROM tool_calls
     UNION ALL SELECT MAX(first_ns) FROM file_ops UNION ALL SELECT MAX(first_ns) FROM net_conns
     UNION ALL SELECT MAX(ts_ns) FROM losses)`,
];

export const CLEAR_SUMMARIES_SQL = WRITE_SUMMARIES_SQL.slice(0, 4);

/** Bucket width of summary_buckets: one minute, in ns (an INTEGER literal so SQLite divides exactly). */
export const BUCKET_NS_SQL = '60000000000';

/**
 * sessionAggregatesSql answered from the summaries for any moment @at (a seek into a finished recording): counts are
 * the whole minutes before @at's minute from summary_buckets plus that minute's rows up to @at, counted from the
 * rows; latest times are index lookups; models come from their first use. A row of minute m has
 * CAST(ts AS INTEGER) / 60e9 = m, so it is either in a whole minute (ts < lo_ns <= @at) or in the partial one
 * (lo_ns <= ts), never both. LLM tokens, costs and errors, and losses, are summed from the rows as before (few rows);
 * files changed (distinct paths, not additive over minutes) are counted from the rows too.
 */
export function sessionBucketSql(oneSession: boolean): string {
  const full = (col: string) => `COALESCE((SELECT SUM(b.${col}) FROM summary_buckets b WHERE b.session_id = s.id AND b.bucket < k.lo), 0)`;
  return `WITH k AS (SELECT CAST(@at AS INTEGER) / ${BUCKET_NS_SQL} AS lo, (CAST(@at AS INTEGER) / ${BUCKET_NS_SQL}) * ${BUCKET_NS_SQL} AS lo_ns)
  SELECT s.*,
    ${full('n_procs')} + (SELECT COUNT(*) FROM processes p WHERE p.session_id = s.id AND p.start_ns >= k.lo_ns AND p.start_ns <= @at) AS n_processes,
    ${full('n_procs')} + (SELECT COUNT(*) FROM processes p WHERE p.session_id = s.id AND p.start_ns >= k.lo_ns AND p.start_ns <= @at)
      - ${full('n_exited')} - (SELECT COUNT(*) FROM summary_exits e WHERE e.session_id = s.id AND e.at_ns >= k.lo_ns AND e.at_ns <= @at) AS n_live,
    (SELECT MAX(p.start_ns) FROM processes p WHERE p.session_id = s.id AND p.start_ns <= @at) AS last_proc,
    l.n AS n_llm,
    (SELECT GROUP_CONCAT(m.model, ',' ORDER BY m.first_ns, m.model) FROM summary_models m WHERE m.session_id = s.id AND m.first_ns <= @at) AS models,
    l.inp, l.outp, l.cr, l.cw, l.rs, l.cost, l.errs, l.last_llm,
    ${full('n_tools')} + (SELECT COUNT(*) FROM tool_calls t WHERE t.session_id = s.id AND t.ts_ns >= k.lo_ns AND t.ts_ns <= @at) AS n_tools,
    ${full('n_tool_fail')} + (SELECT COUNT(*) FROM tool_calls t WHERE t.session_id = s.id AND t.ts_ns >= k.lo_ns AND t.ts_ns <= @at AND t.result_is_error = 1) AS n_tool_fail,
    ${full('n_files')} + (SELECT COUNT(*) FROM file_ops f WHERE f.session_id = s.id AND f.first_ns >= k.lo_ns AND f.first_ns <= @at) AS n_files,
    (SELECT COUNT(DISTINCT f.path) FROM file_ops f WHERE f.session_id = s.id AND f.first_ns <= @at
       AND f.op IN (${CHANGE_OPS}) AND f.result = 0) AS n_changed,
    (SELECT MAX(f.first_ns) FROM file_ops f WHERE f.session_id = s.id AND f.first_ns <= @at) AS last_f,
    ${full('n_net')} + (SELECT COUNT(*) FROM net_conns c WHERE c.session_id = s.id AND c.first_ns >= k.lo_ns AND c.first_ns <= @at) AS n_net,
    (SELECT COALESCE(SUM(x.count), 0) FROM losses x JOIN processes p ON p.id = x.process_id
       WHERE p.session_id = s.id AND x.ts_ns <= @at) AS n_losses
  FROM sessions s CROSS JOIN k
  ${LLM_AGGREGATES_JOIN}
  WHERE s.start_ns <= @at
  ${oneSession ? 'AND s.id = @sid' : ''}
  ORDER BY s.id`;
}

/** Fill the v4 per-minute summaries (after the v3 ones, in the same transaction). */
export const WRITE_BUCKETS_SQL = [
  'DELETE FROM summary_buckets',
  'DELETE FROM summary_exits',
  'DELETE FROM summary_models',
  `INSERT INTO summary_buckets (session_id, bucket, n_procs, n_exited, n_files, n_changed, n_net, n_tools, n_tool_fail)
     SELECT session_id, bucket, SUM(a), SUM(b), SUM(c), SUM(d), SUM(e), SUM(f), SUM(g) FROM (
       SELECT session_id, CAST(start_ns AS INTEGER) / ${BUCKET_NS_SQL} AS bucket, 1 AS a, 0 AS b, 0 AS c, 0 AS d, 0 AS e, 0 AS f, 0 AS g
         FROM processes WHERE session_id IS NOT NULL
       UNION ALL SELECT session_id, CAST(MAX(start_ns, exit_ns) AS INTEGER) / ${BUCKET_NS_SQL}, 0, 1, 0, 0, 0, 0, 0
         FROM processes WHERE session_id IS NOT NULL AND exit_ns IS NOT NULL
       UNION ALL SELECT session_id, CAST(first_ns AS INTEGER) / ${BUCKET_NS_SQL}, 0, 0, 1,
           CASE WHEN op IN (${CHANGE_OPS}) AND result = 0 THEN 1 ELSE 0 END, 0, 0, 0
         FROM file_ops WHERE session_id IS NOT NULL
       UNION ALL SELECT session_id, CAST(first_ns AS INTEGER) / ${BUCKET_NS_SQL}, 0, 0, 0, 0, 1, 0, 0
         FROM net_conns WHERE session_id IS NOT NULL
       UNION ALL SELECT session_id, CAST(ts_ns AS INTEGER) / ${BUCKET_NS_SQL}, 0, 0, 0, 0, 0, 1, CASE WHEN result_is_error = 1 THEN 1 ELSE 0 END
         FROM tool_calls WHERE session_id IS NOT NULL)
     GROUP BY session_id, bucket`,
  `INSERT INTO summary_exits (session_id, at_ns)
     SELECT session_id, MAX(start_ns, exit_ns) FROM processes WHERE session_id IS NOT NULL AND exit_ns IS NOT NULL`,
  `INSERT INTO summary_models (session_id, model, first_ns)
     SELECT session_id, COALESCE(response_model, request_model) AS m, MIN(start_ns) FROM llm_calls
     WHERE session_id IS NOT NULL AND COALESCE(response_model, request_model) IS NOT NULL GROUP BY session_id, m`,
];

export const CLEAR_BUCKETS_SQL = WRITE_BUCKETS_SQL.slice(0, 3);
