// Issue 14, items 4 and 5, as root with real BPF: every file of a recording is the invoking user's and 0600 from
// its first byte (mid-run and after kill -9, checked by reading as another uid); --db never follows links or opens
// FIFOs, directories; default names never collide; a command that cannot start leaves no recording; and a corpus of
// damaged files made from a real recording gets one verdict — the same line naming the file, exit 2, no hang, the
// input unchanged — from every reader.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPrivateRecording, StoreError } from '../../src/store';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { agentsight, run, type RunResult } from '../helpers/run';

let dir: string;

/** The invoking user of the sudo cases (as record-process.test.ts), and a second uid with no business in its files. */
const TEST_USER = 'agentsight-t';
const OTHER_UID = 64998;
function testUser(): { uid: number; gid: number } {
  if (run('id', ['-u', TEST_USER]).code !== 0) expect(run('useradd', ['-M', '-s', '/bin/sh', TEST_USER]).code).toBe(0);
  return { uid: Number(run('id', ['-u', TEST_USER]).stdout.trim()), gid: Number(run('id', ['-g', TEST_USER]).stdout.trim()) };
}

/** Can OTHER_UID read one byte of `file`? (cat as that uid, no groups.) */
function otherCanRead(file: string): boolean {
  const r = run('setpriv', ['--reuid', String(OTHER_UID), '--regid', String(OTHER_UID), '--clear-groups', '--', 'head', '-c', '1', file]);
  return r.code === 0;
}

const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const listing = (d: string) => fs.readdirSync(d).sort();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function oneLine(r: RunResult): string {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0];
}

