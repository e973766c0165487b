/**
 * Opening a recording's database: the file checks, our-format and schema checks, migrations and the connection's
 * pragmas. Both sides (writer.ts, reader.ts) start from what this returns. Throws StoreError with a code the CLI maps
 * to a one-line message.
 */
import Database from 'better-sqlite3';
import { StoreError } from '../errors';
import { CLEAR_SUMMARIES_SQL } from '../end-summaries';
import { checkSameFile, checkStructure, damaged, inspectFile, WAL_IMAGE_MAX_BYTES, walFreeImage } from '../file-check';
import { FORMAT_TAG, SCHEMA_VERSION, migrations, readableAsIs } from '../migrations';
import { sqliteAddonPath } from '../sqlite-addon';

export type OpenMode = 'create' | 'readonly' | 'readwrite';

/** Address space a read-only open may map (not memory used: pages come from the OS page cache). */
const READER_MMAP_BYTES = 1 << 30;

/** An open connection and what its schema version allows. */
export interface OpenDb {
  readonly path: string;
  readonly db: Database.Database;
  readonly readOnly: boolean;
  /** The file has the summary tables (schema v3 or later), and the per-minute ones (v4 or later). */
  readonly hasSummaryTables: boolean;
  readonly hasBucketTables: boolean;
}

/**
 * Open (or create) the database at `path`. Read-only opens run the damage checks of file-check.ts and never modify
 * the file; writable ones migrate it to this build's schema and put it in WAL mode.
 */
export function openDb(path: string, mode: OpenMode): OpenDb {
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
    if (facts) checkSameFile(path, facts);
    const opened = prepare(path, db, mode);
    if (facts && mode === 'readonly') checkStructure(db, path, facts);
    return opened;
  } catch (err) {
    db.close();
    throw err instanceof StoreError ? err : wrap(err, path);
  }
}

function prepare(path: string, db: Database.Database, mode: OpenMode): OpenDb {
  const readOnly = mode === 'readonly';
  const version = db.pragma('user_version', { simple: true }) as number;
  if (mode === 'create' && version === 0 && tableCount(db) === 0) {
    // A new, empty file is created without fsync: the switch to WAL (a rollback-journal transaction) and the first
    // WAL header each synced the file, its journal and the directory — 6 fsyncs, 10-50 ms before `record` could start
    // its command (BENCHMARKS.md, start-up). A power loss in that instant loses an empty recording; from here on
    // synchronous=NORMAL, and the first checkpoint syncs what was written unsynced.
    db.pragma('synchronous = OFF');
    db.pragma('journal_mode = WAL');
    migrate(db, 0);
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('format', FORMAT_TAG);
    db.pragma('synchronous = NORMAL');
  } else {
    checkOurs(path, db, version);
    if (version < SCHEMA_VERSION) {
      if (readOnly) {
        if (!readableAsIs(version)) {
          throw new StoreError('NEWER_SCHEMA', path, `${path}: recording has schema v${version}, which this build cannot read (it reads v${SCHEMA_VERSION})`);
        }
      } else migrate(db, version);
    }
    if (!readOnly) db.pragma('journal_mode = WAL');
  }
  db.pragma('busy_timeout = 2000');
  const finalVersion = db.pragma('user_version', { simple: true }) as number;
  // Readers touch most pages of the big indexes on a seek. Through the default 2 MiB page cache every query
  // re-read them with pread; mapped, a fresh `top --once` on the 1M-event fixture spent half the time in sys.
  if (readOnly) db.pragma(`mmap_size = ${READER_MMAP_BYTES}`);
  return { path, db, readOnly, hasSummaryTables: finalVersion >= 3, hasBucketTables: finalVersion >= 4 };
}

function tableCount(db: Database.Database): number {
  return (db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
}

function checkOurs(path: string, db: Database.Database, version: number): void {
  let format: string | undefined;
  try {
    format = (db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined)?.value;
  } catch (err) {
    if (isCorruption(err)) throw wrap(err, path);
    format = undefined;
  }
  if (format !== FORMAT_TAG) {
    throw new StoreError('NOT_AN_AGENTSIGHT_DB', path, `${path}: SQLite database, but not an agentsight recording`);
  }
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      'NEWER_SCHEMA',
      path,
      `${path}: recorded by a newer agentsight (schema v${version}; this build reads up to v${SCHEMA_VERSION})`,
    );
  }
}

function migrate(db: Database.Database, from: number): void {
  db.transaction(() => {
    for (let v = from; v < migrations.length; v++) db.exec(migrations[v]!.sql);
    // v3 summaries without the v4 per-minute ones would answer seeks wrongly: drop them until the next finalize().
    if (from === 3) for (const sql of CLEAR_SUMMARIES_SQL) db.prepare(sql).run();
    db.pragma(`user_version = ${migrations.length}`);
  })();
}

export function isCorruption(err: unknown): boolean {
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
