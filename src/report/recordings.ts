/**
 * Which recording a report reads: --db FILE, else the newest agentsight-*.db in the directory. Opening goes through
 * the store (read-only); its StoreError codes become one-line messages with exit code 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openRecording, type RecordingReader } from '../store';
import { EXIT_NOTHING_FOUND, ReportError, isDataError, toReportError } from './errors';

/** Names `agentsight record` gives its output (agentsight-YYYYMMDD-HHMMSS.db) and anything else with that prefix. */
const RECORDING_NAME = /^agentsight-.*\.db$/;

export interface RecordingFile {
  readonly path: string;
  readonly name: string;
  readonly mtimeMs: number;
  readonly size: number;
}

/** Recording files in a directory, newest first (by modification time, then by name, which embeds the start time). */
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
    if (!RECORDING_NAME.test(name)) continue;
    const p = path.join(dir, name);
    try {
      // lstat: a link is not followed (it could point anywhere), as --db never follows one.
      const st = fs.lstatSync(p);
      if (st.isFile()) out.push({ path: p, name, mtimeMs: st.mtimeMs, size: st.size });
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
  const files = listRecordingFiles(dir);
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
