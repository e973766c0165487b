// The open checks of a large recording (above the quick_check limit: the header, roots and interior pages read
// from the file) and the read guard behind them: damage they cannot see at open still ends as the one StoreError.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecording, openRecording, StoreError } from '../../src/store';
import { checkStructure, inspectFile } from '../../src/store/file-check';

let dir: string;
let base: string;
let pageSize: number;
let pages: Array<{ name: string; pageno: number; pagetype: string }>;

function garbled(name: string, page: number): string {
  const f = path.join(dir, `${name}.db`);
  const b = fs.readFileSync(base);
  let a = page;
  for (let i = (page - 1) * pageSize; i < page * pageSize; i++) b[i] = (a = (a * 1103515245 + 12345) >>> 0) >>> 24;
  fs.writeFileSync(f, b);
  return f;
}

/** The large-file path: what open would find if this file were above the quick_check limit. */
function skeletonVerdict(f: string): string | null {
  const facts = inspectFile(f, false);
  const db = new Database(f, { readonly: true });
  try {
    checkStructure(db, f, facts, 0);
    return null;
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    return err.message;
  } finally {
    db.close();
  }
}

describe('open checks of a large recording, and the read guard', () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-fcheck-'));
    base = path.join(dir, 'base.db');
    const s = createRecording(base);
    // Enough file_ops rows for a three-level b-tree (root, interior pages, leaves) in the table and its indexes.
    for (let i = 1; i <= 60_000; i++) {
      s.putFileOp({
        id: i, sessionId: 1, processId: 1 + (i % 50), op: i % 3 ? 'read' : 'write', path: `/work/project/src/module-${i % 997}/file-${i}.ts`,
        path2: null, flags: null, result: 0, count: 1, bytes: i, firstNs: i * 1e6, lastNs: i * 1e6, pathClipped: false,
      });
      if (i % 5000 === 0) s.flush();
    }
    s.finalize();
    s.close();
    const db = new Database(base, { readonly: true });
    pageSize = db.pragma('page_size', { simple: true }) as number;
    pages = db.prepare("SELECT name, pageno, pagetype FROM dbstat WHERE name = 'file_ops' ORDER BY pageno").all() as typeof pages;
    db.close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('passes the undamaged file', () => {
    expect(pages.some((p) => p.pagetype === 'internal')).toBe(true);
    expect(skeletonVerdict(base)).toBeNull();
  });

  it('finds a garbled root or interior page at open', () => {
    const db = new Database(base, { readonly: true });
    const root = (db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'file_ops'").get() as { rootpage: number }).rootpage;
    db.close();
    expect(skeletonVerdict(garbled('root', root))).toMatch(/recording is damaged \(table file_ops: page \d+ /);
    const interior = pages.find((p) => p.pagetype === 'internal' && p.pageno !== root);
    expect(interior, 'a non-root interior page').toBeDefined();
    expect(skeletonVerdict(garbled('interior', interior!.pageno))).toMatch(/recording is damaged \(table file_ops: page \d+ /);
  });

  it('a garbled leaf passes the open checks of a large file, and the first read of it raises the same StoreError', () => {
    const leaf = pages.filter((p) => p.pagetype === 'leaf').at(-1)!;
    const f = garbled('leaf', leaf.pageno);
    expect(skeletonVerdict(f)).toBeNull();
    // Below the quick_check limit the open itself finds it.
    expect(() => openRecording(f)).toThrow(/recording is damaged \(quick_check: /);
    // Past the open (as a large file would be, or damaged while read): a query that reads the page raises a
    // StoreError naming the file, as every method of a read-only store does for any SQLite error.
    const copy = path.join(dir, 'late.db');
    fs.copyFileSync(base, copy);
    const store = openRecording(copy);
    fs.writeFileSync(copy, fs.readFileSync(f));
    let err: unknown;
    try {
      store.fileOps({});
    } catch (e) {
      err = e;
    } finally {
      try {
        store.close();
      } catch {
        // closing after damage may fail too
      }
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('CORRUPT');
    expect((err as Error).message).toMatch(new RegExp(`^${copy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: recording is damaged \\(database disk image is malformed`));
  });
});
