/**
 * Which recordings a report reads: --db FILE; else, with --dir or --since/--until, every recording in the directory
 * (as ccusage-like tools read every session file); else the newest agentsight-*.db in the current directory. Opening
 * goes through the store (read-only); its StoreError codes become one-line messages with exit code 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openRecording, type RecordingReader } from '../store';
import type { ReportContext } from './context';
import { spanInRange, type DayRange } from './day-range';
import { EXIT_NOTHING_FOUND, ReportError, isDataError, toReportError } from './errors';

/** Names `agentsight record` gives its output (agentsight-YYYYMMDD-HHMMSS.db) and anything else with that prefix. */
const RECORDING_NAME = /^agentsight-.*\.db$/;

export interface RecordingFile {
  readonly path: string;
  readonly name: string;
  readonly mtimeMs: number;
  readonly size: number;
  /** Named as `record` names its output (agentsight-*.db); other files are candidates only when they are SQLite. */
  readonly named: boolean;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** A file that starts like a SQLite database: a recording renamed (run.db, ci-42.sqlite) or another tool's. */
function looksLikeSqlite(p: string): boolean {
  let fd: number | null = null;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    return fs.readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_MAGIC);
  } catch {
    return false;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * Recording files in a directory, newest first (by modification time, then by name, which embeds the start time):
 * every agentsight-*.db, and any other regular file that is a SQLite database (whether it is an agentsight recording,
 * its meta.format tag, is for the store to say when it is opened; a foreign one is then skipped with a note).
 */
export function listRecordingFiles(dir: string): RecordingFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ReportError(`${dir}: no such directory`);
    if (code === 'ENOTDIR') throw new ReportError(`${dir}: not a directory`);
    throw new ReportError(`${dir}: ${(err as Error).message}`);
  }
  const out: RecordingFile[] = [];
  for (const name of names) {
    const named = RECORDING_NAME.test(name);
    const p = path.join(dir, name);
    try {
      // lstat: a link is not followed (it could point anywhere), as --db never follows one.
      const st = fs.lstatSync(p);
      if (st.isFile() && (named || looksLikeSqlite(p))) out.push({ path: p, name, mtimeMs: st.mtimeMs, size: st.size, named });
    } catch {
      // Vanished between readdir and stat (a recording being renamed): not a recording to list.
    }
  }
  return out.sort((a, b) => b.mtimeMs - a.mtimeMs || b.name.localeCompare(a.name));
}

/** The path a report reads: --db as given, or the newest recording in dir. */
export function resolveRecordingPath(db: string | undefined, dir: string): string {
  if (db) {
    // What it is (a directory, a link, a FIFO, damaged) is the store's to say, in the words every reader uses.
    return path.resolve(dir, db);
  }
  // The newest by name only: another tool's database saved here last must not become what `report` reads.
  const files = listRecordingFiles(dir).filter((f) => f.named);
  if (files.length === 0) {
    throw new ReportError(
      `no agentsight-*.db recordings in ${dir} (record one with \`agentsight record -- CMD\`, or pass --db FILE)`,
      EXIT_NOTHING_FOUND,
    );
  }
  return files[0].path;
}

/** Open read-only, run `fn`, close; every store or SQLite failure becomes a ReportError naming the file. */
export function withRecording<T>(file: string, fn: (store: RecordingReader) => T): T {
  let store: RecordingReader;
  try {
    store = openRecording(file);
  } catch (err) {
    throw toReportError(err, file);
  }
  try {
    return fn(store);
  } catch (err) {
    // Programming errors stay what they are (the CLI reports them as internal); data errors name the file.
    if (isDataError(err)) throw toReportError(err, file);
    throw err;
  } finally {
    try {
      store.close();
    } catch {
      // Closing a read-only handle of a damaged file can fail too; the first error is the one to report.
    }
  }
}

/**
 * The recordings `report token` and `report list` read. --db: that one. --dir or --since/--until (without --db): every
 * recording in the directory, oldest first, as ccusage-like tools read every session file. Otherwise the newest, as
 * the other reports, which describe one run.
 */
export function selectRecordings(o: { db?: string; dir?: string; since?: string; until?: string }, dir: string): { files: string[]; many: boolean } {
  const many = !o.db && (o.dir !== undefined || o.since !== undefined || o.until !== undefined);
  if (!many) return { files: [resolveRecordingPath(o.db, dir)], many };
  const files = listRecordingFiles(dir).reverse();
  if (files.length === 0) {
    throw new ReportError(`no recordings in ${dir} (record one with \`agentsight record -- CMD\`, or pass --db FILE)`, EXIT_NOTHING_FOUND);
  }
  return { files: files.map((f) => f.path), many };
}

/** Where a report over calls reads: one recording (--db, or the newest) or every recording of a directory. */
export interface RecordingSource {
  /** Recording files in the order they are read (oldest first when several). */
  readonly files: readonly string[];
  /** Every recording of --dir (with --since/--until): rows then name their file, since ids restart in each. */
  readonly many: boolean;
  readonly range: DayRange;
}

/**
 * Run `fn` on each recording of the source that ran within its range (all of them for one file). With --db the
 * error is the answer; among many, one bad file must not hide the others: it is skipped with a note on stderr and
 * returned, for the JSON and a non-zero exit status (a total that silently lacks a file would pass for the whole).
 */
export function eachRecording(source: RecordingSource, ctx: ReportContext, fn: (store: RecordingReader) => void): Array<{ path: string; reason: string }> {
  const skipped: Array<{ path: string; reason: string }> = [];
  for (const file of source.files) {
    try {
      withRecording(file, (store) => {
        const info = store.info();
        if (source.many && !spanInRange(source.range, ctx.clock, info.startNs, info.endNs)) return;
        fn(store);
      });
    } catch (err) {
      if (!source.many || !(err instanceof ReportError)) throw err;
      skipped.push({ path: file, reason: err.message });
      ctx.io.err(`agentsight: skipped ${err.message}\n`);
    }
  }
  return skipped;
}
