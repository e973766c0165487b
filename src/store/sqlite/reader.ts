/**
 * Every reader's side of a recording (RecordingReader): the row queries here, the grouped and aggregate ones in
 * change-queries.ts, session-queries.ts and llm-text-query.ts. openRecording reads on its own read-only connection
 * (a finished recording, or one still being written by another process); the capturing process itself reads on the
 * writer's connection (sqlite-store.ts).
 */
import { StoreError } from '../errors';
import { damaged } from '../file-check';
import type { RecordingState } from '../recording-state';
import type {
  ActivityBucket,
  Completeness,
  FileChange,
  FileChangeQuery,
  LlmCallText,
  LossTotal,
  NetDestination,
  RecordingInfo,
  RecordingReader,
  SessionSummary,
  TimeQuery,
} from '../store';
import { TABLES } from '../table-specs';
import type {
  CausalLinkRow,
  ExecRow,
  FileOpRow,
  HttpExchangeRow,
  LlmCallRow,
  LossRow,
  McpCallRow,
  McpServerRow,
  NetConnRow,
  ProcessRow,
  ResourceSampleRow,
  TlsChunkRow,
  TlsConnRow,
  TlsTargetRow,
  ToolCallRow,
} from '../types';
import * as changes from './change-queries';
import * as eventLog from './event-log';
import { overviewFigures, type OverviewFigures } from './overview-figures';
import { sampledProcesses, type SampledProcess } from './sampled-processes';
import { llmCallTexts } from './llm-text-query';
import { isCorruption, wrap, type OpenDb } from './open';
import type { ReadContext } from './read-context';
import * as sessionQueries from './session-queries';
import { END_OF_TIME, limit, Statements } from './statements';
import { SummaryGate } from './summaries';

/** Columns of llm_calls left out of list queries: the full JSON can be megabytes per call. */
const HEAVY_LLM_COLUMNS = new Set(['request_json', 'response_json']);

export interface ReaderOptions {
  /** False: answer every query from the rows, as a store without summaries does (checks the summaries against them). */
  useSummaries?: boolean;
}

export class SqliteReader implements RecordingReader {
  readonly path: string;
  readonly readOnly: boolean;
  private readonly c: ReadContext;
  private closed = false;

  constructor(private readonly o: OpenDb, opts: ReaderOptions = {}) {
    this.path = o.path;
    this.readOnly = o.readOnly;
    const st = new Statements(o.db);
    this.c = { o, st, gate: new SummaryGate(o, st, opts.useSummaries ?? true) };
  }

  private get st(): Statements {
    return this.c.st;
  }

  info(): RecordingInfo { return sessionQueries.info(this.c); }
  recordingState(): RecordingState { return sessionQueries.recordingState(this.c); }
  sessions(q: TimeQuery = {}): SessionSummary[] { return sessionQueries.sessions(this.c, q); }
  session(id: number): SessionSummary | null { return this.sessions({ sessionId: id })[0] ?? null; }
  completeness(q: TimeQuery = {}): Completeness { return sessionQueries.completeness(this.c, q); }
  fileChanges(q: FileChangeQuery = {}): FileChange[] { return changes.fileChanges(this.c, q); }
  fileChangeCounts(q: FileChangeQuery = {}): Array<{ op: string; count: number }> { return changes.fileChangeCounts(this.c, q); }
  filesChanged(q: TimeQuery = {}): number { return changes.filesChanged(this.c, q); }
  netDestinations(q: TimeQuery = {}): NetDestination[] { return changes.netDestinations(this.c, q); }
  netDestinationCount(q: TimeQuery = {}): number { return changes.netDestinationCount(this.c, q); }
  llmCallTexts(q: TimeQuery & { maxChars?: number } = {}): LlmCallText[] { return llmCallTexts(this.c, q); }
  readSnapshot<T>(fn: () => T): T { return this.c.gate.readSnapshot(fn); }

