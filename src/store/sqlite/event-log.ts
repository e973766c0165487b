/**
 * The event log: every recorded row (process, exec, file operation, network operation, LLM call, tool call, loss)
 * as one time-ordered stream, paged by a cursor so a reader of a 1,000,000-event recording never loads it whole.
 *
 * Each kind is read by its own indexed query (ts order, LIMIT n after the cursor) and the kinds are merged here:
 * SQLite then walks an index per kind from the cursor instead of sorting the union. Order is (ts, kind rank, id),
 * total and stable, so a cursor names one position exactly.
 *
 * `eventLogSince` serves live readers: rows whose id is above a mark (the highest id per kind seen so far). Ids are
 * assigned in increasing order by the collector, so a row committed late (after rows with later times) still
 * shows up as new, which a time cursor would miss.
 */
import type Database from 'better-sqlite3';
import type { EventKind, LogEvent } from '../shapes';

export type { EventKind, LogEvent };

/** Every kind, in mark order; the compiler checks the list against EventKind both ways. */
export const EVENT_KINDS = ['process', 'exec', 'file', 'net', 'llm', 'tool', 'loss'] as const satisfies readonly EventKind[];
const EVERY_KIND_LISTED: Exclude<EventKind, (typeof EVENT_KINDS)[number]> extends never ? true : false = true;
void EVERY_KIND_LISTED;

export interface EventLogQuery {
  sessionId?: number;
  kinds?: readonly EventKind[];
  processId?: number;
  /** Substring (case-insensitive for ASCII) of the event's text. */
  text?: string;
  /** Only these rows, per kind (kinds left out are excluded): the effects of one tool call. */
  ids?: Partial<Record<EventKind, readonly number[]>>;
  /** Position to continue after (a LogPage.next); absent: from the start. */
  after?: string;
  limit: number;
}

export interface LogPage {
  events: LogEvent[];
  /** Cursor of the last event returned, to pass as `after`; null when nothing follows. */
  next: string | null;
}

/** Highest id per kind: what a live reader has seen. */
export type EventMark = Record<EventKind, number>;

interface KindSql {
  /** SELECT list producing kind-agnostic columns: id, ts, end_ns, session_id, process_id, text, detail, failed. */
  select: string;
  from: string;
  ts: string;
  id: string;
  session: string;
  process: string;
  text: string;
  table: string;
}

