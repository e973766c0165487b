/** Why a store could not be opened or used; the CLI turns these into one-line messages and exit code 2. */
export type StoreErrorCode =
  | 'NOT_FOUND'
  | 'NOT_SQLITE'
  | 'CORRUPT'
  | 'NOT_AN_AGENTSIGHT_DB'
  | 'NEWER_SCHEMA'
  | 'READ_ONLY'
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