  processes(q: TimeQuery & { ids?: readonly number[] } = {}): ProcessRow[] {
    const where = ['start_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    if (q.ids !== undefined) { where.push('id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(q.ids)); }
    return this.st.all<ProcessRow>('processes', `SELECT * FROM processes WHERE ${where.join(' AND ')} ORDER BY start_ns, id ${limit(q)}`, params);
  }

  process(id: number): ProcessRow | null {
    return this.st.all<ProcessRow>('processes', 'SELECT * FROM processes WHERE id = ?', [id])[0] ?? null;
  }

  execs(q: TimeQuery & { processId?: number; processIds?: readonly number[]; failedOnly?: boolean } = {}): ExecRow[] {
    const where = ['e.ts_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.processId !== undefined) { where.push('e.process_id = ?'); params.push(q.processId); }
    if (q.processIds !== undefined) { where.push('e.process_id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(q.processIds)); }
    if (q.failedOnly) where.push('e.ret < 0');
    if (q.sessionId !== undefined) { where.push('p.session_id = ?'); params.push(q.sessionId); }
    // With a process id list, CROSS JOIN keeps execs the outer loop: one execs_process lookup per listed process.
    // Left to choose, SQLite walks every process of the session first (~1,000 on the fixture; 3x slower per query).
    const join = q.processIds !== undefined ? 'CROSS JOIN' : 'JOIN';
    return this.st.all<ExecRow>('execs', `SELECT e.* FROM execs e ${join} processes p ON p.id = e.process_id WHERE ${where.join(' AND ')} ORDER BY e.ts_ns, e.id ${limit(q)}`, params);
  }

  fileOps(q: TimeQuery & { processId?: number; changesOnly?: boolean; ids?: readonly number[] } = {}): FileOpRow[] {
    const where = ['first_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    if (q.ids !== undefined) { where.push('id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(q.ids)); }
    if (q.processId !== undefined) { where.push('process_id = ?'); params.push(q.processId); }
    if (q.changesOnly) where.push("op NOT IN ('open', 'read')");
    return this.st.all<FileOpRow>('file_ops', `SELECT * FROM file_ops WHERE ${where.join(' AND ')} ORDER BY first_ns, id ${limit(q)}`, params);
  }

  fileOp(id: number): FileOpRow | null {
    return this.st.all<FileOpRow>('file_ops', 'SELECT * FROM file_ops WHERE id = ?', [id])[0] ?? null;
  }

  netConns(q: TimeQuery & { processId?: number; ids?: readonly number[] } = {}): NetConnRow[] {
    const where = ['first_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    if (q.ids !== undefined) { where.push('id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(q.ids)); }
    if (q.processId !== undefined) { where.push('process_id = ?'); params.push(q.processId); }
    return this.st.all<NetConnRow>('net_conns', `SELECT * FROM net_conns WHERE ${where.join(' AND ')} ORDER BY first_ns, id ${limit(q)}`, params);
  }

  netConn(id: number): NetConnRow | null {
    return this.st.all<NetConnRow>('net_conns', 'SELECT * FROM net_conns WHERE id = ?', [id])[0] ?? null;
  }

  llmCalls(q: TimeQuery & { full?: boolean } = {}): LlmCallRow[] {
    return this.llmCallList(q, q.full === true, 'ASC');
  }

  recentLlmCalls(q: TimeQuery & { limit: number }): LlmCallRow[] {
    return this.llmCallList(q, false, 'DESC').reverse();
  }

  /** LLM calls started by q.atNs in start order (the last q.limit of them with DESC), light columns unless full. */
  private llmCallList(q: TimeQuery, full: boolean, order: 'ASC' | 'DESC'): LlmCallRow[] {
    const cols = TABLES.llm_calls.columns
      .map((col) => (!full && HEAVY_LLM_COLUMNS.has(col.column) ? `NULL AS ${col.column}` : col.column))
      .join(', ');
    const where = ['start_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    const by = order === 'ASC' ? 'start_ns, id' : 'start_ns DESC, id DESC';
    return this.st.all<LlmCallRow>('llm_calls', `SELECT ${cols} FROM llm_calls WHERE ${where.join(' AND ')} ORDER BY ${by} ${limit(q)}`, params);
  }

  llmCall(id: number): LlmCallRow | null {
    return this.st.all<LlmCallRow>('llm_calls', 'SELECT * FROM llm_calls WHERE id = ?', [id])[0] ?? null;
  }

  toolCalls(q: TimeQuery & { llmCallId?: number; llmCallIds?: readonly number[] } = {}): ToolCallRow[] {
    const where = ['ts_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    if (q.llmCallId !== undefined) { where.push('llm_call_id = ?'); params.push(q.llmCallId); }
    // A list travels as one JSON parameter: one statement for any length, no bound-variable limit.
    if (q.llmCallIds !== undefined) { where.push('llm_call_id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(q.llmCallIds)); }
    return this.st.all<ToolCallRow>('tool_calls', `SELECT * FROM tool_calls WHERE ${where.join(' AND ')} ORDER BY ts_ns, id ${limit(q)}`, params);
  }

  causalLinks(q: { toolCallId?: number; toolCallIds?: readonly number[]; sessionId?: number; targetKind?: string; targetId?: number } = {}): CausalLinkRow[] {
    const where = ['1 = 1'];
    const params: unknown[] = [];
    if (q.toolCallId !== undefined) { where.push('l.tool_call_id = ?'); params.push(q.toolCallId); }
    if (q.toolCallIds !== undefined) { where.push('l.tool_call_id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(q.toolCallIds)); }
    if (q.targetKind !== undefined) { where.push('l.target_kind = ?'); params.push(q.targetKind); }
    if (q.targetId !== undefined) { where.push('l.target_id = ?'); params.push(q.targetId); }
    if (q.sessionId !== undefined) { where.push('t.session_id = ?'); params.push(q.sessionId); }
    return this.st.all<CausalLinkRow>('causal_links', `SELECT l.* FROM causal_links l JOIN tool_calls t ON t.id = l.tool_call_id WHERE ${where.join(' AND ')} ORDER BY l.id`, params);
  }

  mcpServers(q: TimeQuery = {}): McpServerRow[] {
    if (!this.hasMcpTables()) return [];
    const where = ['first_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    return this.st.all<McpServerRow>('mcp_servers', `SELECT * FROM mcp_servers WHERE ${where.join(' AND ')} ORDER BY first_ns, id ${limit(q)}`, params);
  }

  mcpCalls(q: TimeQuery & { serverId?: number; toolCallIds?: readonly number[]; method?: string; kind?: string } = {}): McpCallRow[] {
    if (!this.hasMcpTables()) return [];
    const where = ['start_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    if (q.serverId !== undefined) { where.push('server_id = ?'); params.push(q.serverId); }
    if (q.method !== undefined) { where.push('method = ?'); params.push(q.method); }
    if (q.kind !== undefined) { where.push('kind = ?'); params.push(q.kind); }
    if (q.toolCallIds !== undefined) { where.push('tool_call_id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(q.toolCallIds)); }
    return this.st.all<McpCallRow>('mcp_calls', `SELECT * FROM mcp_calls WHERE ${where.join(' AND ')} ORDER BY start_ns, id ${limit(q)}`, params);
  }

  /** Recordings written before schema 7 have no MCP tables (opened read-only, never upgraded). */
  private mcpTables: boolean | undefined;
  private hasMcpTables(): boolean {
    // Only a positive answer is kept: a live capture's own reader may ask before its writer migrated.
    if (this.mcpTables) return true;
    this.mcpTables = this.c.o.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mcp_calls'").get() !== undefined;
    return this.mcpTables;
  }

  losses(q: TimeQuery = {}): LossRow[] {
    return this.st.all<LossRow>('losses', `SELECT * FROM losses WHERE ts_ns <= ? ORDER BY ts_ns, id ${limit(q)}`, [q.atNs ?? END_OF_TIME]);
  }

  lossTotals(q: TimeQuery = {}): LossTotal[] {
    return this.st.stmt('SELECT source, SUM(count) AS count, SUM(bytes) AS bytes FROM losses WHERE ts_ns <= ? GROUP BY source ORDER BY source')
      .all(q.atNs ?? END_OF_TIME) as LossTotal[];
  }

  eventNs(atNs: number, dir: 1 | -1): number | null {
    const sql = dir > 0
      ? 'SELECT MIN(t) AS t FROM (SELECT MIN(start_ns) AS t FROM llm_calls WHERE start_ns > ? UNION ALL SELECT MIN(ts_ns) FROM losses WHERE ts_ns > ?)'
      : 'SELECT MAX(t) AS t FROM (SELECT MAX(start_ns) AS t FROM llm_calls WHERE start_ns < ? UNION ALL SELECT MAX(ts_ns) FROM losses WHERE ts_ns < ?)';
    return (this.st.stmt(sql).get(atNs, atNs) as { t: number | null }).t;
  }

  tokensEndedIn(atNs: number, windowNs: number): number {
    return (this.st.stmt(
      `SELECT COALESCE(SUM(COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0)), 0) AS n FROM llm_calls
         WHERE start_ns <= ? AND end_ns > ? AND end_ns <= ?`,
    ).get(atNs, atNs - windowNs, atNs) as { n: number }).n;
  }

  tlsTargets(): TlsTargetRow[] {
    return this.st.all<TlsTargetRow>('tls_targets', 'SELECT * FROM tls_targets ORDER BY id');
  }

  tlsConns(q: TimeQuery = {}): TlsConnRow[] {
    const where = ['first_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    return this.st.all<TlsConnRow>('tls_conns', `SELECT * FROM tls_conns WHERE ${where.join(' AND ')} ORDER BY first_ns, id ${limit(q)}`, params);
  }

  tlsChunks(connId: number): TlsChunkRow[] {
    return this.st.all<TlsChunkRow>('tls_chunks', 'SELECT * FROM tls_chunks WHERE conn_id = ? ORDER BY dir, seq', [connId]);
  }

  httpExchanges(q: TimeQuery & { connId?: number } = {}): HttpExchangeRow[] {
    const where = ['start_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    if (q.connId !== undefined) { where.push('conn_id = ?'); params.push(q.connId); }
    return this.st.all<HttpExchangeRow>('http_exchanges', `SELECT * FROM http_exchanges WHERE ${where.join(' AND ')} ORDER BY start_ns, id ${limit(q)}`, params);
  }

  eventLog(q: eventLog.EventLogQuery): eventLog.LogPage { return eventLog.eventLogPage(this.c.o.db, q); }
  eventLogCounts(q: Omit<eventLog.EventLogQuery, 'limit' | 'after' | 'text'>): Record<eventLog.EventKind, number> { return eventLog.eventLogCounts(this.c.o.db, q); }
  eventMark(): eventLog.EventMark { return eventLog.eventMark(this.c.o.db); }
  eventLogSince(mark: eventLog.EventMark, q: Omit<eventLog.EventLogQuery, 'after'>): eventLog.LogEvent[] { return eventLog.eventLogSince(this.c.o.db, mark, q); }
  overviewFigures(q: { sessionId?: number; limit: number; repeatedAtLeast: number; gapNs: number }): OverviewFigures { return overviewFigures(this.c.o.db, q); }
  sampledProcesses(q: { sessionId?: number } = {}): SampledProcess[] { return sampledProcesses(this.c.o.db, q); }

  resourceSamples(processId: number): ResourceSampleRow[] {
    return this.st.all<ResourceSampleRow>('resource_samples', 'SELECT * FROM resource_samples WHERE process_id = ? ORDER BY ts_ns', [processId]);
  }

  activity(fromNs: number, toNs: number, buckets: number): ActivityBucket[] {
    const n = Math.max(1, Math.floor(buckets));
    const span = Math.max(1, toNs - fromNs);
    const width = span / n;
    const out: ActivityBucket[] = [];
    for (let i = 0; i < n; i++) {
      out.push({
        startNs: fromNs + i * width, endNs: fromNs + (i + 1) * width,
        procEvents: 0, fileOps: 0, netEvents: 0, llmCalls: 0, tokens: 0, errors: 0, losses: 0,
      });
    }
    const rows = this.st.stmt('SELECT * FROM activity WHERE sec >= ? AND sec < ? ORDER BY sec')
      .all(Math.floor(fromNs / 1e9), Math.ceil(toNs / 1e9)) as Array<Record<string, number>>;
    for (const r of rows) {
      const i = Math.min(n - 1, Math.max(0, Math.floor((r['sec'] * 1e9 - fromNs) / width)));
      const b = out[i];
      b.procEvents += r['proc_events'];
      b.fileOps += r['file_ops'];
      b.netEvents += r['net_events'];
      b.llmCalls += r['llm_calls'];
      b.tokens += r['tokens'];
      b.errors += r['errors'];
      b.losses += r['losses'];
    }
    return out;
  }

  /** Close the connection (a reader of a live recording is closed with its writer: see sqlite-store.ts). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.o.db.close();
  }
}

/**
 * What a read hits after the open checks (a damaged leaf page of a large file, say) ends the same way as what they
 * find: a StoreError naming the file, from every method of a read-only reader, so no reader prints a stack trace,
 * a bare SQLite message or a partial answer with exit 0. Errors that are not SQLite's (bugs) pass unchanged; a
 * writer's errors are left to the writer (record handles a full disk itself).
 */
function readError(err: unknown, path: string): unknown {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (isCorruption(err)) return damaged(path, ((err as Error).message ?? code).split('\n')[0], err);
  return code.startsWith('SQLITE_') ? wrap(err, path) : err;
}

for (const name of Object.getOwnPropertyNames(SqliteReader.prototype)) {
  const d = Object.getOwnPropertyDescriptor(SqliteReader.prototype, name)!;
  if (name === 'constructor' || typeof d.value !== 'function') continue;
  const method = d.value as (...args: unknown[]) => unknown;
  Object.defineProperty(SqliteReader.prototype, name, {
    ...d,
    value: function (this: SqliteReader, ...args: unknown[]) {
      try {
        return method.apply(this, args);
      } catch (err) {
        throw this.readOnly ? readError(err, this.path) : err;
      }
    },
  });
}
