/**
 * SQLite backend of the Store interface (better-sqlite3). Live capture opens it read-write in WAL mode and commits
 * buffered writes in one transaction per flush(); saved recordings open read-only with fileMustExist.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { StoreError } from './errors';
import { checkSameFile, checkStructure, damaged, inspectFile, WAL_IMAGE_MAX_BYTES, walFreeImage } from './file-check';
import {
  CLEAR_BUCKETS_SQL,
  CLEAR_SUMMARIES_SQL,
  COUNT_COLUMNS,
  COUNTS_SQL,
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
  SUMMARIZED_TABLES,
  WRITE_BUCKETS_SQL,
  WRITE_SUMMARIES_SQL,
  sessionAggregatesSql,
  sessionBucketSql,
  sessionSummarySql,
} from './end-summaries';
import { FORMAT_TAG, SCHEMA_VERSION, migrations, readableAsIs } from './migrations';
import { COMPLETENESS_CONNECTIONS, TLS_NOT_DECRYPTED_SOURCES } from './store';
import type {
  ActivityBucket,
  ActivityDelta,
  FileChange,
  IdTable,
  LlmCallText,
  NetDestination,
  LossTotal,
  Completeness,
  RecordingInfo,
  SessionSummary,
  Store,
  TimeQuery,
} from './store';
import { recordingStateOf, type RecordingState } from './recording-state';
import { RowWriter, type WriteVerb } from './row-writer';
import { sqliteAddonPath } from './sqlite-addon';
import * as eventLog from './event-log';
import { overviewFigures, type OverviewFigures } from './overview-figures';
import { sampledProcesses, type SampledProcess } from './sampled-processes';
import { costFigure, tokenFigures } from './figures';
import { storedPromptText } from './message-text';
import { TABLES, decodeRow, rawRowDecoder, type TableName, type TableSpec } from './table-specs';
import type {
  CausalLinkRow,
  ExecRow,
  FileOpRow,
  HttpExchangeRow,
  LlmCallRow,
  LossRow,
  NetConnRow,
  ProcessRow,
  ResourceSampleRow,
  SessionRow,
  TlsChunkRow,
  TlsConnRow,
  TlsTargetRow,
  ToolCallRow,
} from './types';

export type OpenMode = 'create' | 'readonly' | 'readwrite';

/**
 * "No time limit" for `atNs` filters. Not Number.MAX_SAFE_INTEGER: Unix-epoch ns (~1.8e18) are far above it, so
 * `ts <= MAX_SAFE_INTEGER` would select nothing. SQLite compares this REAL with INTEGER columns numerically.
 */
const END_OF_TIME = Number.MAX_VALUE;

/** Address space a read-only open may map (not memory used: pages come from the OS page cache). */
const READER_MMAP_BYTES = 1 << 30;

/** Columns of llm_calls left out of list queries: the full JSON can be megabytes per call. */
const HEAVY_LLM_COLUMNS = new Set(['request_json', 'response_json']);

type Op = () => void;


/** meta key finalize() sets: its summaries count files changed as distinct paths (docs/figures.md). */
const FILES_CHANGED_META = 'summary_files_changed';

export class SqliteStore implements Store {
  readonly readOnly: boolean;
  private readonly db: Database.Database;
  private readonly pending: Op[] = [];
  private readonly ids = new Map<IdTable, number>();
  /** One writer per (verb, table), in first-use order. */
  private readonly writers = new Map<string, RowWriter>();
  private metaStmt: Database.Statement | null = null;
  private activityStmt: Database.Statement | null = null;
  private readonly activityPending = new Map<number, Required<ActivityDelta>>();
  /** Prepared read statements by SQL text: preparing costs 20-100 µs, and --once issues the same few hundred times. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly rawStatements = new Map<string, { st: Database.Statement; decode: (row: unknown[]) => unknown }>();
  /** The file has the summary tables (schema v3 or later), and the per-minute ones (v4 or later). */
  private hasSummaryTables = false;
  private hasBucketTables = false;
  /** Writer side: summaries are present and a write to a summarized table must delete them. */
  private summariesPresent = false;
  private oldChanged: boolean | undefined;
  /** Runs a function in one read transaction, so a summary and its validity are read from the same snapshot. */
  private readonly inReadTx: (f: () => unknown) => unknown;
  /** False: answer every query from the rows, as a store without summaries does (see OpenOptions). */
  private readonly useSummaries: boolean;
  /**
   * Set while readSnapshot runs: the summary state read in it (undefined until first asked). A snapshot is one read
   * transaction, so what it read once holds until it ends; writes happen in flush(), never inside a reader's fn.
   */
  private snapshot: { summaryAsOf: number | null | undefined } | null = null;
  private closed = false;
  /** Writer: (device, inode) of the file and of its WAL, to notice them removed or replaced (see checkStillThere). */
  private fileIds: { db: string | null; wal: string | null } | null = null;

  private constructor(readonly path: string, db: Database.Database, readOnly: boolean, useSummaries: boolean) {
    this.db = db;
    this.readOnly = readOnly;
    this.useSummaries = useSummaries;
    this.inReadTx = db.transaction((f: () => unknown) => f());
  }