describeBpf('record: private files, no links, no collisions', [], () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-safe-'));
    fs.chmodSync(dir, 0o755);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('mid-recording and after kill -9: every file is 0600, the invoking user\'s, and unreadable to another uid', async () => {
    const { uid, gid } = testUser();
    const d = path.join(dir, 'private');
    fs.mkdirSync(d);
    fs.chownSync(d, uid, gid);
    // Others may enter the directory: only the files' own modes keep them out (a 0700 directory would hide the result).
    fs.chmodSync(d, 0o755);
    const db = path.join(d, 'p.db');
    const pidFile = path.join(d, 'cmd.pid');
    const env = { ...process.env, SUDO_UID: String(uid), SUDO_GID: String(gid), SUDO_USER: TEST_USER };
    const rec = spawn(process.execPath, [CLI, 'record', '-q', '--db', db, '--', 'sh', '-c', `echo $$ > ${pidFile}; for i in $(seq 1 200); do echo "secret prompt $i" > ${d}/w$i; done; exec sleep 60`], {
      env,
      cwd: d,
      stdio: 'ignore',
    });
    try {
      // The command is running (it wrote its pid and files) and the recorder has committed rows to the -wal.
      for (let i = 0; i < 600 && !(fs.existsSync(pidFile) && fs.existsSync(path.join(d, 'w200')) && (fs.statSync(`${db}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0); i++) await sleep(100);
      await sleep(1500);
      expect(fs.existsSync(pidFile)).toBe(true);
      const control = path.join(d, 'control');
      fs.writeFileSync(control, 'x', { mode: 0o644 });
      // The check can fail: another uid reads a 0644 file in this directory.
      expect(otherCanRead(control)).toBe(true);
      const check = (when: string) => {
        const files = listing(d).filter((n) => n.startsWith('p.db'));
        expect(files, when).toEqual(['p.db', 'p.db-shm', 'p.db-wal']);
        for (const n of files) {
          const st = fs.lstatSync(path.join(d, n));
          expect({ when, n, mode: st.mode & 0o777, uid: st.uid, gid: st.gid, file: st.isFile() }).toEqual({ when, n, mode: 0o600, uid, gid, file: true });
          expect(otherCanRead(path.join(d, n)), `${when}: ${n}`).toBe(false);
        }
      };
      check('mid-recording');
      rec.kill('SIGKILL');
      await new Promise((r) => rec.once('exit', r));
      check('after kill -9 of the recorder');
      // What was committed before the kill is the user's to read.
      const r = run('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--init-groups', '--', 'head', '-c', '16', db]);
      expect(r.stdout).toBe('SQLite format 3\0');
    } finally {
      rec.kill('SIGKILL');
      const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) run('kill', ['-9', String(pid)]);
    }
  });

  it('every file SQLite makes beside a created recording (-wal, -shm, -journal) is the owner\'s and 0600, whatever the umask', () => {
    const { uid, gid } = testUser();
    const old = process.umask(0o277);
    try {
      const { store, path: db } = createPrivateRecording(path.join(dir, 'umask.db'), { owner: { uid, gid } });
      store.putMeta('k', 'v');
      store.flush();
      const modes = (names: string[]) => names.map((n) => { const st = fs.lstatSync(db + n); return [n, st.mode & 0o777, st.uid, st.gid]; });
      expect(modes(['', '-wal', '-shm'])).toEqual([['', 0o600, uid, gid], ['-wal', 0o600, uid, gid], ['-shm', 0o600, uid, gid]]);
      store.finalize();
      store.close();
      // A finished recording is in rollback-journal mode: a write transaction held open shows its -journal.
      const d = new Database(db);
      d.exec("BEGIN IMMEDIATE; INSERT INTO meta (key, value) VALUES ('x', 'y')");
      expect(modes(['-journal'])).toEqual([['-journal', 0o600, uid, gid]]);
      d.exec('ROLLBACK');
      d.close();
      expect(listing(dir).filter((n) => n.startsWith('umask.db'))).toEqual(['umask.db']);
    } finally {
      process.umask(old);
    }
  });

  it('a full file system at creation: StoreError NO_SPACE, nothing left behind', () => {
    const mnt = path.join(dir, 'full');
    fs.mkdirSync(mnt);
    expect(run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).code).toBe(0);
    try {
      for (const leave of [0, 16]) {
        fs.rmSync(path.join(mnt, 'fill'), { force: true });
        run('dd', ['if=/dev/zero', `of=${path.join(mnt, 'fill')}`, 'bs=4k', `count=${16 - leave / 4}`]);
        let err: unknown;
        try {
          createPrivateRecording(path.join(mnt, 'r.db'));
        } catch (e) {
          err = e;
        }
        expect(err, `${leave} KiB left`).toBeInstanceOf(StoreError);
        expect((err as StoreError).code).toBe('NO_SPACE');
        expect(listing(mnt)).toEqual(['fill']);
      }
    } finally {
      run('umount', [mnt]);
    }
  });

  it('never follows --db links: dangling, to an existing file, or planted beside the name as -wal', () => {
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'root-owned, must stay as it is\n', { mode: 0o644 });
    const before = { sha: sha(victim), mode: fs.statSync(victim).mode };
    const cases: Array<[string, () => string, RegExp]> = [
      ['dangling', () => { const l = path.join(dir, 'dangling.db'); fs.symlinkSync(path.join(dir, 'target-never-created.db'), l); return l; }, /is a symbolic link \(dangling\)/],
      ['to a file', () => { const l = path.join(dir, 'tofile.db'); fs.symlinkSync(victim, l); return l; }, /is a symbolic link/],
      ['-wal planted', () => { const l = path.join(dir, 'planted.db'); fs.symlinkSync(victim, `${l}-wal`); return l; }, /planted\.db-wal already exists/],
    ];
    for (const [name, make, msg] of cases) {
      const db = make();
      const r = agentsight(['record', '-q', '--db', db, '--', 'true']);
      expect(r.code, name).toBe(2);
      expect(oneLine(r)).toMatch(msg);
    }
    expect(fs.existsSync(path.join(dir, 'target-never-created.db'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'planted.db'))).toBe(false);
    expect({ sha: sha(victim), mode: fs.statSync(victim).mode, uid: fs.statSync(victim).uid }).toEqual({ ...before, uid: 0 });
    // Readers refuse a link too, in the same words.
    for (const args of [['top', '--once'], ['report']]) {
      const r = agentsight([...args, '--db', path.join(dir, 'tofile.db')], { timeout: 60_000 });
      expect(r.code).toBe(2);
      expect(oneLine(r)).toBe(`agentsight: ${path.join(dir, 'tofile.db')}: is a symbolic link; agentsight does not follow links (pass the file itself)`);
    }
  });

  it('a FIFO or a directory as --db: refused by record and every reader, no hang', () => {
    const fifo = path.join(dir, 'fifo.db');
    run('mkfifo', [fifo]);
    const sub = path.join(dir, 'adir.db');
    fs.mkdirSync(sub);
    for (const [f, rec, read] of [
      [fifo, /exists and is not a regular file/, /is not a regular file \(a FIFO, socket or device\)/],
      [sub, /is a directory/, /is a directory, not a recording/],
    ] as const) {
      const r = agentsight(['record', '-q', '--db', f, '--', 'true'], { timeout: 60_000 });
      expect(r.code).toBe(2);
      expect(oneLine(r)).toMatch(rec);
      const lines = new Set<string>();
      for (const args of [['top', '--once'], ['top', '--once', '--format', 'json'], ['report'], ['report', 'audit'], ['report', 'export', '-o', '-']]) {
        const t = agentsight([...args, '--db', f], { timeout: 60_000 });
        expect(t.signal, `${args.join(' ')} hung`).toBeNull();
        expect(t.code).toBe(2);
        lines.add(oneLine(t));
      }
      expect([...lines]).toHaveLength(1);
      expect([...lines][0]).toMatch(read);
    }
  });

  it('default names never collide: two records started together both run and get their own file', async () => {
    const d = path.join(dir, 'same-second');
    fs.mkdirSync(d);
    const start = () =>
      new Promise<number | null>((resolve) => {
        const c = spawn(process.execPath, [CLI, 'record', '-q', '--', 'true'], { cwd: d, stdio: 'ignore' });
        c.on('exit', (code) => resolve(code));
      });
    expect(await Promise.all([start(), start()])).toEqual([0, 0]);
    expect(listing(d).filter((n) => n.endsWith('.db'))).toHaveLength(2);
    // The same second for sure: this second's names (and the next few) are taken, so record moves on to NAME-2.db.
    const d2 = path.join(dir, 'taken');
    fs.mkdirSync(d2);
    const stamp = (t: Date) => t.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const now = Date.now();
    for (let s = 0; s < 30; s++) {
      const local = new Date(now + s * 1000 - new Date().getTimezoneOffset() * 60_000);
      fs.writeFileSync(path.join(d2, `agentsight-${stamp(local)}.db`), '');
    }
    const r = agentsight(['record', '--', 'true'], { cwd: d2 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote .*agentsight-\d{8}-\d{6}-2\.db\n/);
  });

  it('a command that cannot start: one line, 127 or 126 like a shell, and no recording left behind', () => {
    const d = path.join(dir, 'nocmd');
    fs.mkdirSync(d);
    const notExec = path.join(d, 'script.sh');
    fs.writeFileSync(notExec, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    for (const [cmd, code, msg] of [
      ['/nonexistent', 127, '/nonexistent: no such file or directory'],
      ['no-such-command-xyz', 127, 'no-such-command-xyz: command not found'],
      [notExec, 126, `${notExec}: permission denied (not executable)`],
      ['/tmp', 126, '/tmp: is a directory'],
    ] as const) {
      const r = agentsight(['record', '--', cmd], { cwd: d });
      expect(r.code, cmd).toBe(code);
      expect(oneLine(r)).toBe(`agentsight: ${msg}`);
      expect(listing(d)).toEqual(['script.sh']);
    }
    // Under sudo the bits are the invoking user's: a file only root may execute is not runnable for them.
    const { uid, gid } = testUser();
    const rootOnly = path.join(d, 'root-only');
    fs.copyFileSync('/bin/true', rootOnly);
    fs.chmodSync(rootOnly, 0o744);
    const r = agentsight(['record', '--', rootOnly], { cwd: d, env: { ...process.env, SUDO_UID: String(uid), SUDO_GID: String(gid), SUDO_USER: TEST_USER } });
    expect(r.code).toBe(126);
    expect(oneLine(r)).toBe(`agentsight: ${rootOnly}: permission denied (not executable)`);
    expect(listing(d)).toEqual(['root-only', 'script.sh']);
  });
});

/** Every reader, as a user runs it. The TUI needs a terminal: script(1) gives it one. */
const READERS: Array<{ name: string; args: (db: string) => string[]; tty?: boolean; list?: boolean }> = [
  { name: 'top --once', args: (db) => ['top', '--db', db, '--once'] },
  { name: 'top --once json', args: (db) => ['top', '--db', db, '--once', '--format', 'json'] },
  { name: 'top (TUI)', args: (db) => ['top', '--db', db], tty: true },
  { name: 'report', args: (db) => ['report', '--db', db] },
  { name: 'report --json', args: (db) => ['report', '--db', db, '--json'] },
  { name: 'report list', args: (db) => ['report', 'list', '--dir', path.dirname(db)], list: true },
  { name: 'report list --json', args: (db) => ['report', 'list', '--json', '--dir', path.dirname(db)], list: true },
  { name: 'report prompts', args: (db) => ['report', 'prompts', '--db', db] },
  { name: 'report prompts --json', args: (db) => ['report', 'prompts', '--json', '--db', db] },
  { name: 'report token', args: (db) => ['report', 'token', '--db', db] },
  { name: 'report token --json', args: (db) => ['report', 'token', '--json', '--db', db] },
  { name: 'report audit', args: (db) => ['report', 'audit', '--db', db] },
  { name: 'report audit --json', args: (db) => ['report', 'audit', '--all-files', '--json', '--db', db] },
  { name: 'report export', args: (db) => ['report', 'export', '--db', db, '-o', '-'] },
];

function runReader(reader: (typeof READERS)[number], db: string): RunResult {
  const args = reader.args(db);
  if (!reader.tty) return agentsight(args, { timeout: 60_000, env: { ...process.env, TZ: 'UTC' } });
  // script -e returns the command's status; its stderr arrives through the terminal, on script's stdout.
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  const r = run('script', ['-qec', `${cmd} 2>&1`, '/dev/null'], { timeout: 60_000, env: { ...process.env, TERM: 'xterm-256color' } });
  return { ...r, stderr: r.stdout.replace(/\r/g, '') };
}

/** Pseudo-random bytes over one page (the same for every run). */
function garble(buf: Buffer, page: number, pageSize: number): void {
  let a = page * 2654435761;
  for (let i = (page - 1) * pageSize; i < page * pageSize; i++) {
    a = (a * 1103515245 + 12345) >>> 0;
    buf[i] = a >>> 24;
  }
}

/** The corpus, by kind (each kind one test: every reader on every file of it takes a while on a busy machine). */
const CASES = ['trunc-', 'garbled-file_ops-root', 'garbled-deep-index', 'garbled-file_ops-leaf', 'garbled-page-2', 'garbled-last', 'garbled-middle', 'bad-page-size', 'empty', 'text', 'random', 'foreign', 'newer-schema'];

describeBpf('one verdict for a damaged recording, from every reader', [], () => {
  let base: string;
  let cdir: string;
  const corpus: Array<{ name: string; file: string; expect: RegExp }> = [];

  beforeAll(() => {
    cdir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-corpus-'));
    base = path.join(cdir, 'base.db');
    const work = path.join(cdir, 'work');
    fs.mkdirSync(work);
    // A real small recording with several pages per table and index: files written, renamed, removed; processes.
    const r = agentsight(['record', '-q', '--db', base, '--', 'sh', '-c',
      `cd ${work} && for i in $(seq 1 300); do echo "line $i" > f$i; done && for i in $(seq 1 100); do mv f$i g$i; done && rm -f f2*; ls >/dev/null; cat g1 >/dev/null`]);
    expect(r.code, r.stderr).toBe(0);
    const db = new Database(base, { readonly: true });
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const fileOpsRoot = (db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'file_ops'").get() as { rootpage: number }).rootpage;
    // The deepest page of an index (by position in the file), and a leaf of the biggest table.
    const deepIndex = db.prepare(`SELECT max(d.pageno) AS p, d.name AS name FROM dbstat d JOIN sqlite_master m ON m.name = d.name
      WHERE m.type = 'index'`).get() as { p: number; name: string };
    const tableLeaf = db.prepare("SELECT pageno AS p FROM dbstat WHERE name = 'file_ops' AND pagetype = 'leaf' ORDER BY pageno DESC LIMIT 1").get() as { p: number };
    db.close();
    const size = fs.statSync(base).size;
    const pages = size / pageSize;
    expect(pages).toBeGreaterThan(20);
    const bytes = fs.readFileSync(base);
    const add = (name: string, data: Buffer | string, expected: RegExp) => {
      const d = path.join(cdir, name);
      fs.mkdirSync(d);
      // Named like a recording, so `report list` finds it.
      const file = path.join(d, `agentsight-${name}.db`);
      fs.writeFileSync(file, data);
      corpus.push({ name, file, expect: expected });
    };
    const dmg = /recording is damaged/;
    for (const n of [60, 100, pageSize, Math.floor(pages / 2) * pageSize, size - pageSize, size - 1000]) add(`trunc-${n}`, bytes.subarray(0, n), dmg);
    for (const [what, p] of [['file_ops-root', fileOpsRoot], ['deep-index', deepIndex.p], ['file_ops-leaf', tableLeaf.p], ['page-2', 2], ['last', pages], ['middle', Math.floor(pages / 2)]] as const) {
      const b = Buffer.from(bytes);
      garble(b, p, pageSize);
      add(`garbled-${what}-p${p}`, b, /recording is damaged|not an agentsight recording/);
    }
    const badHeader = Buffer.from(bytes);
    badHeader.writeUInt16BE(1000, 16);
    add('bad-page-size', badHeader, dmg);
    add('empty', '', /empty file, not a recording/);
    add('text', 'hello, this is not a database\n'.repeat(200), /not a SQLite database/);
    add('random', crypto.randomBytes(64 * 1024), /not a SQLite database/);
    const foreign = path.join(cdir, 'foreign.tmp');
    const f = new Database(foreign);
    f.exec("CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada')");
    f.close();
    add('foreign', fs.readFileSync(foreign), /SQLite database, but not an agentsight recording/);
    const newer = Buffer.from(bytes);
    newer.writeUInt32BE(99, 60); // user_version
    add('newer-schema', newer, /recorded by a newer agentsight \(schema v99/);
    // Every kind above has its files.
    for (const k of CASES) expect(corpus.some((c) => c.name.startsWith(k)), k).toBe(true);
  });
  afterAll(() => fs.rmSync(cdir, { recursive: true, force: true }));

  it('the undamaged recording reads fine in every reader (the checks have no false alarm)', () => {
    for (const reader of READERS.filter((r) => !r.tty && !r.list)) {
      const r = runReader(reader, base);
      // prompts and token say "nothing found" (exit 1) for a recording without LLM calls, as this one is.
      if (/prompts|token/.test(reader.name)) {
        expect(r.code, `${reader.name}: ${r.stderr}`).toBeLessThan(2);
        expect(r.stderr).not.toMatch(/damaged|corrupt/);
      } else expect(r.code, `${reader.name}: ${r.stderr}`).toBe(0);
    }
  });

  it('a WAL-mode recording without its -wal (closed without finalize) reads in every reader and nothing appears beside it', () => {
    const d = path.join(cdir, 'wal-no-log');
    fs.mkdirSync(d);
    const f = path.join(d, 'agentsight-wal.db');
    const b = fs.readFileSync(base);
    b[18] = 2; // the header of a database left in WAL mode: its pages are all in the file once SQLite removed the -wal
    b[19] = 2;
    fs.writeFileSync(f, b);
    const before = sha(f);
    for (const reader of READERS.filter((r) => !r.tty)) {
      const r = runReader(reader, f);
      expect(r.code, `${reader.name}: ${r.stderr}`).toBeLessThan(2);
      expect(listing(d), reader.name).toEqual(['agentsight-wal.db']);
    }
    expect(sha(f)).toBe(before);
  }, 600_000);

  it.each(CASES)('%s: the same line naming it from every reader, exit 2, no hang, the file unchanged', (name) => {
    const failures: string[] = [];
    for (const c of corpus.filter((x) => x.name.startsWith(name))) {
      const d = path.dirname(c.file);
      const before = { sha: sha(c.file), files: listing(d) };
      const seen = new Map<string, string[]>();
      for (const reader of READERS) {
        const r = runReader(reader, c.file);
        if (r.signal) failures.push(`${c.name} / ${reader.name}: hung (${r.signal})`);
        if (r.code !== 2) failures.push(`${c.name} / ${reader.name}: exit ${r.code}, stderr ${r.stderr.trim().slice(0, 200)}`);
        const lines = r.stderr.trim().split('\n');
        if (lines.length !== 1) failures.push(`${c.name} / ${reader.name}: ${lines.length} lines on stderr: ${r.stderr.slice(0, 300)}`);
        // report list names each file it skips: the same verdict, after "skipped".
        const line = lines[0].replace('agentsight: skipped ', 'agentsight: ');
        seen.set(line, [...(seen.get(line) ?? []), reader.name]);
        const after = { sha: sha(c.file), files: listing(d) };
        if (after.sha !== before.sha || after.files.join() !== before.files.join()) failures.push(`${c.name} / ${reader.name}: input changed (${after.files.join(', ')})`);
      }
      const lines = [...seen.keys()];
      if (lines.length !== 1) failures.push(`${c.name}: ${lines.length} different verdicts: ${[...seen].map(([l, rs]) => `${rs.join(', ')}: ${l}`).join(' | ')}`);
      else {
        if (!lines[0].startsWith(`agentsight: ${c.file}: `)) failures.push(`${c.name}: the line does not name the file: ${lines[0]}`);
        if (!c.expect.test(lines[0])) failures.push(`${c.name}: unexpected verdict: ${lines[0]}`);
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
