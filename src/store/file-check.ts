/**
 * One verdict for a damaged file. Every reader opens recordings through sqlite/open.ts, which runs these checks, so
 * `top`, `top --once`, every `report` command and later readers (web UI, exporters) accept and refuse the same files
 * with the same line. What a check cannot see at open and a query later hits (SQLITE_CORRUPT) becomes the same
 * StoreError through the store's read guard (sqlite/reader.ts).
 *
 * Cost decides how deep the open goes (BENCHMARKS.md, "Damaged files"): PRAGMA quick_check reads every page (~2 ms
 * per MiB here), so it runs on files up to QUICK_CHECK_MAX_BYTES. Larger files get what is nearly free and covers
 * what every query walks through: the header against the file's size (truncation), every table and index root page,
 * and the interior pages below them (the b-tree skeleton), read directly from the file; damage in a leaf page of a
 * large file is found by the first query that reads it.
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { StoreError } from './errors';

/** Files up to this size get SQLite's full quick_check at open (measured: ~2 ms per MiB, so ≤ ~35 ms). */
export const QUICK_CHECK_MAX_BYTES = 16 << 20;

const SQLITE_MAGIC = 'SQLite format 3\0';
const HEADER_BYTES = 100;

export interface FileFacts {
  /** Which file was checked: the name must still be it once SQLite has opened it. */
  dev: number;
  ino: number;
  size: number;
  /** What a full check would read: the file, and its live -wal. */
  checkBytes: number;
  pageSize: number;
  /** Bytes of each page SQLite may use (page size minus the reserved bytes at its end). */
  usable: number;
  /** The -wal beside the file is part of it (a recording being written, or one whose recorder died). */
  liveWal: boolean;
  /**
   * In WAL mode with no -wal beside it (closed without finalize): the file alone is the whole database, but SQLite
   * would create an empty -wal and a -shm beside it to read it, even read-only. Readers open walFreeImage instead.
   */
  walWithoutLog: boolean;
}

/** Largest file a reader copies into memory rather than let SQLite create a -wal and -shm beside it. */
export const WAL_IMAGE_MAX_BYTES = 256 << 20;

/** The one message of a damaged recording. */
export function damaged(path: string, detail: string, cause?: unknown): StoreError {
  return new StoreError('CORRUPT', path, `${path}: recording is damaged (${detail})`, cause);
}

/**
 * What can be known before SQLite opens the file: that it is a regular file reached without following a link (a FIFO
 * or device would block or mislead; a link may point anywhere), a SQLite file, and not cut short.
 */
