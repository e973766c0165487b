/**
 * Aggregates of the web UI's overview, summed in SQL: on a 1,000,000-event recording, reading every process row to
 * count command lines took 2.6 s where GROUP BY takes a fraction of it. Each list comes with its total, so a view
 * that shows the first N also says how many there are.
 */
import type Database from 'better-sqlite3';
import { tokenFigures, type TokenFigures } from '../figures';

export interface ModelUsage extends TokenFigures {
  model: string;
  calls: number;
  /** Calls with an HTTP error, an error, or an incomplete stream. */
  errors: number;
  /** Sum of known costs; null when no call had one. */
  costUsd: number | null;
  unknownCostCalls: number;
}

export interface CommandCount {
  argv: string[];
  count: number;
}

export interface FailureRow {
  kind: 'llm' | 'tool' | 'exec' | 'process';
  id: number;
  tsNs: number;
  what: string;
  why: string;
}

export interface CallGap {
  afterCallId: number;
  sessionId: number | null;
  gapNs: number;
}

export interface OverviewFigures {
  byModel: ModelUsage[];
  commands: { rows: CommandCount[]; distinct: number; repeated: CommandCount[] };
  failures: { rows: FailureRow[]; total: number };
  gaps: CallGap[];
}

const FAILED_CALL = `(error IS NOT NULL OR COALESCE(http_status, 0) >= 400 OR incomplete != 0)`;

export function overviewFigures(db: Database.Database, q: { sessionId?: number; limit: number; repeatedAtLeast: number; gapNs: number }): OverviewFigures {
  const s = q.sessionId;
  const where = (col = 'session_id') => (s === undefined ? '1' : `${col} = ${Number(s)}`);
  const byModel = (
    db
      .prepare(
        `SELECT COALESCE(response_model, request_model, provider) AS model, count(*) AS calls, sum(${FAILED_CALL}) AS errors,
           sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cache_read_tokens) AS cr, sum(cache_write_tokens) AS cw, sum(reasoning_tokens) AS r,
           sum(cost_usd) AS cost, sum(cost_usd IS NULL) AS unknown
         FROM llm_calls WHERE ${where()} GROUP BY model ORDER BY calls DESC`,
      )
      .all() as Array<{ model: string; calls: number; errors: number; i: number; o: number; cr: number; cw: number; r: number; cost: number | null; unknown: number }>
  ).map((m) => ({
    model: m.model,
    calls: m.calls,
    errors: m.errors,
    costUsd: m.cost,
    unknownCostCalls: m.unknown,
    ...tokenFigures({ inputTokens: m.i, outputTokens: m.o, cacheReadTokens: m.cr, cacheWriteTokens: m.cw, reasoningTokens: m.r }),
  }));

  const cmdRows = db
    .prepare(`SELECT argv, count(*) AS n FROM processes WHERE ${where()} AND argv != '[]' GROUP BY argv ORDER BY n DESC`)
    .all() as Array<{ argv: string; n: number }>;
  const cmd = (r: { argv: string; n: number }) => ({ argv: JSON.parse(r.argv) as string[], count: r.n });

  const failures: FailureRow[] = [];
  const lim = Number(q.limit);
  const procSession = s === undefined ? '1' : `process_id IN (SELECT id FROM processes WHERE session_id = ${Number(s)})`;
  for (const r of db
    .prepare(`SELECT id, start_ns AS ts, COALESCE(response_model, request_model, provider) AS what, COALESCE(error, CASE WHEN incomplete != 0 THEN 'incomplete' ELSE 'HTTP ' || http_status END) AS why FROM llm_calls WHERE ${where()} AND ${FAILED_CALL} ORDER BY start_ns LIMIT ${lim}`)
    .all() as Array<{ id: number; ts: number; what: string; why: string }>)
    failures.push({ kind: 'llm', id: r.id, tsNs: r.ts, what: r.what, why: r.why });
  for (const r of db
    .prepare(`SELECT id, ts_ns AS ts, name AS what, substr(COALESCE(result_text, ''), 1, 200) AS why FROM tool_calls WHERE ${where()} AND result_is_error = 1 ORDER BY ts_ns LIMIT ${lim}`)
    .all() as Array<{ id: number; ts: number; what: string; why: string }>)
    failures.push({ kind: 'tool', id: r.id, tsNs: r.ts, what: r.what, why: r.why });
  for (const r of db
    .prepare(`SELECT id, ts_ns AS ts, filename AS what, 'errno ' || (-ret) AS why FROM execs WHERE ${procSession} AND ret < 0 ORDER BY ts_ns LIMIT ${lim}`)
    .all() as Array<{ id: number; ts: number; what: string; why: string }>)
    failures.push({ kind: 'exec', id: r.id, tsNs: r.ts, what: r.what, why: r.why });
  for (const r of db
    .prepare(
      `SELECT id, COALESCE(exit_ns, start_ns) AS ts, CASE WHEN argv = '[]' THEN comm ELSE argv END AS what,
         CASE WHEN exit_signal IS NOT NULL AND exit_signal != 0 THEN 'signal ' || exit_signal ELSE 'exit ' || exit_code END AS why
       FROM processes WHERE ${where()} AND (COALESCE(exit_code, 0) != 0 OR COALESCE(exit_signal, 0) != 0) ORDER BY start_ns LIMIT ${lim}`,
    )
    .all() as Array<{ id: number; ts: number; what: string; why: string }>)
    failures.push({ kind: 'process', id: r.id, tsNs: r.ts, what: r.what.startsWith('[') ? (JSON.parse(r.what) as string[]).join(' ') : r.what, why: r.why });
  const total = (db
    .prepare(
      `SELECT (SELECT count(*) FROM llm_calls WHERE ${where()} AND ${FAILED_CALL})
            + (SELECT count(*) FROM tool_calls WHERE ${where()} AND result_is_error = 1)
            + (SELECT count(*) FROM execs WHERE ${procSession} AND ret < 0)
            + (SELECT count(*) FROM processes WHERE ${where()} AND (COALESCE(exit_code, 0) != 0 OR COALESCE(exit_signal, 0) != 0)) AS n`,
    )
    .get() as { n: number }).n;
  failures.sort((a, b) => a.tsNs - b.tsNs);

  const gaps = (
    db
      .prepare(
        `SELECT prev_id AS afterCallId, session_id AS sessionId, start_ns - prev_end AS gapNs FROM (
           SELECT session_id, start_ns, LAG(id) OVER w AS prev_id, LAG(COALESCE(end_ns, start_ns)) OVER w AS prev_end
           FROM llm_calls WHERE ${where()} WINDOW w AS (PARTITION BY session_id ORDER BY start_ns, id))
         WHERE prev_id IS NOT NULL AND start_ns - prev_end >= ? ORDER BY gapNs DESC LIMIT ${lim}`,
      )
      .all(q.gapNs) as CallGap[]
  );

  return {
    byModel,
    commands: {
      rows: cmdRows.slice(0, lim).map(cmd),
      distinct: cmdRows.length,
      repeated: cmdRows.filter((r) => r.n >= q.repeatedAtLeast).slice(0, lim).map(cmd),
    },
    failures: { rows: failures.slice(0, lim), total },
    gaps,
  };
}
