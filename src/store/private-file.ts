/**
 * A new recording, private from its first byte. A recording holds prompts, code and command lines: no other local
 * user may read any file of it at any moment, including while it is written and after a crash.
 *
 * The .db file is created here with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 (set again with fchmod: the umask only ever
 * removes bits, but an odd umask must not leave it unwritable) and given to its owner with fchown, before SQLite
 * writes a byte. SQLite's unix VFS then creates -wal, -journal (findCreateFileMode) and -shm with the main file's
 * mode and, running as root, chowns them to its owner (robustFchown), all with O_NOFOLLOW: every file of the
 * recording is the owner's and 0600 from its creation (test/e2e/file-safety.test.ts checks this mid-run and after
 * kill -9).
 *
 * A -wal, -shm or -journal already beside the name is refused: SQLite would adopt it (and replay a -wal into the new
 * recording, or write into a file another user holds open). `unique` is for default names: on any collision the
 * next free NAME-2.db, NAME-3.db, … is taken, so two recorders started in the same second both get their own file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from './errors';
import { wrap } from './sqlite/open';
import { createRecording, type SqliteStore } from './sqlite/sqlite-store';

export interface FileOwner {
  uid: number;
  gid: number;
}

/** Files SQLite may create beside a database. */
export const SIDECARS = ['-wal', '-shm', '-journal'] as const;

/** How many NAME-N.db a default name tries before giving up (a directory full of same-second recordings). */
const MAX_SUFFIX = 100;

/**
 * Create `file` as a new, empty recording owned by `owner` (default: this process), mode 0600, and open it for
 * writing. With `unique`, a taken name moves on to NAME-2.db, NAME-3.db, …; without it, a taken name is an error.
 * Throws StoreError ('EXISTS', 'NO_SPACE', 'IO'); on any failure nothing it created is left behind.
 */
export function createPrivateRecording(file: string, opts: { owner?: FileOwner; unique?: boolean } = {}): { store: SqliteStore; path: string } {
  const base = path.resolve(file);
  const ext = path.extname(base);
  for (let n = 1; n <= (opts.unique ? MAX_SUFFIX : 1); n++) {
    const candidate = n === 1 ? base : `${base.slice(0, base.length - ext.length)}-${n}${ext}`;
    const fd = createExclusive(candidate, opts.unique === true);
    if (fd === null) continue;
    return { store: openCreated(candidate, fd, opts.owner), path: candidate };
  }
  throw new StoreError('EXISTS', base, `${base} and ${MAX_SUFFIX - 1} numbered variants already exist; choose another --db`);
}

/** The new file's descriptor, or null when the name is taken and `skipTaken` (else a StoreError saying what is there). */
function createExclusive(file: string, skipTaken: boolean): number | null {
  for (const s of SIDECARS) {
    if (lstatOrNull(file + s) !== null) {
      if (skipTaken) return null;
      throw new StoreError('EXISTS', file, `${file}${s} already exists (left by another recording?); choose another --db`);
    }
  }
  const { O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW, O_CLOEXEC } = fs.constants as typeof fs.constants & { O_CLOEXEC: number };
  try {
    return fs.openSync(file, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | (O_CLOEXEC ?? 0), 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (skipTaken) return null;
      throw new StoreError('EXISTS', file, `${file}: ${describeExisting(file)}; choose another --db`);
    }
    throw ioError(file, err);
  }
}

/** Make the created file private and its owner's, then let SQLite open it; undo everything on failure. */
function openCreated(file: string, fd: number, owner: FileOwner | undefined): SqliteStore {
  let store: SqliteStore | null = null;
  try {
    fs.fchmodSync(fd, 0o600);
    if (owner && process.geteuid?.() === 0) fs.fchownSync(fd, owner.uid, owner.gid);
    store = createRecording(file, 'create');
    // SQLite opened the name again: it must still be the file made above (the owner could have swapped it for a
    // link in between; SQLite resolves links in the name before opening it).
    const mine = fs.fstatSync(fd);
    const now = lstatOrNull(file);
    if (!now || !now.isFile() || now.ino !== mine.ino || now.dev !== mine.dev) {
      throw new StoreError('IO', file, `${file}: replaced while being created; not recording into it`);
    }
    return store;
  } catch (err) {
    try {
      store?.close();
    } catch {
      // closing a store whose first write failed can fail again; the first error is the one to report
    }
    removeCreated(file, fd);
    // SQLite reports some writes into a full file system as plain I/O errors (the -shm's mapping, say).
    if (!(err instanceof StoreError && err.code !== 'IO') && nearlyFull(path.dirname(file))) {
      throw new StoreError('NO_SPACE', file, `${file}: no space left on device`, err);
    }
    throw err instanceof StoreError ? err : ioError(file, err);
  } finally {
    fs.closeSync(fd);
  }
}

/** Remove the file made by createExclusive (only if the name is still it) and whatever SQLite created beside it. */
function removeCreated(file: string, fd: number): void {
  const mine = fs.fstatSync(fd);
  const now = lstatOrNull(file);
  if (now && now.ino === mine.ino && now.dev === mine.dev) fs.rmSync(file, { force: true });
  // Sidecars did not exist when the file was created (createExclusive checked): any there now are SQLite's.
  for (const s of SIDECARS) {
    const st = lstatOrNull(file + s);
    if (st?.isFile() && st.uid === mine.uid) fs.rmSync(file + s, { force: true });
  }
}

/** Less room left than a new recording needs to start (its first pages, -wal and -shm: ~100 KiB). */
function nearlyFull(dir: string): boolean {
  try {
    const st = fs.statfsSync(dir);
    return st.bavail * st.bsize < 256 * 1024;
  } catch {
    return false;
  }
}

function describeExisting(file: string): string {
  const st = lstatOrNull(file);
  if (!st) return 'already exists';
  if (st.isSymbolicLink()) return `is a symbolic link${fs.existsSync(file) ? '' : ' (dangling)'}; --db never follows links`;
  if (st.isDirectory()) return 'is a directory';
  if (!st.isFile()) return 'exists and is not a regular file';
  return 'already exists';
}

function ioError(file: string, err: unknown): StoreError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StoreError('NO_SPACE', file, `${file}: no space left on device`, err);
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return wrap(err, file);
  const reason = ((err as Error).message ?? String(err)).replace(/^[A-Z]+: /, '').replace(/, open '.*'$/, '');
  return new StoreError('IO', file, `${file}: cannot create (${reason})`, err);
}

export function lstatOrNull(file: string): fs.Stats | null {
  try {
    return fs.lstatSync(file);
  } catch {
    return null;
  }
}
