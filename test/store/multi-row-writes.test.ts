// The store's multi-row write path (src/store/row-writer.ts): full chunks are written as they fill, the rest at
// flush; every row must come back exactly as handed over, REPLACE keeps the last version of a row, rows are
// encoded when handed over, and nothing is visible to other connections before the flush commits.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createRecording, openRecording, type ExecRow, type ProcessRow } from '../../src/store';
import { ROWS_PER_STATEMENT } from '../../src/store/row-writer';
import { TABLES, encodeInto, encodeRow } from '../../src/store/table-specs';

function tmpDb(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'multirow-')), 'r.db');
}

function exec(id: number): ExecRow {
  return {
    id,
    processId: 1 + (id % 7),
    // Unix ns are above 2^53: the exact double must survive.
    tsNs: 1_763_000_000_000_000_000 + id * 4096,
    filename: id % 5 === 0 ? `/usr/bin/é-${id}` : `/bin/x${id}`,
    argv: id % 3 === 0 ? [] : [`x${id}`, '', 'a "quoted" arg', 'ünï'],
    cwd: id % 4 === 0 ? null : `/tmp/${id}`,
    ret: id % 11 === 0 ? -2 : 0,
    argvClipped: id % 13 === 0 ? null : id % 2 === 0,
  };
}

/** The processes exec() rows belong to (execs() joins them). */
function addOwners(s: ReturnType<typeof createRecording>): void {
  for (let i = 0; i < 7; i++) s.putProcess(proc(s.nextId('processes'), 1));
}

function proc(id: number, version: number): ProcessRow {
  return {
    id, pid: 1000 + id, ppid: 1, parentId: null, sessionId: 1, startNs: 1.7e18 + id, kstartNs: id * 10, uid: 0,
    comm: `c${version}`, exe: `/bin/v${version}`, argv: [`v${version}`], argvClipped: version % 2 === 1, cwd: '/',
    execNs: null, exitNs: version > 1 ? 1.8e18 + version : null, exitCode: version > 1 ? version : null,
    exitSignal: null, coreDumped: false, seeded: false, peakRssKb: null, containerId: null, containerName: null, nsPid: null,
  };
}

describe('multi-row writes', () => {
  it('writes every row exactly, across full chunks and the remainder, in one transaction per flush', () => {
    const f = tmpDb();
    const s = createRecording(f);
    addOwners(s);
    s.flush();
    const n = ROWS_PER_STATEMENT * 3 + 37; // full chunks written early, a remainder of 37 = 32 + 4 + 1 at flush
    const rows = Array.from({ length: n }, (_, i) => exec(s.nextId('execs')));
    for (const r of rows) s.addExec(r);
    // Full chunks are already in the open transaction; another connection sees none of them before the flush.
    const other = new Database(f, { readonly: true });
    expect((other.prepare('SELECT COUNT(*) AS n FROM execs').get() as { n: number }).n).toBe(0);
    s.flush();
    expect((other.prepare('SELECT COUNT(*) AS n FROM execs').get() as { n: number }).n).toBe(n);
    other.close();
    s.close();
    const r = openRecording(f);
    expect(r.execs({})).toEqual(rows);
    r.close();
  });

  it('keeps the last version of a replaced row and encodes rows when they are handed over', () => {
    const f = tmpDb();
    const s = createRecording(f);
    const ids = Array.from({ length: ROWS_PER_STATEMENT + 5 }, () => s.nextId('processes'));
    // Version 1 of every row fills a full chunk (written at once), version 2 of some sits in the remainder, and
    // version 3 of one row is mutated after it was handed over: the store keeps what it was given.
    for (const id of ids) s.putProcess(proc(id, 1));
    for (const id of ids.slice(0, 5)) s.putProcess(proc(id, 2));
    const late = proc(ids[0]!, 3);
    s.putProcess(late);
    late.comm = 'changed after put';
    s.flush();
    s.close();
    const r = openRecording(f);
    const got = new Map(r.processes().map((p) => [p.id, p]));
    expect(got.size).toBe(ids.length);
    expect(got.get(ids[0]!)).toEqual(proc(ids[0]!, 3));
    for (const id of ids.slice(1, 5)) expect(got.get(id)).toEqual(proc(id, 2));
    for (const id of ids.slice(5)) expect(got.get(id)).toEqual(proc(id, 1));
    r.close();
  });

  it('drops the failed transaction and keeps working after a write error', () => {
    const f = tmpDb();
    const s = createRecording(f);
    addOwners(s);
    const first = exec(s.nextId('execs'));
    s.addExec(first);
    s.flush();
    // The same id again: INSERT (not REPLACE) fails on the primary key when its chunk is written.
    const dup = Array.from({ length: ROWS_PER_STATEMENT - 1 }, () => exec(s.nextId('execs')));
    for (const r of dup) s.addExec(r);
    expect(() => s.addExec(first)).toThrow(/UNIQUE/);
    const after = exec(s.nextId('execs'));
    s.addExec(after);
    s.flush();
    s.close();
    const r = openRecording(f);
    expect(r.execs({})).toEqual([first, after]);
    r.close();
  });
});

describe('generated row encoders', () => {
  it('encode every table as the per-value reference does (null, undefined, bool, json, blob, rounding)', () => {
    const sample = (kind: string, i: number): unknown => {
      if (i % 5 === 0) return null;
      if (i % 7 === 0) return undefined;
      switch (kind) {
        case 'bool': return i % 2 === 0;
        case 'json': return [`a${i}`, { k: i }];
        case 'blob': return i % 2 ? Buffer.from([i, 0, 255]) : new Uint8Array([1, 2, i]).subarray(1);
        case 'int': return i % 3 ? 1.7e18 + i * 1024 : i + 0.6;
        case 'real': return i / 3;
        default: return `t${i}é`;
      }
    };
    for (const name of Object.keys(TABLES) as Array<keyof typeof TABLES>) {
      const spec = TABLES[name];
      const row = Object.fromEntries(spec.columns.map((c, i) => [c.field, sample(c.kind, i + 1)]));
      const out: unknown[] = ['keep'];
      encodeInto(spec, row, out, 1);
      expect(out, name).toEqual(['keep', ...encodeRow(spec, row)]);
    }
  });
});