export function inspectFile(path: string, writable: boolean): FileFacts {
  const { O_RDONLY, O_RDWR, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = fs.openSync(path, (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StoreError('NOT_FOUND', path, `${path}: no such file`);
    if (code === 'ELOOP') throw new StoreError('NOT_REGULAR', path, `${path}: is a symbolic link; agentsight does not follow links (pass the file itself)`);
    if (code === 'EISDIR') throw new StoreError('NOT_REGULAR', path, `${path}: is a directory, not a recording`);
    throw new StoreError('IO', path, `${path}: cannot open (${(err as Error).message.replace(/^[A-Z]+: /, '').replace(/, open '.*'$/, '')})`, err);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new StoreError('NOT_REGULAR', path, `${path}: is a directory, not a recording`);
    if (!st.isFile()) throw new StoreError('NOT_REGULAR', path, `${path}: is not a regular file (a FIFO, socket or device), not a recording`);
    if (st.size === 0) throw new StoreError('NOT_SQLITE', path, `${path}: empty file, not a recording`);
    const head = Buffer.alloc(HEADER_BYTES);
    const n = fs.readSync(fd, head, 0, HEADER_BYTES, 0);
    if (head.toString('latin1', 0, Math.min(n, 16)) !== SQLITE_MAGIC.slice(0, Math.min(n, 16)) || n < 16) {
      throw new StoreError('NOT_SQLITE', path, `${path}: not a SQLite database (not an agentsight recording)`);
    }
    if (n < HEADER_BYTES) throw damaged(path, `truncated: ${st.size} bytes, shorter than a SQLite header`);
    const raw = head.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw damaged(path, `bad header: page size ${raw}`);
    if (head[18] < 1 || head[18] > 2 || head[19] < 1 || head[19] > 2) throw damaged(path, `bad header: file format ${head[18]}/${head[19]}`);
    const usable = pageSize - head[20];
    if (usable < 480) throw damaged(path, `bad header: ${head[20]} reserved bytes per page`);
    const wal = head[18] === 2 || head[19] === 2;
    const walBytes = wal ? sizeOrNull(`${path}-wal`) : null;
    const liveWal = walBytes !== null;
    // With a live -wal the file alone is not the database: its size and page count are the WAL's to complete.
    if (!liveWal) {
      if (st.size % pageSize !== 0) throw damaged(path, `truncated: ${st.size} bytes is not a whole number of ${pageSize}-byte pages`);
      // The header's page count is valid when its version-valid-for equals the change counter.
      const pages = head.readUInt32BE(28);
      if (pages > 0 && head.readUInt32BE(92) === head.readUInt32BE(24) && pages * pageSize > st.size) {
        throw damaged(path, `truncated: ${st.size} of ${pages * pageSize} bytes`);
      }
    }
    return { dev: st.dev, ino: st.ino, size: st.size, checkBytes: st.size + (walBytes ?? 0), pageSize, usable, liveWal, walWithoutLog: wal && !liveWal };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The file's bytes marked as a rollback-journal database (header bytes 18 and 19), for SQLite to read from memory:
 * a WAL-mode file without its -wal holds every committed page, and reading it this way leaves the directory as it was.
 */
export function walFreeImage(path: string): Buffer {
  const image = fs.readFileSync(path);
  image[18] = 1;
  image[19] = 1;
  return image;
}

/** SQLite opens the name again (resolving links): it must still be the regular file inspectFile checked. */
export function checkSameFile(path: string, facts: FileFacts): void {
  let st: fs.Stats | null = null;
  try {
    st = fs.lstatSync(path);
  } catch {
    // gone: the same verdict as a replaced file
  }
  if (!st || !st.isFile() || st.ino !== facts.ino || st.dev !== facts.dev) {
    throw new StoreError('IO', path, `${path}: replaced while being opened; not reading it`);
  }
}

/** After SQLite opened the file and it proved to be a recording: its structure, as deep as the size allows. */
export function checkStructure(db: Database.Database, path: string, facts: FileFacts, quickCheckMax = QUICK_CHECK_MAX_BYTES): void {
  if (facts.checkBytes <= quickCheckMax) {
    let first: string;
    try {
      first = String((db.prepare('PRAGMA quick_check(1)').raw().get() as unknown[])[0]);
    } catch (err) {
      throw damaged(path, firstLine(err), err);
    }
    // One line: SQLite prefixes the first problem with "*** in database main ***" on a line of its own.
    if (first !== 'ok') throw damaged(path, `quick_check: ${first.split('\n').filter((l) => l && !l.startsWith('***')).join('; ')}`);
    return;
  }
  if (facts.liveWal) return; // the newest pages are in the -wal: the file's own pages may be stale
  let roots: Array<{ type: string; name: string; rootpage: number; sql: string | null }>;
  try {
    roots = db.prepare("SELECT type, name, rootpage, sql FROM sqlite_master WHERE type IN ('table', 'index') AND rootpage > 0").all() as typeof roots;
  } catch (err) {
    throw damaged(path, firstLine(err), err);
  }
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const walker = new SkeletonWalker(fd, facts);
    walker.check(1, 'table', 'sqlite_master');
    // A WITHOUT ROWID table is stored as an index b-tree.
    for (const r of roots) walker.check(r.rootpage, r.type === 'index' || /without\s+rowid/i.test(r.sql ?? '') ? 'index' : 'table', r.name);
    if (walker.problem) throw damaged(path, walker.problem);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads a b-tree's root and interior pages (not its leaves: all leaves are at the same depth, so one leaf per
 * bottom interior page shows where they start) and checks each page header the way SQLite's btreeInitPage would.
 */
class SkeletonWalker {
  problem: string | null = null;
  private readonly pageCount: number;
  private readonly buf: Buffer;
  private readonly seen = new Set<number>();

  constructor(private readonly fd: number, private readonly facts: FileFacts) {
    this.pageCount = facts.size / facts.pageSize;
    this.buf = Buffer.alloc(facts.pageSize);
  }

  check(root: number, kind: 'table' | 'index', name: string): void {
    if (this.problem === null) this.walk(root, kind, `${kind} ${name}`, true);
  }

  /** Returns whether the page is a leaf (undefined when it is damaged). */
  private walk(page: number, kind: 'table' | 'index', what: string, descend: boolean): boolean | undefined {
    if (page < 1 || page > this.pageCount) return this.fail(`${what}: page ${page} is beyond the end of the file`);
    if (this.seen.has(page)) return this.fail(`${what}: page ${page} is used twice`);
    this.seen.add(page);
    const p = this.buf;
    fs.readSync(this.fd, p, 0, this.facts.pageSize, (page - 1) * this.facts.pageSize);
    const base = page === 1 ? HEADER_BYTES : 0;
    const type = p[base];
    const leaf = type === 13 || type === 10;
    const ok = kind === 'table' ? type === 13 || type === 5 : type === 10 || type === 2;
    if (!ok) return this.fail(`${what}: page ${page} is not a b-tree page (type ${type})`);
    const hdrEnd = base + (leaf ? 8 : 12);
    const cells = p.readUInt16BE(base + 3);
    const content = p.readUInt16BE(base + 5) || 65536;
    const freeblock = p.readUInt16BE(base + 1);
    const usable = this.facts.usable;
    if (hdrEnd + 2 * cells > content || content > usable || p[base + 7] > 60 || (freeblock !== 0 && (freeblock < content || freeblock > usable - 4))) {
      return this.fail(`${what}: page ${page} has a bad header`);
    }
    if (leaf || !descend) return leaf;
    const children: number[] = [];
    for (let i = 0; i < cells; i++) {
      const ptr = p.readUInt16BE(hdrEnd + 2 * i);
      if (ptr < content || ptr > usable - 4) return this.fail(`${what}: page ${page} has a cell outside the page`);
      children.push(p.readUInt32BE(ptr));
    }
    children.push(p.readUInt32BE(base + 8));
    // The first child tells the level below: leaves are not read (they are most of the file), interior pages are.
    const firstLeaf = this.walk(children[0], kind, what, false);
    if (firstLeaf === undefined || firstLeaf) return false;
    this.seen.delete(children[0]);
    for (const c of children) if (this.walk(c, kind, what, true) === undefined) return undefined;
    return false;
  }

  private fail(problem: string): undefined {
    this.problem ??= problem;
    return undefined;
  }
}

function sizeOrNull(file: string): number | null {
  try {
    return fs.lstatSync(file).size;
  } catch {
    return null;
  }
}

function firstLine(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0];
}
