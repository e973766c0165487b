/**
 * The finished recording's summaries (SQL in end-summaries.ts): finalize() writes them, the writer deletes them with
 * the first change to a summarized table, and readers answer from them when they hold for the moment asked.
 */
import { CLEAR_BUCKETS_SQL, CLEAR_SUMMARIES_SQL, WRITE_BUCKETS_SQL, WRITE_SUMMARIES_SQL } from '../end-summaries';
import type { OpenDb } from './open';
import { END_OF_TIME, type Statements } from './statements';

/** meta key finalize() sets: its summaries count files changed as distinct paths (docs/figures.md). */
export const FILES_CHANGED_META = 'summary_files_changed';

/** Summaries of the recording as it is now; the next write to a summarized table deletes them. */
export function writeSummaries(o: OpenDb): void {
  if (!o.hasSummaryTables) return;
  o.db.transaction(() => {
    for (const sql of o.hasBucketTables ? [...WRITE_SUMMARIES_SQL, ...WRITE_BUCKETS_SQL] : WRITE_SUMMARIES_SQL) {
      const st = o.db.prepare(sql);
      if (sql.includes('@at')) st.run({ at: END_OF_TIME });
      else st.run();
    }
    // Summaries written before "files changed" meant distinct paths hold change records in n_changed (see sessions()).
    o.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(FILES_CHANGED_META, 'paths');
  })();
}

/** Delete the summaries (in the caller's transaction). */
export function clearSummaries(o: OpenDb): void {
  for (const sql of CLEAR_SUMMARIES_SQL) o.db.prepare(sql).run();
  if (o.hasBucketTables) for (const sql of CLEAR_BUCKETS_SQL) o.db.prepare(sql).run();
}

/** Whether the file holds summaries now. */
export function summariesPresent(o: OpenDb, st: Statements): boolean {
  return o.hasSummaryTables && st.stmt('SELECT 1 FROM summary_state').get() !== undefined;
}

/**
 * The reader's choice between summaries and rows, and its read snapshots. Summaries are a cache of the rows'
 * answers: `useSummaries: false` answers from the rows, which is how tests check the cache against them.
 */
export class SummaryGate {
  /** Runs a function in one read transaction, so a summary and its validity are read from the same snapshot. */
  private readonly inReadTx: (f: () => unknown) => unknown;
  /**
   * Set while readSnapshot runs: the summary state read in it (undefined until first asked). A snapshot is one read
   * transaction, so what it read once holds until it ends; writes happen in flush(), never inside a reader's fn.
   */
  private snapshot: { summaryAsOf: number | null | undefined } | null = null;
  private oldChanged: boolean | undefined;

  constructor(private readonly o: OpenDb, private readonly st: Statements, private readonly useSummaries: boolean) {
    this.inReadTx = o.db.transaction((f: () => unknown) => f());
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

  /**
   * Answer from the finished recording's summaries when they exist and hold for `at`, else from the rows. Both reads
   * happen in one transaction: a writer that changes the recording deletes the summaries in the commit that
   * changes the rows, so a reader sees either valid summaries or none.
   */
  fromSummaryOrRows<T>(at: number, fromSummary: () => T, fromRows: () => T, beforeEnd?: () => T): T {
    if (!this.o.hasSummaryTables || !this.useSummaries) return fromRows();
    const answer = (asOf: number | null): T => (asOf === null ? fromRows() : asOf <= at ? fromSummary() : beforeEnd ? beforeEnd() : fromRows());
    // Inside readSnapshot the state cannot change until it ends: read it once, not once per query (--once asks ~150
    // times, each a SAVEPOINT, a SELECT and a RELEASE).
    const snap = this.snapshot;
    if (snap !== null) return answer(snap.summaryAsOf === undefined ? (snap.summaryAsOf = this.summaryAsOf()) : snap.summaryAsOf);
    return this.inReadTx(() => answer(this.summaryAsOf())) as T;
  }

  /** A recording finalized before files changed meant distinct paths: its summaries count change records instead. */
  oldChangedSummaries(): boolean {
    if (this.oldChanged === undefined) {
      const meta = this.st.stmt('SELECT value FROM meta WHERE key = ?').get(FILES_CHANGED_META) as { value: string } | undefined;
      this.oldChanged = this.o.hasSummaryTables && meta === undefined && this.st.stmt('SELECT 1 FROM summary_state').get() !== undefined;
    }
    return this.oldChanged;
  }

  /** as_of_ns of the summaries, or null when there are none. */
  private summaryAsOf(): number | null {
    const state = this.st.stmt('SELECT as_of_ns FROM summary_state WHERE id = 1').get() as { as_of_ns: number } | undefined;
    return state === undefined ? null : state.as_of_ns;
  }
}
