/**
 * The collector's side of a recording (RecordingWriter): ids, buffered rows committed in one transaction per
 * flush(), the end of a recording (finalize), and what is left after the store failed. Live capture writes in WAL
 * mode, so readers on other connections see each commit and nothing between.
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { StoreError } from '../errors';
import { SUMMARIZED_TABLES } from '../end-summaries';
import { RowWriter, type WriteVerb } from '../row-writer';
import type { ActivityDelta, IdTable, RecordingWriter } from '../store';
import { TABLES, type TableName } from '../table-specs';
import type {
  CausalLinkRow,
  McpCallRow,
  McpServerRow,
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
} from '../types';
import type { OpenDb } from './open';
import { Statements } from './statements';
import { clearSummaries, summariesPresent, writeSummaries } from './summaries';

type Op = () => void;

export class SqliteWriter implements RecordingWriter {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly st: Statements;
  private readonly pending: Op[] = [];
  private readonly ids = new Map<IdTable, number>();
  /** One writer per (verb, table), in first-use order. */
  private readonly writers = new Map<string, RowWriter>();
  private metaStmt: Database.Statement | null = null;
  private activityStmt: Database.Statement | null = null;
  private readonly activityPending = new Map<number, Required<ActivityDelta>>();
  /** Summaries are present and a write to a summarized table must delete them. */
  private summariesPresent: boolean;
  private closed = false;
  /** (device, inode) of the file and of its WAL, to notice them removed or replaced (see checkStillThere). */
  private fileIds: { db: string | null; wal: string | null } | null = null;

  constructor(readonly opened: OpenDb) {
    const o = opened;
    if (o.readOnly) throw new StoreError('READ_ONLY', o.path, `${o.path}: opened read-only`);
    this.path = o.path;
    this.db = o.db;
    this.st = new Statements(o.db);
    this.summariesPresent = summariesPresent(o, this.st);
    for (const t of Object.keys(TABLES) as TableName[]) if (t !== 'resource_samples') this.ids.set(t as IdTable, this.maxId(t as IdTable) + 1);
  }

  private maxId(table: IdTable): number {
    return (this.db.prepare(`SELECT MAX(id) AS m FROM ${table}`).get() as { m: number | null }).m ?? 0;
  }

  nextId(table: IdTable): number {
    const id = this.ids.get(table) ?? 1;
    this.ids.set(table, id + 1);
    return id;
  }

  /**
   * Queue one row. Full multi-row chunks are written at once inside the transaction the next flush() commits (one
   * transaction per flush; readers of other connections see nothing until then), so the rows of a commit interval
   * are never all held on the JS heap. Rows of one table keep their order (last REPLACE wins); no table refers to
   * another by constraint, so the order across tables does not matter.
   */
  private put(table: TableName, row: object, verb: WriteVerb = 'INSERT OR REPLACE'): void {
    const key = verb + table;
    // Summaries describe the finished recording; once it changes they would be wrong, so they are deleted in the
    // transaction that will commit the change.
    if (this.summariesPresent && SUMMARIZED_TABLES.has(table)) {
      this.begin();
      this.guarded(() => clearSummaries(this.opened));
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
      this.dropQueued();
      // The rollback may have brought back summaries this transaction had deleted.
      this.summariesPresent = summariesPresent(this.opened, this.st);
      throw err;
    }
  }

  private dropQueued(): void {
    this.pending.length = 0;
    this.activityPending.clear();
    for (const w of this.writers.values()) w.discard();
  }

  putMeta(key: string, value: string): void {
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
  putMcpServer(row: McpServerRow): void { this.put('mcp_servers', row); }
  putMcpCall(row: McpCallRow): void { this.put('mcp_calls', row); }
  addLoss(row: LossRow): void { this.put('losses', row, 'INSERT'); }
  addResourceSample(row: ResourceSampleRow): void { this.put('resource_samples', row); }

  addActivity(tsNs: number, delta: ActivityDelta): void {
    const sec = Math.floor(tsNs / 1e9);
    let b = this.activityPending.get(sec);
    if (!b) {
      b = { procEvents: 0, fileOps: 0, netEvents: 0, llmCalls: 0, tokens: 0, errors: 0, losses: 0 };
      this.activityPending.set(sec, b);
    }
    for (const k of Object.keys(delta) as Array<keyof ActivityDelta>) b[k] += delta[k] ?? 0;
  }

  flush(): void {
    if (this.closed) return;
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

  /**
   * Drop every write queued and not committed, and roll back an open transaction: after a failed write, before the
   * few rows that say so are written.
   */
  abandonPending(): void {
    if (this.closed) return;
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.dropQueued();
  }

  /**
   * After the store failed: checkpoint and leave WAL mode if the space allows, without writing summaries (a
   * cache; they would need room). Returns false when the file had to stay in WAL mode (readers still read it).
   */
  finalizeAfterFailure(): boolean {
    if (this.closed) return false;
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
    this.flush();
    writeSummaries(this.opened);
    if (this.opened.hasSummaryTables) this.summariesPresent = true;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.pragma('journal_mode = DELETE');
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }
}