/** Columns as data: one entry per kind, read by the same query builder. */
const KINDS: Record<EventKind, KindSql> = {
  process: {
    table: 'processes',
    select: `p.id, p.start_ns AS ts, p.exit_ns AS end_ns, p.session_id, p.id AS process_id,
      CASE WHEN p.argv = '[]' THEN p.comm ELSE p.argv END AS text,
      CASE WHEN p.exit_signal IS NOT NULL THEN 'signal ' || p.exit_signal WHEN p.exit_code IS NOT NULL THEN 'exit ' || p.exit_code ELSE NULL END AS detail,
      (COALESCE(p.exit_code, 0) != 0 OR p.exit_signal IS NOT NULL) AS failed`,
    from: 'processes p',
    ts: 'p.start_ns',
    id: 'p.id',
    session: 'p.session_id',
    process: 'p.id',
    text: 'p.argv',
  },
  exec: {
    table: 'execs',
    select: `e.id, e.ts_ns AS ts, NULL AS end_ns, (SELECT session_id FROM processes WHERE id = e.process_id) AS session_id,
      e.process_id, e.filename || ' ' || e.argv AS text, CASE WHEN e.ret < 0 THEN 'errno ' || (-e.ret) ELSE NULL END AS detail,
      (e.ret < 0) AS failed`,
    from: 'execs e',
    ts: 'e.ts_ns',
    id: 'e.id',
    session: '(SELECT session_id FROM processes WHERE id = e.process_id)',
    process: 'e.process_id',
    text: "e.filename || ' ' || e.argv",
  },
  file: {
    table: 'file_ops',
    select: `f.id, f.first_ns AS ts, f.last_ns AS end_ns, f.session_id, f.process_id,
      f.op || ' ' || f.path || COALESCE(' → ' || f.path2, '') AS text,
      CASE WHEN f.result < 0 THEN 'errno ' || (-f.result) ELSE '×' || f.count || CASE WHEN f.bytes > 0 THEN ' ' || f.bytes || ' B' ELSE '' END END AS detail,
      (f.result < 0) AS failed`,
    from: 'file_ops f',
    ts: 'f.first_ns',
    id: 'f.id',
    session: 'f.session_id',
    process: 'f.process_id',
    text: "f.op || ' ' || f.path || COALESCE(' ' || f.path2, '')",
  },
  net: {
    table: 'net_conns',
    select: `n.id, n.first_ns AS ts, n.last_ns AS end_ns, n.session_id, n.process_id,
      n.op || ' ' || COALESCE(n.host || ' ', '') || n.addr || COALESCE(':' || n.port, '') AS text,
      CASE WHEN n.result < 0 AND n.result != -115 THEN 'errno ' || (-n.result) ELSE '×' || n.count END AS detail,
      (n.result < 0 AND n.result != -115) AS failed`,
    from: 'net_conns n',
    ts: 'n.first_ns',
    id: 'n.id',
    session: 'n.session_id',
    process: 'n.process_id',
    text: "n.op || ' ' || COALESCE(n.host, '') || ' ' || n.addr",
  },
  llm: {
    table: 'llm_calls',
    select: `l.id, l.start_ns AS ts, l.end_ns, l.session_id, l.process_id,
      COALESCE(l.response_model, l.request_model, l.provider) || ' ' || COALESCE(l.host, '') || l.endpoint AS text,
      CASE WHEN l.error IS NOT NULL THEN l.error WHEN l.http_status >= 400 THEN 'HTTP ' || l.http_status
        ELSE COALESCE(l.input_tokens, 0) || ' in / ' || COALESCE(l.output_tokens, 0) || ' out' END AS detail,
      (l.error IS NOT NULL OR l.http_status >= 400 OR l.incomplete != 0) AS failed`,
    from: 'llm_calls l',
    ts: 'l.start_ns',
    id: 'l.id',
    session: 'l.session_id',
    process: 'l.process_id',
    text: "COALESCE(l.response_model, l.request_model, l.provider) || ' ' || l.endpoint",
  },
  tool: {
    table: 'tool_calls',
    select: `t.id, t.ts_ns AS ts, t.result_ns AS end_ns, t.session_id, (SELECT process_id FROM llm_calls WHERE id = t.llm_call_id) AS process_id,
      t.name || ' ' || substr(t.input_json, 1, 400) AS text, CASE WHEN t.result_is_error THEN 'error' ELSE NULL END AS detail,
      COALESCE(t.result_is_error, 0) AS failed`,
    from: 'tool_calls t',
    ts: 't.ts_ns',
    id: 't.id',
    session: 't.session_id',
    process: '(SELECT process_id FROM llm_calls WHERE id = t.llm_call_id)',
    text: "t.name || ' ' || t.input_json",
  },
  loss: {
    table: 'losses',
    select: `x.id, x.ts_ns AS ts, NULL AS end_ns, (SELECT session_id FROM processes WHERE id = x.process_id) AS session_id, x.process_id,
      'lost ' || x.source || COALESCE(': ' || x.detail, '') AS text, x.count || ' lost' || CASE WHEN x.bytes > 0 THEN ', ' || x.bytes || ' B' ELSE '' END AS detail,
      1 AS failed`,
    from: 'losses x',
    ts: 'x.ts_ns',
    id: 'x.id',
    session: '(SELECT session_id FROM processes WHERE id = x.process_id)',
    process: 'x.process_id',
    text: "'lost ' || x.source || ' ' || COALESCE(x.detail, '')",
  },
};

const RANK: Record<EventKind, number> = Object.fromEntries(EVENT_KINDS.map((k, i) => [k, i])) as Record<EventKind, number>;

interface Cursor {
  ts: number;
  rank: number;
  id: number;
}

function parseCursor(s: string | undefined): Cursor | null {
  if (!s) return null;
  const m = /^(-?\d+)_(\d+)_(\d+)$/.exec(s);
  if (!m) throw new RangeError(`bad cursor '${s}'`);
  return { ts: Number(m[1]), rank: Number(m[2]), id: Number(m[3]) };
}

function cursorOf(e: LogEvent): string {
  return `${e.tsNs}_${RANK[e.kind]}_${e.id}`;
}

interface RawRow {
  id: number;
  ts: number;
  end_ns: number | null;
  session_id: number | null;
  process_id: number | null;
  text: string;
  detail: string | null;
  failed: number;
}

function toEvent(kind: EventKind, r: RawRow): LogEvent {
  return {
    kind,
    id: r.id,
    tsNs: r.ts,
    endNs: r.end_ns,
    sessionId: r.session_id,
    processId: r.process_id,
    text: kind === 'process' || kind === 'exec' ? argvText(r.text) : r.text,
    detail: r.detail,
    failed: r.failed !== 0,
  };
}

/** argv is stored as a JSON array: show it as a command line. */
function argvText(s: string): string {
  const i = s.indexOf('[');
  if (i < 0) return s;
  try {
    const argv = JSON.parse(s.slice(i)) as string[];
    const head = s.slice(0, i).trim();
    const line = argv.join(' ');
    return head && argv[0] !== head && !head.endsWith('/' + argv[0]) ? `${head}: ${line}` : line || head;
  } catch {
    return s;
  }
}

