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
  | 'IO';

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
