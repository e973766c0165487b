/**
 * Errors of the report commands: the message is already fit for users (one line, names the file and the cause) and
 * carries the exit code the convention asks for: 1 when nothing was found, 2 for bad input.
 */
import { StoreError } from '../store';

export const EXIT_OK = 0;
export const EXIT_NOTHING_FOUND = 1;
export const EXIT_BAD_INPUT = 2;

export class ReportError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = EXIT_BAD_INPUT) {
    super(message);
    this.name = 'ReportError';
  }
}

/**
 * Turn anything thrown while reading a recording into a ReportError. better-sqlite3 can open a truncated file and only
 * fail at the first query that touches a missing page, so query errors are mapped here too, not only open errors.
 */
export function toReportError(err: unknown, path?: string): ReportError {
  if (err instanceof ReportError) return err;
  if (err instanceof StoreError) return new ReportError(firstLine(err.message), EXIT_BAD_INPUT);
  const code = (err as { code?: string }).code ?? '';
  const msg = firstLine((err as Error)?.message ?? String(err));
  const where = path ? `${path}: ` : '';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new ReportError(`${where}recording is corrupt or truncated (${msg})`, EXIT_BAD_INPUT);
  }
  if (code.startsWith('SQLITE_')) return new ReportError(`${where}cannot read recording (${msg})`, EXIT_BAD_INPUT);
  return new ReportError(`${where}${msg}`, EXIT_BAD_INPUT);
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}

/** Errors that come from the recording's content (store errors, SQLite errors), as opposed to bugs. */
export function isDataError(err: unknown): boolean {
  if (err instanceof StoreError || err instanceof ReportError) return true;
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_');
}