  /**
   * Open (or create) a store. Throws StoreError with a code the CLI maps to a one-line message.
   * `useSummaries: false` answers from the rows even where a finished recording's summaries could: the summaries are
   * a cache of those answers, and this is how they are checked against the rows.
   */
  static open(path: string, mode: OpenMode, opts: { useSummaries?: boolean } = {}): SqliteStore {
    const facts = mode !== 'create' && path !== ':memory:' ? inspectFile(path, mode === 'readwrite') : null;
    let db: Database.Database;
    try {
      // Read-only, a WAL-mode file without its -wal is read from memory: SQLite would create a -wal and -shm beside it.
      const image = facts?.walWithoutLog && mode === 'readonly' && facts.size <= WAL_IMAGE_MAX_BYTES ? walFreeImage(path) : null;
      db = new Database(image ?? path, {
        readonly: mode === 'readonly',
        fileMustExist: mode !== 'create',
        nativeBinding: sqliteAddonPath(),
      });
    } catch (err) {
      throw wrap(err, path);
    }
    try {
      const store = new SqliteStore(path, db, mode === 'readonly', opts.useSummaries ?? true);
      if (facts) checkSameFile(path, facts);
      store.prepare(mode);
      if (facts && mode === 'readonly') checkStructure(db, path, facts);
      return store;
    } catch (err) {
      db.close();
      throw err instanceof StoreError ? err : wrap(err, path);
    }
  }

