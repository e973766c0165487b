// A finished recording keeps per-session summaries (schema v3, written by finalize()). Readers answer from them
// when they hold for the moment asked about, and from the rows otherwise: the two answers must be identical, on
// the 1M-event fixture, on a recording captured from real processes, and after the recording changes again.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedFixtureDb } from '../../src/fixtures/generate-db';
import { createRecording, openRecording, type RecordingReader } from '../../src/store';
import { describeBpf } from '../helpers/bpf-env';
import { ALL, captureCommand, PYTHON, tempDir } from '../helpers/capture';
import { writeFixtureRecording } from '../report/fixture-recording';

/** The figures a summary can answer, read through the Store interface. */
function answers(store: RecordingReader, atNs?: number, limit?: number) {
  const sessions = store.sessions({ atNs });
  return {
    sessions,
    one: sessions.length > 0 ? store.session(sessions[sessions.length - 1].id) : null,
    files: sessions.map((s) => store.fileChanges({ atNs, sessionId: s.id, limit })),
    net: sessions.map((s) => store.netDestinations({ atNs, sessionId: s.id, limit })),
    fileCounts: sessions.map((s) => store.fileChangeCounts({ atNs, sessionId: s.id })),
    netCounts: sessions.map((s) => store.netDestinationCount({ atNs, sessionId: s.id })),
    info: store.info(),
  };
}

/** Counts agree with the unlimited lists they count. */
function countsMatchLists(r: ReturnType<typeof answers>): void {
  r.files.forEach((list, i) => {
    const byOp = new Map<string, number>();
    for (const f of list) byOp.set(f.op, (byOp.get(f.op) ?? 0) + 1);
    expect(Object.fromEntries(r.fileCounts[i].map((c) => [c.op, c.count]))).toEqual(Object.fromEntries(byOp));
  });
  r.net.forEach((list, i) => expect(r.netCounts[i]).toBe(list.length));
}

/** Same file, once through the summaries and once from the rows only. */
function compare(file: string, atNs?: number, limit?: number): ReturnType<typeof answers> {
  const a = openRecording(file);
  const b = openRecording(file, { useSummaries: false });
  try {
    const fromSummary = answers(a, atNs, limit);
    expect(fromSummary).toEqual(answers(b, atNs, limit));
    return fromSummary;
  } finally {
    a.close();
    b.close();
  }
}

/** A read-only store that ignores summaries (the rows' answer). */
function openRows(file: string): RecordingReader {
  return openRecording(file, { useSummaries: false });
}

function asOf(file: string): number | null {
  const d = new Database(file, { readonly: true });
  try {
    return (d.prepare('SELECT as_of_ns FROM summary_state').get() as { as_of_ns: number } | undefined)?.as_of_ns ?? null;
  } finally {
    d.close();
  }
}