function filters(k: KindSql, kind: EventKind, q: Omit<EventLogQuery, 'limit' | 'after'>, params: unknown[]): string[] | null {
  if (q.kinds && !q.kinds.includes(kind)) return null;
  const where: string[] = [];
  if (q.ids) {
    const ids = q.ids[kind];
    if (!ids || ids.length === 0) return null;
    where.push(`${k.id} IN (${ids.map(() => '?').join(',')})`);
    params.push(...ids);
  }
  if (q.sessionId !== undefined) {
    where.push(`${k.session} = ?`);
    params.push(q.sessionId);
  }
  if (q.processId !== undefined) {
    where.push(`${k.process} = ?`);
    params.push(q.processId);
  }
  if (q.text) {
    where.push(`instr(lower(${k.text}), ?) > 0`);
    params.push(q.text.toLowerCase());
  }
  return where;
}

/** One page of the event log after q.after, in (time, kind, id) order. */
export function eventLogPage(db: Database.Database, q: EventLogQuery): LogPage {
  const cur = parseCursor(q.after);
  const limit = Math.max(1, Math.min(q.limit, 5000));
  const merged: LogEvent[] = [];
  for (const kind of EVENT_KINDS) {
    const k = KINDS[kind];
    const params: unknown[] = [];
    const where = filters(k, kind, q, params);
    if (!where) continue;
    if (cur) {
      const rank = RANK[kind];
      if (rank > cur.rank) where.push(`${k.ts} >= ?`), params.push(cur.ts);
      else if (rank < cur.rank) where.push(`${k.ts} > ?`), params.push(cur.ts);
      else where.push(`(${k.ts} > ? OR (${k.ts} = ? AND ${k.id} > ?))`), params.push(cur.ts, cur.ts, cur.id);
    }
    const sql = `SELECT ${k.select} FROM ${k.from} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY ${k.ts}, ${k.id} LIMIT ?`;
    const rows = db.prepare(sql).all(...params, limit + 1) as RawRow[];
    for (const r of rows) merged.push(toEvent(kind, r));
  }
  merged.sort((a, b) => a.tsNs - b.tsNs || RANK[a.kind] - RANK[b.kind] || a.id - b.id);
  const events = merged.slice(0, limit);
  const next = merged.length > limit && events.length ? cursorOf(events[events.length - 1]!) : null;
  return { events, next };
}

/** Rows per kind matching the filters (the log's length); text filters are not counted (a full scan). */
export function eventLogCounts(db: Database.Database, q: Omit<EventLogQuery, 'limit' | 'after' | 'text'>): Record<EventKind, number> {
  const out = {} as Record<EventKind, number>;
  for (const kind of EVENT_KINDS) {
    const k = KINDS[kind];
    const params: unknown[] = [];
    const where = filters(k, kind, q, params);
    if (!where) {
      out[kind] = 0;
      continue;
    }
    const sql = `SELECT count(*) AS n FROM ${k.from} ${where.length ? 'WHERE ' + where.join(' AND ') : ''}`;
    out[kind] = (db.prepare(sql).get(...params) as { n: number }).n;
  }
  return out;
}

/** The highest id of each kind now: the mark a live reader starts from. */
export function eventMark(db: Database.Database): EventMark {
  const out = {} as EventMark;
  for (const kind of EVENT_KINDS) {
    out[kind] = (db.prepare(`SELECT COALESCE(max(id), 0) AS m FROM ${KINDS[kind].table}`).get() as { m: number }).m;
  }
  return out;
}

/** Rows added after `mark` (ids above it) matching the filters, in time order, at most q.limit of them (oldest kept). */
export function eventLogSince(db: Database.Database, mark: EventMark, q: Omit<EventLogQuery, 'after'>): LogEvent[] {
  const out: LogEvent[] = [];
  for (const kind of EVENT_KINDS) {
    const k = KINDS[kind];
    const params: unknown[] = [];
    const where = filters(k, kind, q, params);
    if (!where) continue;
    where.push(`${k.id} > ?`);
    params.push(mark[kind] ?? 0);
    const sql = `SELECT ${k.select} FROM ${k.from} WHERE ${where.join(' AND ')} ORDER BY ${k.id} LIMIT ?`;
    for (const r of db.prepare(sql).all(...params, q.limit) as RawRow[]) out.push(toEvent(kind, r));
  }
  out.sort((a, b) => a.tsNs - b.tsNs || RANK[a.kind] - RANK[b.kind] || a.id - b.id);
  return out.slice(0, q.limit);
}