  private prepare(mode: OpenMode): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (mode === 'create' && version === 0 && this.tableCount() === 0) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.migrate(0);
      this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('format', FORMAT_TAG);
    } else {
      this.checkOurs(version);
      if (version < SCHEMA_VERSION) {
        if (this.readOnly) {
          if (!readableAsIs(version)) {
            throw new StoreError('NEWER_SCHEMA', this.path, `${this.path}: recording has schema v${version}, which this build cannot read (it reads v${SCHEMA_VERSION})`);
          }
        } else this.migrate(version);
      }
      if (!this.readOnly) this.db.pragma('journal_mode = WAL');
    }
    this.db.pragma('busy_timeout = 2000');
    const finalVersion = this.db.pragma('user_version', { simple: true }) as number;
    this.hasSummaryTables = finalVersion >= 3;
    this.hasBucketTables = finalVersion >= 4;
    if (this.hasSummaryTables && !this.readOnly) this.summariesPresent = this.stmt('SELECT 1 FROM summary_state').get() !== undefined;
    // Readers touch most pages of the big indexes on a seek. Through the default 2 MiB page cache every query
    // re-read them with pread; mapped, a fresh `top --once` on the 1M-event fixture spent half the time in sys.
    if (this.readOnly) this.db.pragma(`mmap_size = ${READER_MMAP_BYTES}`);
    // Next ids are a writer's concern: a reader would pay 13 prepares and queries at every open for nothing.
    if (!this.readOnly) for (const t of Object.keys(TABLES) as TableName[]) if (t !== 'resource_samples') this.ids.set(t as IdTable, this.maxId(t as IdTable) + 1);
  }

  private maxId(table: IdTable): number {
    return (this.db.prepare(`SELECT MAX(id) AS m FROM ${table}`).get() as { m: number | null }).m ?? 0;
  }

  private tableCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
  }

  private checkOurs(version: number): void {
    let format: string | undefined;
    try {
      format = (this.db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined)?.value;
    } catch (err) {
      if (isCorruption(err)) throw wrap(err, this.path);
      format = undefined;
    }
    if (format !== FORMAT_TAG) {
      throw new StoreError('NOT_AN_AGENTSIGHT_DB', this.path, `${this.path}: SQLite database, but not an agentsight recording`);
    }
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        'NEWER_SCHEMA',
        this.path,
        `${this.path}: recorded by a newer agentsight (schema v${version}; this build reads up to v${SCHEMA_VERSION})`,
      );
    }
  }

  private migrate(from: number): void {
    this.db.transaction(() => {
      for (let v = from; v < migrations.length; v++) this.db.exec(migrations[v]!.sql);
      // v3 summaries without the v4 per-minute ones would answer seeks wrongly: drop them until the next finalize().
      if (from === 3) for (const sql of CLEAR_SUMMARIES_SQL) this.db.prepare(sql).run();
      this.db.pragma(`user_version = ${migrations.length}`);
    })();
  }

  // ---------------------------------------------------------------- writing

  private assertWritable(): void {
    if (this.readOnly) throw new StoreError('READ_ONLY', this.path, `${this.path}: opened read-only`);
  }

  nextId(table: IdTable): number {
    const id = this.ids.get(table) ?? (this.readOnly ? this.maxId(table) + 1 : 1);
    this.ids.set(table, id + 1);
    return id;
  }

  /**
   * Queue one row. Full multi-row chunks are written at once inside the transaction the next flush() commits (one
   * transaction per flush, as before; readers of other connections see nothing until then), so the rows of a
   * commit interval are never all held on the JS heap. Rows of one table keep their order (last REPLACE wins);
   * no table refers to another by constraint, so the order across tables does not matter.
   */
  private put(table: TableName, row: object, verb: WriteVerb = 'INSERT OR REPLACE'): void {
    this.assertWritable();
    const key = verb + table;
    // Summaries describe the finished recording; once it changes they would be wrong, so they are deleted in the
    // transaction that will commit the change.
    if (this.summariesPresent && SUMMARIZED_TABLES.has(table)) {
      this.begin();
      this.guarded(() => this.clearSummaries());
      this.summariesPresent = false;
    }
    let w = this.writers.get(key);
    if (!w) {
      w = new RowWriter(this.db, TABLES[table], verb);
      this.writers.set(key, w);
    }
    if (w.add(row)) {
      this.begin();
      this.guarded(() => w!.write(false));
    }
  }

  private begin(): void {
    if (!this.db.inTransaction) this.db.exec('BEGIN');
  }

  /** Run a write of the open transaction; on failure the whole transaction and everything queued are dropped. */
  private guarded(f: () => void): void {
    try {
      f();
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.pending.length = 0;
      this.activityPending.clear();
      for (const w of this.writers.values()) w.discard();
      // The rollback may have brought back summaries this transaction had deleted.
      this.summariesPresent = this.hasSummaryTables && this.stmt('SELECT 1 FROM summary_state').get() !== undefined;
      throw err;
    }
  }

  putMeta(key: string, value: string): void {
    this.assertWritable();
    const stmt = (this.metaStmt ??= this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'));
    this.pending.push(() => stmt.run(key, value));
  }
  putSession(row: SessionRow): void { this.put('sessions', row); }
  putProcess(row: ProcessRow): void { this.put('processes', row); }
  addExec(row: ExecRow): void { this.put('execs', row, 'INSERT'); }
  putFileOp(row: FileOpRow): void { this.put('file_ops', row); }
  putNetConn(row: NetConnRow): void { this.put('net_conns', row); }
  putTlsTarget(row: TlsTargetRow): void { this.put('tls_targets', row); }
  putTlsConn(row: TlsConnRow): void { this.put('tls_conns', row); }
  addTlsChunk(row: TlsChunkRow): void { this.put('tls_chunks', row, 'INSERT'); }
  putHttpExchange(row: HttpExchangeRow): void { this.put('http_exchanges', row); }
  putLlmCall(row: LlmCallRow): void { this.put('llm_calls', row); }
  putToolCall(row: ToolCallRow): void { this.put('tool_calls', row); }
  addCausalLink(row: CausalLinkRow): void { this.put('causal_links', row, 'INSERT'); }
  addLoss(row: LossRow): void { this.put('losses', row, 'INSERT'); }
  addResourceSample(row: ResourceSampleRow): void { this.put('resource_samples', row); }

  addActivity(tsNs: number, delta: ActivityDelta): void {
    this.assertWritable();
    const sec = Math.floor(tsNs / 1e9);
    let b = this.activityPending.get(sec);
    if (!b) {
      b = { procEvents: 0, fileOps: 0, netEvents: 0, llmCalls: 0, tokens: 0, errors: 0, losses: 0 };
      this.activityPending.set(sec, b);
    }
    for (const k of Object.keys(delta) as Array<keyof ActivityDelta>) b[k] += delta[k] ?? 0;
  }

  flush(): void {
    if (this.readOnly || this.closed) return;
    let queued = this.pending.length > 0 || this.activityPending.size > 0;
    for (const w of this.writers.values()) if (w.pending > 0) queued = true;
    if (!queued && !this.db.inTransaction) return;
    this.checkStillThere();
    const ops = this.pending.splice(0);
    const activity = [...this.activityPending];
    this.activityPending.clear();
    const upsert = (this.activityStmt ??= this.db.prepare(`INSERT INTO activity (sec, proc_events, file_ops, net_events, llm_calls, tokens, errors, losses)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sec) DO UPDATE SET
      proc_events = proc_events + excluded.proc_events, file_ops = file_ops + excluded.file_ops,
      net_events = net_events + excluded.net_events, llm_calls = llm_calls + excluded.llm_calls,
      tokens = tokens + excluded.tokens, errors = errors + excluded.errors, losses = losses + excluded.losses`));
    this.begin();
    this.guarded(() => {
      for (const w of this.writers.values()) w.write(true);
      for (const op of ops) op();
      for (const [sec, b] of activity) {
        upsert.run(sec, b.procEvents, b.fileOps, b.netEvents, b.llmCalls, b.tokens, b.errors, b.losses);
      }
      this.db.exec('COMMIT');
    });
  }

  /**
   * SQLite goes on writing to a file (or WAL) that was unlinked, and nothing would reach the disk: compare the paths'
   * (device, inode) with the ones we write before each commit (two stat calls) and fail like a write error would.
   */
  private checkStillThere(): void {
    if (this.path === ':memory:') return;
    const id = (p: string): string | null => {
      try {
        const st = fs.statSync(p, { bigint: true });
        return `${st.dev}:${st.ino}`;
      } catch {
        return null;
      }
    };
    const now = { db: id(this.path), wal: id(`${this.path}-wal`) };
    const was = this.fileIds;
    if (was === null) {
      this.fileIds = now;
      return;
    }
    if (was.wal === null && now.wal !== null) was.wal = now.wal; // the WAL appears with the first commit
    if (now.db !== was.db || (was.wal !== null && now.wal !== was.wal && this.journalIsWal())) {
      throw new StoreError('REMOVED', this.path, 'the recording file was removed or replaced');
    }
  }

  private journalIsWal(): boolean {
    return String(this.db.pragma('journal_mode', { simple: true })) === 'wal';
  }

  // ---------------------------------------------------------------- reading

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Rows of one table's shape: read as arrays and decoded by position (see rawRowDecoder for why). */
  private all<T>(table: TableName, sql: string, params: unknown[] = []): T[] {
    let r = this.rawStatements.get(sql);
    if (!r) {
      // Its own statement: raw mode is a property of the statement, and this.stmt's may be read as objects.
      const st = this.db.prepare(sql).raw(true);
      r = { st, decode: rawRowDecoder(TABLES[table], st.columns().map((c) => c.name)) };
      this.rawStatements.set(sql, r);
    }
    return (r.st.all(...params) as unknown[][]).map(r.decode as (row: unknown[]) => T);
  }

  info(): RecordingInfo {
    const meta: Record<string, string> = {};
    for (const r of this.stmt('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>) {
      meta[r.key] = r.value;
    }
    const metaStart = meta['start_ns'] ? Number(meta['start_ns']) : null;
    const metaEnd = meta['end_ns'] ? Number(meta['end_ns']) : null;
    // A finished recording knows its span; only a live or interrupted one needs the scan (a full pass over the
    // big tables: MAX(COALESCE(...)) cannot use an index).
    const range =
      metaStart !== null && metaEnd !== null
        ? { s: null, e: null }
        : (this.stmt(
              `SELECT MIN(s) AS s, MAX(e) AS e FROM (
                 SELECT MIN(start_ns) AS s, MAX(COALESCE(exit_ns, start_ns)) AS e FROM processes
                 UNION ALL SELECT MIN(start_ns), MAX(COALESCE(end_ns, start_ns)) FROM llm_calls
                 UNION ALL SELECT MIN(first_ns), MAX(last_ns) FROM file_ops
                 UNION ALL SELECT MIN(first_ns), MAX(last_ns) FROM net_conns
                 UNION ALL SELECT MIN(ts_ns), MAX(ts_ns) FROM losses)`,
            )
            .get() as { s: number | null; e: number | null });
    return {
      path: this.path,
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
      meta,
      startNs: minOf(range.s, metaStart),
      endNs: maxOf(range.e, metaEnd),
      counts: this.fromSummaryOrRows(END_OF_TIME, () => this.countsFrom(`SELECT ${COUNT_COLUMNS.join(', ')} FROM summary_state WHERE id = 1`), () => this.countsFrom(`SELECT ${COUNTS_SQL}`)),
    };
  }

  recordingState(): RecordingState {
    const meta: Record<string, string> = {};
    for (const r of this.stmt('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>) meta[r.key] = r.value;
    return recordingStateOf(meta);
  }

  private countsFrom(sql: string): RecordingInfo['counts'] {
    const n = this.stmt(sql).raw().get() as number[];
    return { sessions: n[0], processes: n[1], execs: n[2], fileOps: n[3], netConns: n[4], llmCalls: n[5], toolCalls: n[6], losses: n[7] };
  }

  sessions(q: TimeQuery = {}): SessionSummary[] {
    const at = q.atNs ?? END_OF_TIME;
    const one = q.sessionId !== undefined;
    const params = one ? { at, sid: q.sessionId } : { at };
    const rows = this.fromSummaryOrRows(
      at,
      () => this.stmt(sessionSummarySql(one)).all(params),
      () => this.stmt(sessionAggregatesSql(one)).all(params),
      this.hasBucketTables ? () => this.stmt(sessionBucketSql(one)).all(params) : undefined,
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
    }).map((s) => (this.oldChangedSummaries() ? { ...s, filesChanged: this.filesChanged({ atNs: at, sessionId: s.id }) } : s));
  }

  /** A recording finalized before files changed meant distinct paths: its summaries count change records instead. */
  private oldChangedSummaries(): boolean {
    if (this.oldChanged === undefined) {
      const meta = this.stmt('SELECT value FROM meta WHERE key = ?').get(FILES_CHANGED_META) as { value: string } | undefined;
      this.oldChanged = this.hasSummaryTables && meta === undefined && this.stmt('SELECT 1 FROM summary_state').get() !== undefined;
    }
    return this.oldChanged;
  }

  session(id: number): SessionSummary | null {
    return this.sessions({ sessionId: id })[0] ?? null;
  }

  processes(q: TimeQuery & { ids?: readonly number[] } = {}): ProcessRow[] {
    const where = ['start_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) {
      where.push('session_id = ?');
      params.push(q.sessionId);
    }
    if (q.ids !== undefined) { where.push('id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(q.ids)); }
    return this.all<ProcessRow>('processes', `SELECT * FROM processes WHERE ${where.join(' AND ')} ORDER BY start_ns, id ${limit(q)}`, params);
  }

  process(id: number): ProcessRow | null {
    return this.all<ProcessRow>('processes', 'SELECT * FROM processes WHERE id = ?', [id])[0] ?? null;
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
    return this.all<ExecRow>('execs', `SELECT e.* FROM execs e ${join} processes p ON p.id = e.process_id WHERE ${where.join(' AND ')} ORDER BY e.ts_ns, e.id ${limit(q)}`, params);
  }

  fileOps(q: TimeQuery & { processId?: number; changesOnly?: boolean; ids?: readonly number[] } = {}): FileOpRow[] {
    const where = ['first_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    if (q.ids !== undefined) { where.push('id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(q.ids)); }
    if (q.processId !== undefined) { where.push('process_id = ?'); params.push(q.processId); }
    if (q.changesOnly) where.push("op NOT IN ('open', 'read')");
    return this.all<FileOpRow>('file_ops', `SELECT * FROM file_ops WHERE ${where.join(' AND ')} ORDER BY first_ns, id ${limit(q)}`, params);
  }

  netConns(q: TimeQuery & { processId?: number; ids?: readonly number[] } = {}): NetConnRow[] {
    const where = ['first_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    if (q.ids !== undefined) { where.push('id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(q.ids)); }
    if (q.processId !== undefined) { where.push('process_id = ?'); params.push(q.processId); }
    return this.all<NetConnRow>('net_conns', `SELECT * FROM net_conns WHERE ${where.join(' AND ')} ORDER BY first_ns, id ${limit(q)}`, params);
  }

  llmCalls(q: TimeQuery & { full?: boolean } = {}): LlmCallRow[] {
    const cols = TABLES.llm_calls.columns
      .map((c) => (!q.full && HEAVY_LLM_COLUMNS.has(c.column) ? `NULL AS ${c.column}` : c.column))
      .join(', ');
    const where = ['start_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    return this.all<LlmCallRow>('llm_calls', `SELECT ${cols} FROM llm_calls WHERE ${where.join(' AND ')} ORDER BY start_ns, id ${limit(q)}`, params);
  }

  llmCall(id: number): LlmCallRow | null {
    return this.all<LlmCallRow>('llm_calls', 'SELECT * FROM llm_calls WHERE id = ?', [id])[0] ?? null;
  }

  toolCalls(q: TimeQuery & { llmCallId?: number; llmCallIds?: readonly number[] } = {}): ToolCallRow[] {
    const where = ['ts_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    if (q.llmCallId !== undefined) { where.push('llm_call_id = ?'); params.push(q.llmCallId); }
    // A list travels as one JSON parameter: one statement for any length, no bound-variable limit.
    if (q.llmCallIds !== undefined) { where.push('llm_call_id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(q.llmCallIds)); }
    return this.all<ToolCallRow>('tool_calls', `SELECT * FROM tool_calls WHERE ${where.join(' AND ')} ORDER BY ts_ns, id ${limit(q)}`, params);
  }

  causalLinks(q: { toolCallId?: number; toolCallIds?: readonly number[]; sessionId?: number; targetKind?: string; targetId?: number } = {}): CausalLinkRow[] {
    const where = ['1 = 1'];
    const params: unknown[] = [];
    if (q.toolCallId !== undefined) { where.push('l.tool_call_id = ?'); params.push(q.toolCallId); }
    if (q.toolCallIds !== undefined) { where.push('l.tool_call_id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(q.toolCallIds)); }
    if (q.targetKind !== undefined) { where.push('l.target_kind = ?'); params.push(q.targetKind); }
    if (q.targetId !== undefined) { where.push('l.target_id = ?'); params.push(q.targetId); }
    if (q.sessionId !== undefined) { where.push('t.session_id = ?'); params.push(q.sessionId); }
    return this.all<CausalLinkRow>('causal_links', `SELECT l.* FROM causal_links l JOIN tool_calls t ON t.id = l.tool_call_id WHERE ${where.join(' AND ')} ORDER BY l.id`, params);
  }

  losses(q: TimeQuery = {}): LossRow[] {
    return this.all<LossRow>('losses', `SELECT * FROM losses WHERE ts_ns <= ? ORDER BY ts_ns, id ${limit(q)}`, [q.atNs ?? END_OF_TIME]);
  }

  lossTotals(q: TimeQuery = {}): LossTotal[] {
    return this.stmt('SELECT source, SUM(count) AS count, SUM(bytes) AS bytes FROM losses WHERE ts_ns <= ? GROUP BY source ORDER BY source')
      .all(q.atNs ?? END_OF_TIME) as LossTotal[];
  }

  eventNs(atNs: number, dir: 1 | -1): number | null {
    const sql = dir > 0
      ? 'SELECT MIN(t) AS t FROM (SELECT MIN(start_ns) AS t FROM llm_calls WHERE start_ns > ? UNION ALL SELECT MIN(ts_ns) FROM losses WHERE ts_ns > ?)'
      : 'SELECT MAX(t) AS t FROM (SELECT MAX(start_ns) AS t FROM llm_calls WHERE start_ns < ? UNION ALL SELECT MAX(ts_ns) FROM losses WHERE ts_ns < ?)';
    return (this.stmt(sql).get(atNs, atNs) as { t: number | null }).t;
  }

  tokensEndedIn(atNs: number, windowNs: number): number {
    return (this.stmt(
      `SELECT COALESCE(SUM(COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0)), 0) AS n FROM llm_calls
         WHERE start_ns <= ? AND end_ns > ? AND end_ns <= ?`,
    ).get(atNs, atNs - windowNs, atNs) as { n: number }).n;
  }

  filesChanged(q: TimeQuery = {}): number {
    const { where, params } = fileChangeFilter(q.atNs ?? END_OF_TIME, q);
    return (this.stmt(`SELECT COUNT(DISTINCT path) AS n FROM file_ops WHERE ${where}`).get(...params) as { n: number }).n;
  }

  completeness(q: TimeQuery = {}): Completeness {
    const at = q.atNs ?? END_OF_TIME;
    const one = q.sessionId !== undefined;
    const llm = this.stmt(`SELECT COUNT(*) AS n, COALESCE(SUM(input_tokens), 0) + COALESCE(SUM(output_tokens), 0) AS tokens FROM llm_calls WHERE start_ns <= ?${one ? ' AND session_id = ?' : ''}`)
      .get(...(one ? [at, q.sessionId] : [at])) as { n: number; tokens: number };
    const tls = this.stmt(`SELECT COUNT(*) AS n FROM tls_conns WHERE first_ns <= ?${one ? ' AND session_id = ?' : ''}`)
      .get(...(one ? [at, q.sessionId] : [at])) as { n: number };
    const losses = this.stmt(
      'SELECT source, SUM(count) AS count, SUM(bytes) AS bytes FROM losses WHERE ts_ns <= ?' +
        (one ? ' AND (process_id IS NULL OR process_id IN (SELECT id FROM processes WHERE session_id = ?))' : '') +
        ' GROUP BY source ORDER BY source',
    ).all(...(one ? [at, q.sessionId] : [at])) as LossTotal[];
    const tlsNotDecryptedConnections = this.stmt(
      `SELECT source AS reason, process_id AS processId, bytes, detail FROM losses WHERE ts_ns <= ? AND source IN (${TLS_NOT_DECRYPTED_SOURCES.map(() => '?').join(', ')})` +
        (one ? ' AND process_id IN (SELECT id FROM processes WHERE session_id = ?)' : '') +
        ` ORDER BY ts_ns, id LIMIT ${COMPLETENESS_CONNECTIONS}`,
    ).all(...[at, ...TLS_NOT_DECRYPTED_SOURCES, ...(one ? [q.sessionId] : [])]) as Completeness['tlsNotDecryptedConnections'];
    const tlsNotDecrypted = losses.filter((l) => TLS_NOT_DECRYPTED_SOURCES.includes(l.source)).map((l) => ({ reason: l.source, connections: l.count, bytes: l.bytes }));
    // Clipped argv, paths and DNS answers are kept (marked on the row); clipped TLS plaintext is lost.
    const lost = losses.filter((l) => !TLS_NOT_DECRYPTED_SOURCES.includes(l.source) && (!l.source.endsWith(':clipped') || l.source.startsWith('tls')));
    const stoppedEarly = this.recordingState().state === 'incomplete';
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

  tlsTargets(): TlsTargetRow[] {
    return this.all<TlsTargetRow>('tls_targets', 'SELECT * FROM tls_targets ORDER BY id');
  }

  tlsConns(q: TimeQuery = {}): TlsConnRow[] {
    const where = ['first_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    return this.all<TlsConnRow>('tls_conns', `SELECT * FROM tls_conns WHERE ${where.join(' AND ')} ORDER BY first_ns, id ${limit(q)}`, params);
  }

  tlsChunks(connId: number): TlsChunkRow[] {
    return this.all<TlsChunkRow>('tls_chunks', 'SELECT * FROM tls_chunks WHERE conn_id = ? ORDER BY dir, seq', [connId]);
  }

  httpExchanges(q: TimeQuery & { connId?: number } = {}): HttpExchangeRow[] {
    const where = ['start_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    if (q.connId !== undefined) { where.push('conn_id = ?'); params.push(q.connId); }
    return this.all<HttpExchangeRow>('http_exchanges', `SELECT * FROM http_exchanges WHERE ${where.join(' AND ')} ORDER BY start_ns, id ${limit(q)}`, params);
  }

  eventLog(q: eventLog.EventLogQuery): eventLog.LogPage { return eventLog.eventLogPage(this.db, q); }
  eventLogCounts(q: Omit<eventLog.EventLogQuery, 'limit' | 'after' | 'text'>): Record<eventLog.EventKind, number> { return eventLog.eventLogCounts(this.db, q); }
  eventMark(): eventLog.EventMark { return eventLog.eventMark(this.db); }
  eventLogSince(mark: eventLog.EventMark, q: Omit<eventLog.EventLogQuery, 'after'>): eventLog.LogEvent[] { return eventLog.eventLogSince(this.db, mark, q); }

  overviewFigures(q: { sessionId?: number; limit: number; repeatedAtLeast: number; gapNs: number }): OverviewFigures { return overviewFigures(this.db, q); }

  sampledProcesses(q: { sessionId?: number } = {}): SampledProcess[] { return sampledProcesses(this.db, q); }

  resourceSamples(processId: number): ResourceSampleRow[] {
    return this.all<ResourceSampleRow>('resource_samples', 'SELECT * FROM resource_samples WHERE process_id = ? ORDER BY ts_ns', [processId]);
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
    const rows = this.stmt('SELECT * FROM activity WHERE sec >= ? AND sec < ? ORDER BY sec')
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

  /**
   * Drop every write queued and not committed, and roll back an open transaction: after a failed write, before the
   * few rows that say so are written.
   */
  abandonPending(): void {
    if (this.readOnly || this.closed) return;
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.pending.length = 0;
    this.activityPending.clear();
    for (const w of this.writers.values()) w.discard();
  }

  /**
   * After the store failed: checkpoint and leave WAL mode if the space allows, without writing summaries (a
   * cache; they would need room). Returns false when the file had to stay in WAL mode (readers still read it).
   */
  finalizeAfterFailure(): boolean {
    if (this.readOnly || this.closed) return false;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.pragma('journal_mode = DELETE');
      return true;
    } catch {
      return false;
    }
  }

  /** Make the file self-contained (no -wal/-shm beside it) so it can be copied and opened read-only. */
  finalize(): void {
    if (this.readOnly) return;
    this.flush();
    this.writeSummaries();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.pragma('journal_mode = DELETE');
  }

  /** Summaries of the recording as it is now (see end-summaries.ts); the next write to a summarized table deletes them. */
  private writeSummaries(): void {
    if (!this.hasSummaryTables) return;
    this.db.transaction(() => {
      for (const sql of this.hasBucketTables ? [...WRITE_SUMMARIES_SQL, ...WRITE_BUCKETS_SQL] : WRITE_SUMMARIES_SQL) {
        const st = this.db.prepare(sql);
        if (sql.includes('@at')) st.run({ at: END_OF_TIME });
        else st.run();
      }
      // Summaries written before "files changed" meant distinct paths hold change records in n_changed (see sessions()).
      this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(FILES_CHANGED_META, 'paths');
    })();
    this.summariesPresent = true;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }

  // ---------------------------------------------------------------- reading, added for the TUI (src/tui)

  fileChanges(q: TimeQuery & { processId?: number } = {}): FileChange[] {
    const at = q.atNs ?? END_OF_TIME;
    const { where, params } = fileChangeFilter(at, q);
    const rows = () =>
      this.stmt(`SELECT ${FILE_CHANGE_COLUMNS} FROM file_ops WHERE ${where}
         GROUP BY ${FILE_CHANGE_GROUP} ORDER BY ${FILE_CHANGE_ORDER} ${limit(q)}`).all(...params) as FileChange[];
    if (q.sessionId === undefined || q.processId !== undefined) return rows();
    const sid = q.sessionId;
    return this.fromSummaryOrRows(at, () => this.stmt(`${FILE_CHANGE_SUMMARY_SQL} ${limit(q)}`).all(sid) as FileChange[], rows);
  }

  fileChangeCounts(q: TimeQuery & { processId?: number } = {}): Array<{ op: string; count: number }> {
    const at = q.atNs ?? END_OF_TIME;
    const { where, params } = fileChangeFilter(at, q);
    const rows = () =>
      this.stmt(`SELECT op, COUNT(*) AS count FROM (SELECT op FROM file_ops WHERE ${where} GROUP BY ${FILE_CHANGE_GROUP})
         GROUP BY op ORDER BY op`).all(...params) as Array<{ op: string; count: number }>;
    if (q.sessionId === undefined || q.processId !== undefined) return rows();
    const sid = q.sessionId;
    return this.fromSummaryOrRows(at, () => this.stmt(FILE_CHANGE_COUNT_SUMMARY_SQL).all(sid) as Array<{ op: string; count: number }>, rows);
  }

  fileOp(id: number): FileOpRow | null {
    return this.all<FileOpRow>('file_ops', 'SELECT * FROM file_ops WHERE id = ?', [id])[0] ?? null;
  }

  netConn(id: number): NetConnRow | null {
    return this.all<NetConnRow>('net_conns', 'SELECT * FROM net_conns WHERE id = ?', [id])[0] ?? null;
  }

  netDestinations(q: TimeQuery = {}): NetDestination[] {
    const at = q.atNs ?? END_OF_TIME;
    const where = ['first_ns <= ?'];
    const params: unknown[] = [at];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    const rows = () =>
      this.stmt(`SELECT ${NET_DEST_COLUMNS} FROM net_conns WHERE ${where.join(' AND ')}
         GROUP BY ${NET_DEST_GROUP} ORDER BY ${NET_DEST_ORDER} ${limit(q)}`).all(...params) as NetDestination[];
    if (q.sessionId === undefined) return rows();
    const sid = q.sessionId;
    return this.fromSummaryOrRows(at, () => this.stmt(`${NET_DEST_SUMMARY_SQL} ${limit(q)}`).all(sid) as NetDestination[], rows);
  }

  readSnapshot<T>(fn: () => T): T {
    if (this.snapshot !== null) return fn();
    this.snapshot = { summaryAsOf: undefined };
    try {
      return this.inReadTx(fn) as T;
    } finally {
      this.snapshot = null;
    }
  }

  netDestinationCount(q: TimeQuery = {}): number {
    const at = q.atNs ?? END_OF_TIME;
    const where = ['first_ns <= ?'];
    const params: unknown[] = [at];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    const rows = () =>
      (this.stmt(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM net_conns WHERE ${where.join(' AND ')} GROUP BY ${NET_DEST_GROUP})`).get(...params) as { n: number }).n;
    if (q.sessionId === undefined) return rows();
    const sid = q.sessionId;
    return this.fromSummaryOrRows(at, () => (this.stmt(NET_DEST_COUNT_SUMMARY_SQL).get(sid) as { n: number }).n, rows);
  }

  /**
   * Answer from the finished recording's summaries when they exist and hold for `at`, else from the rows. Both reads
   * happen in one transaction: a writer that changes the recording deletes the summaries in the commit that
   * changes the rows, so a reader sees either valid summaries or none.
   */
  private fromSummaryOrRows<T>(at: number, fromSummary: () => T, fromRows: () => T, beforeEnd?: () => T): T {
    if (!this.hasSummaryTables || !this.useSummaries) return fromRows();
    const answer = (asOf: number | null): T => (asOf === null ? fromRows() : asOf <= at ? fromSummary() : beforeEnd ? beforeEnd() : fromRows());
    // Inside readSnapshot the state cannot change until it ends: read it once, not once per query (--once asks ~150
    // times, each a SAVEPOINT, a SELECT and a RELEASE).
    const snap = this.snapshot;
    if (snap !== null) return answer(snap.summaryAsOf === undefined ? (snap.summaryAsOf = this.summaryAsOf()) : snap.summaryAsOf);
    return this.inReadTx(() => answer(this.summaryAsOf())) as T;
  }

  /** as_of_ns of the summaries, or null when there are none. */
  private summaryAsOf(): number | null {
    const state = this.stmt('SELECT as_of_ns FROM summary_state WHERE id = 1').get() as { as_of_ns: number } | undefined;
    return state === undefined ? null : state.as_of_ns;
  }

  private clearSummaries(): void {
    for (const sql of CLEAR_SUMMARIES_SQL) this.db.prepare(sql).run();
    if (this.hasBucketTables) for (const sql of CLEAR_BUCKETS_SQL) this.db.prepare(sql).run();
  }

  recentLlmCalls(q: TimeQuery & { limit: number }): LlmCallRow[] {
    const cols = TABLES.llm_calls.columns
      .map((c) => (HEAVY_LLM_COLUMNS.has(c.column) ? `NULL AS ${c.column}` : c.column))
      .join(', ');
    const where = ['start_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    return this.all<LlmCallRow>('llm_calls', `SELECT ${cols} FROM llm_calls WHERE ${where.join(' AND ')} ORDER BY start_ns DESC, id DESC ${limit(q)}`, params).reverse();
  }

  llmCallTexts(q: TimeQuery & { maxChars?: number } = {}): LlmCallText[] {
    const max = Math.max(16, Math.floor(q.maxChars ?? 400));
    const where = ['start_ns <= ?'];
    const params: unknown[] = [q.atNs ?? END_OF_TIME];
    if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
    // The prompt is the last user turn (message-text.ts isUserTurn: not a system or developer message an agent
    // appends, not an assistant turn), per provider shape; of a long one only the tail, where the user's words are.
    const rows = this.stmt(
        `SELECT id, sessionId, startNs, response,
           CASE WHEN length(turn) > ${max * 4} THEN substr(turn, -${max * 4}) ELSE turn END AS prompt,
           (json_valid(turn) AND (json_extract(turn, '$.role') = 'tool' OR json_extract(turn, '$.type') = 'function_call_output'
             OR instr(turn, '"tool_result"') > 0 OR instr(turn, '"functionResponse"') > 0)) AS toolResult
         FROM (SELECT id, session_id AS sessionId, start_ns AS startNs, substr(response_text, 1, ${max}) AS response,
           CASE WHEN json_valid(request_json) THEN COALESCE(
             (SELECT value FROM json_each(request_json, CASE WHEN json_type(request_json, '$.messages') = 'array' THEN '$.messages'
                 WHEN json_type(request_json, '$.input') = 'array' THEN '$.input' ELSE '$.contents' END)
               WHERE type = 'text' OR (type = 'object' AND COALESCE(json_extract(value, '$.role'), 'user') IN ('user', 'tool')
                 AND COALESCE(json_extract(value, '$.type'), 'message') IN ('message', 'function_call_output'))
               ORDER BY key DESC LIMIT 1),
             CASE WHEN json_type(request_json, '$.input') = 'text' THEN json_quote(json_extract(request_json, '$.input')) END) END AS turn
           FROM llm_calls WHERE ${where.join(' AND ')} ORDER BY start_ns DESC, id DESC ${limit(q)}) ORDER BY startNs DESC, id DESC`,
      )
      .all(...params) as Array<LlmCallText & { toolResult: number | null }>;
    return rows.map(({ toolResult, ...t }) => ({ ...t, prompt: storedPromptText(t.prompt, toolResult === 1) }));
  }

  /** For tests of table specs only. */
  static specOf(table: TableName): TableSpec {
    return TABLES[table];
  }
}

function limit(q: TimeQuery): string {
  return q.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(q.limit))}` : '';
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

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}

/** Map better-sqlite3 errors to StoreError codes. */
export function wrap(err: unknown, path: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: string }).code ?? '';
  const msg = (err as Error).message ?? String(err);
  if (code === 'SQLITE_NOTADB') return new StoreError('NOT_SQLITE', path, `${path}: not a SQLite database (not an agentsight recording)`, err);
  if (code.startsWith('SQLITE_CORRUPT')) return damaged(path, msg.split('\n')[0], err);
  if (code === 'SQLITE_FULL') return new StoreError('NO_SPACE', path, `${path}: no space left on device (${msg})`, err);
  if (code === 'SQLITE_CANTOPEN') return new StoreError('IO', path, `${path}: cannot open (${msg})`, err);
  return new StoreError('IO', path, `${path}: ${msg}`, err);
}

/** WHERE terms and parameters of the file-change readers (changes as of `at`, optionally of one session/process). */
function fileChangeFilter(at: number, q: { sessionId?: number; processId?: number }): { where: string; params: unknown[] } {
  const terms = [`first_ns <= ?`, FILE_CHANGE_WHERE];
  const params: unknown[] = [at];
  if (q.sessionId !== undefined) { terms.push('session_id = ?'); params.push(q.sessionId); }
  if (q.processId !== undefined) { terms.push('process_id = ?'); params.push(q.processId); }
  return { where: terms.join(' AND '), params };
}

/**
 * What a read hits after the open checks (a damaged leaf page of a large file, say) ends the same way as what they
 * find: a StoreError naming the file, from every method of a read-only store, so no reader prints a stack trace,
 * a bare SQLite message or a partial answer with exit 0. Errors that are not SQLite's (bugs) pass unchanged; a
 * writer's errors are left to the writer (record handles a full disk itself).
 */
function readError(err: unknown, path: string): unknown {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (isCorruption(err)) return damaged(path, ((err as Error).message ?? code).split('\n')[0], err);
  return code.startsWith('SQLITE_') ? wrap(err, path) : err;
}

for (const name of Object.getOwnPropertyNames(SqliteStore.prototype)) {
  const d = Object.getOwnPropertyDescriptor(SqliteStore.prototype, name)!;
  if (name === 'constructor' || typeof d.value !== 'function') continue;
  const method = d.value as (...args: unknown[]) => unknown;
  Object.defineProperty(SqliteStore.prototype, name, {
    ...d,
    value: function (this: SqliteStore, ...args: unknown[]) {
      try {
        return method.apply(this, args);
      } catch (err) {
        throw this.readOnly ? readError(err, this.path) : err;
      }
    },
  });
}
