/** Why a store could not be opened or used; the CLI turns these into one-line messages and exit code 2. */
export type StoreErrorCode =
  | 'NOT_FOUND'
  | 'NOT_SQLITE'
  /** A link, directory, FIFO, socket or device where a recording file was expected. */
  | 'NOT_REGULAR'
  | 'CORRUPT'
  | 'NOT_AN_AGENTSIGHT_DB'
  | 'NEWER_SCHEMA'
  | 'READ_ONLY'
  /** Creating: something is already at the name (or beside it: -wal, -shm, -journal). */
  | 'EXISTS'
  /** Creating or writing: the file system is full (ENOSPC, EDQUOT, SQLITE_FULL). */
  | 'NO_SPACE'
  | 'IO'

  /** The file being written was removed or replaced (a writer's error: SQLite would go on writing to nothing). */
  | 'REMOVED';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    readonly path: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/**
 * An error of SQLite itself (better-sqlite3's SqliteError: disk full, I/O error, file removed under us …) rather than
 * a bug of ours: the store cannot write, and the recording has failed — not the recorded command.
 */
export function isSqliteFailure(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_') || (err instanceof StoreError && code === 'REMOVED'));
}