describe('end-of-recording summaries', () => {
  it('answer exactly as the rows do on the 1M-event fixture, at and after the end, with and without limits', () => {
    const file = cachedFixtureDb({ sessions: 50, events: 1_000_000, llmCalls: 10_000, seed: 1 });
    const end = asOf(file);
    expect(end).not.toBeNull();
    const r = compare(file);
    countsMatchLists(r);
    countsMatchLists(compare(file, end! - 600e9));
    expect(r.sessions).toHaveLength(50);
    expect(r.files.reduce((n, f) => n + f.length, 0)).toBeGreaterThan(1000);
    expect(r.net.every((n) => n.length > 0)).toBe(true);
    compare(file, end!, 13);
    compare(file, end! + 60e9, 7);
    // Before the end, sessions() sums per-minute summaries and counts the partial minute from the rows; the rest
    // answers from the rows. Random moments, minute boundaries and a microsecond either side of them.
    const info = compare(file, end! - 600e9, 13).info;
    const start = info.startNs!;
    let seed = 99;
    const minute = 60e9;
    for (let i = 0; i < 12; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const t = start + (seed / 2147483648) * (end! - start);
      const edge = Math.floor(t / minute) * minute;
      for (const at of [t, edge, edge - 1000, edge + 1000]) {
        const a = openRecording(file);
        const b = openRecording(file, { useSummaries: false });
        expect(a.sessions({ atNs: at })).toEqual(b.sessions({ atNs: at }));
        a.close();
        b.close();
      }
    }
  });

  it('are what the readers use when they hold, and are ignored when they do not', () => {
    const dir = tempDir('agentsight-sum-');
    const file = path.join(dir, 'r.db');
    writeFixtureRecording(file);
    const d = new Database(file);
    // A summary row that differs from the rows, so the test can tell which one answered.
    d.prepare("UPDATE summary_file_changes SET count = 999 WHERE session_id = 1").run();
    const at = (d.prepare('SELECT as_of_ns FROM summary_state').get() as { as_of_ns: number }).as_of_ns;
    d.close();
    const s = openRecording(file);
    expect(s.fileChanges({ sessionId: 1 }).map((f) => f.count)).toContain(999);
    expect(s.fileChanges({ sessionId: 1, atNs: at }).map((f) => f.count)).toContain(999);
    // (Unix-ns doubles resolve 256 ns: a microsecond earlier, not 1 ns.)
    expect(s.fileChanges({ sessionId: 1, atNs: at - 1000 }).map((f) => f.count)).not.toContain(999);
    s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('per-minute counts are what sessions() before the end uses', () => {
    const dir = tempDir('agentsight-sum-');
    const file = path.join(dir, 'r.db');
    writeFixtureRecording(file);
    const before = compare(file, asOf(file)! - 1e9);
    const d = new Database(file);
    const b = d.prepare('SELECT bucket FROM summary_buckets WHERE session_id = 1 AND n_files > 0 ORDER BY bucket LIMIT 1').get() as { bucket: number };
    d.prepare('UPDATE summary_buckets SET n_files = n_files + 1000 WHERE session_id = 1 AND bucket = ?').run(b.bucket);
    d.close();
    const s = openRecording(file);
    const at = (b.bucket + 1) * 60e9 + 1e6;
    if (at < asOf(file)!) expect(s.session(1)!.fileOps).toBe(before.sessions[0].fileOps);
    expect(s.sessions({ atNs: at })[0].fileOps).toBe(openRows(file).sessions({ atNs: at })[0].fileOps + 1000);
    s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a v3 recording (summaries without per-minute counts) answers seeks from the rows; opened to write, its summaries go', () => {
    const dir = tempDir('agentsight-sum-');
    const file = path.join(dir, 'r.db');
    writeFixtureRecording(file);
    const d = new Database(file);
    d.exec('DROP TABLE mcp_calls; DROP TABLE mcp_servers; DROP TABLE summary_buckets; DROP TABLE summary_exits; DROP TABLE summary_models; ALTER TABLE execs DROP COLUMN argv_clipped; ALTER TABLE processes DROP COLUMN container_id; ALTER TABLE processes DROP COLUMN container_name; ALTER TABLE processes DROP COLUMN ns_pid');
    d.pragma('user_version = 3');
    d.close();
    const end = asOf(file)!;
    for (const at of [end - 30e9, end - 1e9, end]) {
      const s = openRecording(file);
      expect(s.sessions({ atNs: at })).toEqual(openRows(file).sessions({ atNs: at }));
      s.close();
    }
    createRecording(file, 'readwrite').close();
    expect(asOf(file)).toBeNull();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('are deleted by the first write to a summarized table, in the same commit, and rebuilt by finalize', () => {
    const dir = tempDir('agentsight-sum-');
    const file = path.join(dir, 'r.db');
    writeFixtureRecording(file);
    expect(asOf(file)).not.toBeNull();
    const before = compare(file);

    const w = createRecording(file, 'readwrite');
    w.putMeta('note', 'metadata does not touch the summaries');
    w.flush();
    expect(asOf(file)).not.toBeNull();
    const proc = before.sessions[0];
    w.putFileOp({
      id: w.nextId('file_ops'), processId: proc.rootProcessId ?? 1, sessionId: proc.id, op: 'unlink', path: '/home/dev/app/late.txt', path2: null,
      flags: null, result: 0, count: 1, bytes: 0, firstNs: before.info.endNs! + 1e9, lastNs: before.info.endNs! + 1e9, pathClipped: false,
    });
    w.flush();
    expect(asOf(file)).toBeNull();
    // A reader of the changed recording sees the new row (from the rows: no summaries any more).
    const r = openRecording(file);
    expect(r.fileChanges({ sessionId: proc.id }).some((f) => f.path === '/home/dev/app/late.txt')).toBe(true);
    expect(r.session(proc.id)!.filesChanged).toBe(proc.filesChanged + 1);
    r.close();
    w.finalize();
    w.close();
    expect(asOf(file)).not.toBeNull();
    const after = compare(file);
    expect(after.files[0].some((f) => f.path === '/home/dev/app/late.txt')).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hold for a whole read snapshot (read once per snapshot), and the next snapshot sees a commit made meanwhile', () => {
    const dir = tempDir('agentsight-sum-');
    const file = path.join(dir, 'r.db');
    writeFixtureRecording(file);
    const proc = compare(file).sessions[0];
    // Opened to write, the recording is in WAL mode: a reader keeps its snapshot while the writer commits.
    const w = createRecording(file, 'readwrite');
    const r = openRecording(file);
    const late = () => r.fileChanges({ sessionId: proc.id }).some((f) => f.path === '/home/dev/app/late.txt');
    r.readSnapshot(() => {
      expect(late()).toBe(false);
      w.putFileOp({
        id: w.nextId('file_ops'), processId: proc.rootProcessId ?? 1, sessionId: proc.id, op: 'unlink', path: '/home/dev/app/late.txt', path2: null,
        flags: null, result: 0, count: 1, bytes: 0, firstNs: proc.startNs + 1e6, lastNs: proc.startNs + 1e6, pathClipped: false,
      });
      w.flush();
      expect(asOf(file)).toBeNull();
      // Still the recording as it was when the snapshot began: the summaries, read from the snapshot.
      expect(late()).toBe(false);
      expect(r.session(proc.id)!.filesChanged).toBe(proc.filesChanged);
    });
    expect(late()).toBe(true);
    expect(r.session(proc.id)!.filesChanged).toBe(proc.filesChanged + 1);
    r.close();
    w.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a v2 recording (no summary tables) opens read-only and answers from the rows', () => {
    const dir = tempDir('agentsight-sum-');
    const file = path.join(dir, 'r.db');
    writeFixtureRecording(file);
    const expected = compare(file);
    const d = new Database(file);
    d.exec('DROP TABLE summary_state; DROP TABLE summary_sessions; DROP TABLE summary_file_changes; DROP TABLE summary_net_dests');
    d.pragma('user_version = 2');
    d.close();
    const s = openRecording(file);
    expect(s.info().schemaVersion).toBe(2);
    expect(answers(s)).toEqual({ ...expected, info: { ...expected.info, schemaVersion: 2 } });
    s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

// Children that fork, exec, create, write, rename and delete files and connect to a local server and a closed port.
const WORK = `
import os, socket, subprocess, sys
work, port, closed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(os.path.join(work, 'a.txt'), 'w') as f: f.write('x' * 5000)
os.rename(os.path.join(work, 'a.txt'), os.path.join(work, 'b.txt'))
os.mkdir(os.path.join(work, 'd'))
subprocess.run(['/bin/sh', '-c', 'echo hi > d/c.txt; rm d/c.txt; /bin/true'], cwd=work, check=True)
for p in (port, port, closed):
    s = socket.socket(); 
    try:
        s.connect(('127.0.0.1', p)); s.sendall(b'y' * 100)
    except OSError:
        pass
    s.close()
os.unlink(os.path.join(work, 'b.txt'))
`;

describeBpf('end-of-recording summaries of a real capture', ['process', 'file', 'net'], () => {
  let dir: string;
  let server: net.Server;
  let port = 0;
  let closed = 0;

  beforeAll(async () => {
    dir = tempDir('agentsight-sum-real-');
    server = net.createServer((c) => c.resume());
    port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
    const tmp = net.createServer();
    closed = await new Promise<number>((r) => tmp.listen(0, '127.0.0.1', () => r((tmp.address() as net.AddressInfo).port)));
    await new Promise((r) => tmp.close(r));
  });

  afterAll(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answer exactly as the rows do', async () => {
    const work = path.join(dir, 'work');
    fs.mkdirSync(work);
    const cap = await captureCommand(dir, PYTHON, ['-c', WORK, work, String(port), String(closed)]);
    expect(cap.stderr).toBe('');
    expect(cap.exitCode).toBe(0);
    cap.store.finalize();
    const file = cap.store.path;
    const live = cap.store.sessions(ALL);
    cap.store.close();
    expect(asOf(file)).not.toBeNull();
    const r = compare(file);
    countsMatchLists(r);
    expect(r.sessions).toEqual(live);
    expect(r.sessions).toHaveLength(1);
    expect(r.sessions[0].processes).toBeGreaterThanOrEqual(3);
    expect(r.files[0].map((f) => f.op)).toEqual(expect.arrayContaining(['create', 'rename', 'mkdir', 'unlink']));
    expect(r.net[0].some((n) => n.port === port && n.count >= 2)).toBe(true);
    expect(r.net[0].some((n) => n.port === closed && n.failures >= 1)).toBe(true);
    compare(file, undefined, 1);
    // Moments during the capture (the per-minute path), a millisecond apart.
    const { startNs, endNs } = r.info;
    for (let at = startNs!; at <= endNs!; at += Math.max(1e6, (endNs! - startNs!) / 25)) compare(file, at);
  }, 60_000);
});
