// End to end, as root with real BPF: `record` runs real commands, the kernel reports their processes, and the
// recording holds the exact tree. Mirrors issue 2's acceptance list.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { asUser } from '../helpers/as-user';
import { agentsight, run } from '../helpers/run';

let dir: string;

interface Proc {
  id: number;
  pid: number;
  parent_id: number | null;
  comm: string;
  exe: string | null;
  argv: string;
  cwd: string | null;
  exit_code: number | null;
  exit_signal: number | null;
}

function procs(db: string): Proc[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT * FROM processes ORDER BY id').all() as Proc[];
  } finally {
    d.close();
  }
}

function query<T>(db: string, sql: string): T[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all() as T[];
  } finally {
    d.close();
  }
}

/** An unprivileged user for the sudo tests (created once on the machine, like a CI user would be). */
const TEST_USER = 'agentsight-t';
function testUser(): { uid: number; gid: number } {
  if (run('id', ['-u', TEST_USER]).code !== 0) expect(run('useradd', ['-M', '-s', '/bin/sh', TEST_USER]).code).toBe(0);
  return { uid: Number(run('id', ['-u', TEST_USER]).stdout.trim()), gid: Number(run('id', ['-g', TEST_USER]).stdout.trim()) };
}

/** The environment a plain login of the test user would have (none of our own sudo variables). */
function userEnvOf(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, USER: TEST_USER, LOGNAME: TEST_USER };
  for (const k of ['SUDO_UID', 'SUDO_GID', 'SUDO_USER', 'SUDO_COMMAND']) delete env[k];
  return env;
}

describeBpf('record: process capture end to end', [], () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-rec-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('records the acceptance tree, exits with the command status, and top --once shows it', () => {
    const db = path.join(dir, 'a.db');
    const work = path.join(dir, 'a1');
    const r = agentsight(['record', '--db', db, '--', 'bash', '-c', `mkdir -p ${work} && cd ${work} && /bin/echo hi && sh -c "exit 3"; exit 7`]);
    expect(r.stdout).toBe('hi\n');
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`wrote ${db}`);
    const st = fs.statSync(db);
    expect(st.mode & 0o777).toBe(0o600);

    const p = procs(db);
    const bash = p.find((x) => x.comm === 'bash')!;
    expect(bash).toBeDefined();
    expect(bash.exit_code).toBe(7);
    expect(bash.parent_id).toBeNull();
    // bash -c reads ~/.bashrc when its stdin is a socket (its remote-shell rule): a root .bashrc that runs pyenv
    // adds mkdir processes of its own, so pick ours by its argument.
    const mkdir = p.find((x) => x.comm === 'mkdir' && x.argv.includes(work))!;
    expect(JSON.parse(mkdir.argv)).toEqual(['mkdir', '-p', work]);
    expect(mkdir.parent_id).toBe(bash.id);
    const echo = p.find((x) => x.comm === 'echo')!;
    expect(echo.cwd).toBe(fs.realpathSync(work));
    expect(echo.parent_id).toBe(bash.id);
    expect(JSON.parse(echo.argv)).toEqual(['/bin/echo', 'hi']);
    const sh = p.find((x) => JSON.parse(x.argv)[0] === 'sh')!;
    expect(sh.exit_code).toBe(3);
    expect(sh.parent_id).toBe(bash.id);
    expect(p.length).toBe(4);

    const once = agentsight(['top', '--db', db, '--once', '--width', '160'], { env: { ...process.env, NO_COLOR: '1', TZ: 'UTC' } });
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout).not.toMatch(/\x1b\[/);
    for (const want of ['bash', 'mkdir', '/bin/echo hi', fs.realpathSync(work), 'exit 3', 'exit 7']) expect(once.stdout).toContain(want);
    // the tree: children are indented below bash
    const lines = once.stdout.split('\n');
    const bashLine = lines.findIndex((l) => l.includes('bash -c'));
    // echo's own line (bash's command line also contains "/bin/echo hi"): a pid followed by the argv
    const echoLine = lines.findIndex((l) => /\d+\s+\/bin\/echo hi/.test(l));
    expect(bashLine).toBeGreaterThanOrEqual(0);
    expect(echoLine).toBeGreaterThan(bashLine);
    // drawn as a child of bash: a tree connector, or deeper indentation
    const indent = (l: string) => l.length - l.trimStart().length;
    expect(/^\s*[├└|`]/.test(lines[echoLine]) || indent(lines[echoLine]) > indent(lines[bashLine])).toBe(true);
  });

  it('counts $PATH-search misses instead of listing them as failed execs; a command found nowhere stays a failure', () => {
    // env(1) looks `true` up with execvp: two directories without it (two failed execve, ENOENT), then /usr/bin.
    // `no-such-cmd-x` is found nowhere: every attempt fails, and that is a real failure.
    const db = path.join(dir, 'search.db');
    const miss1 = path.join(dir, 'empty1');
    const miss2 = path.join(dir, 'empty2');
    fs.mkdirSync(miss1);
    fs.mkdirSync(miss2);
    const script = `env PATH=${miss1}:${miss2}:/usr/bin:/bin true; env PATH=${miss1}:${miss2} no-such-cmd-x; exit 0`;
    const r = agentsight(['record', '--db', db, '--', '/bin/sh', '-c', script]);
    expect(r.code, r.stderr).toBe(0);
    const failed = query<{ filename: string; ret: number }>(db, 'SELECT filename, ret FROM execs WHERE ret < 0 ORDER BY ts_ns, id');
    // What the kernel saw, exactly (the table keeps every attempt).
    expect(failed.map((f) => f.filename)).toEqual([`${miss1}/true`, `${miss2}/true`, `${miss1}/no-such-cmd-x`, `${miss2}/no-such-cmd-x`]);

    const env = { ...process.env, NO_COLOR: '1', TZ: 'UTC' };
    const once = agentsight(['top', '--db', db, '--once', '--width', '200'], { env });
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout).toContain('2 failed execs of $PATH searches not listed');
    const failLines = once.stdout.split('\n').filter((l) => l.includes('exec failed'));
    expect(failLines).toHaveLength(2);
    expect(failLines.every((l) => l.includes('exec failed ENOENT: no-such-cmd-x'))).toBe(true);
    const json = JSON.parse(agentsight(['top', '--db', db, '--once', '--format', 'json'], { env }).stdout) as {
      sessions: Array<{ pathSearchMisses: number; processes: Array<{ failedExecs: unknown[]; pathSearchMisses: number }> }>;
    };
    const all = json.sessions.flatMap((s) => s.processes);
    expect(json.sessions.reduce((n, s) => n + s.pathSearchMisses, 0)).toBe(2);
    expect(all.reduce((n, p) => n + p.pathSearchMisses, 0)).toBe(2);
    expect(all.reduce((n, p) => n + p.failedExecs.length, 0)).toBe(2);

    const summary = JSON.parse(agentsight(['report', '--db', db, '--json'], { env }).stdout) as { processes: { failedExecs: Array<{ filename: string }>; pathSearchMisses: number } };
    expect(summary.processes.pathSearchMisses).toBe(2);
    expect(summary.processes.failedExecs.map((f) => f.filename)).toEqual([`${miss1}/no-such-cmd-x`, `${miss2}/no-such-cmd-x`]);
  });

  it('marks a failed exec whose argv did not fit its record as clipped, and only that one', () => {
    // A failed exec's argv is read from the caller's memory: 32 arguments of up to 1 KiB. 40 arguments, and one
    // argument of 3,000 bytes, must each come out marked clipped (and be a true prefix); a short one must not.
    const db = path.join(dir, 'clip.db');
    const nowhere = path.join(dir, 'nowhere');
    const long = 'y'.repeat(3000);
    const script = `env PATH=${nowhere} no-such-many $(seq 40); env PATH=${nowhere} no-such-long ${long}; env PATH=${nowhere} no-such-short a b; exit 0`;
    const r = agentsight(['record', '--db', db, '--', '/bin/sh', '-c', script]);
    expect(r.code, r.stderr).toBe(0);
    const rows = query<{ filename: string; argv: string; argv_clipped: number | null }>(db, 'SELECT filename, argv, argv_clipped FROM execs WHERE ret < 0 ORDER BY ts_ns, id');
    const by = (name: string) => rows.find((x) => x.filename.endsWith('/' + name))!;
    const many = JSON.parse(by('no-such-many').argv) as string[];
    expect(by('no-such-many').argv_clipped).toBe(1);
    expect(many).toEqual(['no-such-many', ...Array.from({ length: 31 }, (_, i) => String(i + 1))]);
    const longArgv = JSON.parse(by('no-such-long').argv) as string[];
    expect(by('no-such-long').argv_clipped).toBe(1);
    expect(longArgv[0]).toBe('no-such-long');
    expect(longArgv[1].length).toBeLessThan(long.length);
    expect(long.startsWith(longArgv[1])).toBe(true);
    expect(by('no-such-short').argv_clipped).toBe(0);
    expect(JSON.parse(by('no-such-short').argv)).toEqual(['no-such-short', 'a', 'b']);
    // Successful execs carry the mark too (0 here), and the report says where a command line was cut.
    expect(query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM execs WHERE ret = 0 AND argv_clipped IS NOT 0')[0].n).toBe(0);
    const once = agentsight(['top', '--db', db, '--once', '--width', '400'], { env: { ...process.env, NO_COLOR: '1' } });
    expect(once.stdout).toMatch(/exec failed ENOENT: no-such-many 1 2 .* 31… \(/);
    expect(once.stdout).toMatch(/exec failed ENOENT: no-such-short a b \(/);
  });

  it('finds all 2,000 processes of a shell loop with their parent, exec and exit (0 lost)', () => {
    const db = path.join(dir, 'loop.db');
    const r = agentsight(['record', '--db', db, '--', 'bash', '-c', 'for i in $(seq 2000); do /bin/true; done']);
    expect(r.code, r.stderr).toBe(0);
    const p = procs(db);
    const bash = p.find((x) => x.comm === 'bash' && x.parent_id === null)!;
    const trues = p.filter((x) => x.exe === '/usr/bin/true');
    expect(trues.length).toBe(2000);
    expect(trues.every((x) => x.parent_id === bash.id && x.exit_code === 0)).toBe(true);
    const execs = query<{ n: number }>(db, "SELECT COUNT(*) AS n FROM execs WHERE filename = '/usr/bin/true' AND ret = 0")[0];
    expect(execs.n).toBe(2000);
    const losses = query<{ source: string; n: number }>(db, 'SELECT source, SUM(count) AS n FROM losses GROUP BY source');
    expect(losses.filter((l) => !l.source.endsWith(':clipped'))).toEqual([]);
  });

  it('counts ring-buffer overflow in the recording and top --once prints it', () => {
    // 100,000 opens in a tight loop into a one-page ring: records must be dropped, and every drop counted.
    const db = path.join(dir, 'tiny.db');
    const burst = "import os\nfor i in range(100000): os.close(os.open('/etc/hostname', os.O_RDONLY))";
    const r = agentsight(['record', '--ring-bytes', '4096', '--db', db, '--', 'python3', '-c', burst]);
    expect(r.code, r.stderr).toBe(0);
    const lost = query<{ n: number }>(db, "SELECT COALESCE(SUM(count), 0) AS n FROM losses WHERE source = 'ringbuf:events'")[0].n;
    expect(lost).toBeGreaterThan(0);
    const opens = query<{ n: number }>(db, "SELECT COALESCE(SUM(count), 0) AS n FROM file_ops WHERE path = '/etc/hostname'")[0].n;
    expect(opens).toBeLessThan(100000);
    expect(r.stderr).toMatch(/events LOST/);
    const once = agentsight(['top', '--db', db, '--once'], { env: { ...process.env, NO_COLOR: '1' } });
    expect(once.code).toBe(0);
    expect(once.stdout).toContain('ringbuf:events');
    expect(once.stdout.replace(/,/g, '')).toContain(String(lost));
  });

  it('hands the release of its probes to a detached child: once that is done nothing of the capture stays loaded', async () => {
    const progIds = (): Set<number> => {
      const r = run('bpftool', ['prog', 'show', '-j']);
      expect(r.code, r.stderr).toBe(0);
      return new Set((JSON.parse(r.stdout) as Array<{ id: number }>).map((p) => p.id));
    };
    const before = progIds();
    const db = path.join(dir, `handoff-${process.pid}.db`);
    const r = agentsight(['record', '--db', db, '--', 'true']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrote ${db}`);
    // the child that holds the probes is a copy of record (same command line, its own session); it leaves once the
    // kernel has let go of every probe, and with it every program record loaded
    const holders = () => run('pgrep', ['-f', db]).stdout.trim();
    let left: number[] = [];
    let holding = '';
    for (let i = 0; i < 200; i++) {
      left = [...progIds()].filter((id) => !before.has(id));
      holding = holders();
      if (left.length === 0 && holding === '') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(holding).toBe('');
    // programs another test process loaded meanwhile would show here too: this file runs alone (CI runs files one at
    // a time), and nothing else of ours runs during it
    expect(left).toEqual([]);
  });

  it('reports a command killed by a signal as 128+signal', () => {
    const db = path.join(dir, 'kill.db');
    const r = agentsight(['record', '--db', db, '--', 'sh', '-c', 'kill -9 $$']);
    expect(r.code).toBe(137);
    const sh = procs(db).find((x) => x.comm === 'sh')!;
    expect(sh.exit_signal).toBe(9);
  });

  it('records failed execs', () => {
    const db = path.join(dir, 'fail.db');
    const r = agentsight(['record', '--db', db, '--', 'sh', '-c', '/nonexistent/tool --flag; exit 0']);
    expect(r.code).toBe(0);
    const failed = query<{ filename: string; ret: number; argv: string }>(db, 'SELECT * FROM execs WHERE ret < 0');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0].filename).toBe('/nonexistent/tool');
    expect(failed[0].ret).toBe(-2); // ENOENT
    expect(JSON.parse(failed[0].argv)).toEqual(['/nonexistent/tool', '--flag']);
  });

  it('runs the command as the invoking sudo user and gives them the recording', () => {
    const name = TEST_USER;
    const { uid, gid } = testUser();
    const userDir = path.join(dir, 'user');
    fs.mkdirSync(userDir);
    fs.chownSync(userDir, uid, gid);
    const db = path.join(userDir, 'u.db');
    // What sudo sets for `sudo agentsight record …` run by that user.
    const env = { ...process.env, SUDO_UID: String(uid), SUDO_GID: String(gid), SUDO_USER: name };
    const r = agentsight(['record', '--db', db, '--', 'sh', '-c', 'id -u; echo "$HOME $USER"'], { env, cwd: userDir });
    expect(r.code, r.stderr).toBe(0);
    const [idLine, envLine] = r.stdout.trim().split('\n');
    expect(Number(idLine)).toBe(uid);
    expect(envLine).toContain(name);
    const st = fs.statSync(db);
    expect(st.uid).toBe(uid);
    expect(st.mode & 0o777).toBe(0o600);
    const sh = procs(db).find((x) => x.comm === 'sh' || JSON.parse(x.argv)[0] === 'sh');
    expect(sh).toBeDefined();
  });

  it('re-executes a non-root user through the real sudo: the command runs as that user and the recording is theirs', () => {
    // The path users take: an unprivileged `agentsight record` re-runs itself as `sudo --preserve-env …`; sudo sets
    // SUDO_UID/SUDO_GID/SUDO_USER, and record drops back to that user for the command. make setup installs sudo.
    const sudo = run('sh', ['-c', 'command -v sudo']).stdout.trim();
    expect(sudo, 'sudo is not installed (make setup installs it)').not.toBe('');
    const { uid, gid } = testUser();
    // A throwaway rule for the test user only; removed again below. SETENV lets --preserve-env keep the environment.
    const rule = '/etc/sudoers.d/agentsight-test';
    fs.writeFileSync(rule, `${TEST_USER} ALL=(root) NOPASSWD:SETENV: ALL\n`, { mode: 0o440 });
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-sudo-'));
    try {
      fs.chownSync(userDir, uid, gid);
      // The checkout may sit in a 0700 home: asUser makes it readable to the test user without copying it.
      const db = path.join(userDir, 's.db');
      const r = run(...asUser(uid, gid, process.execPath, [CLI, 'record', '--db', db, '--', 'sh', '-c', 'id -u; id -g']), {
        cwd: userDir,
        env: userEnvOf(userDir),
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n').map(Number)).toEqual([uid, gid]);
      const st = fs.statSync(db);
      expect(st.uid).toBe(uid);
      expect(st.mode & 0o777).toBe(0o600);
      expect(procs(db).some((x) => x.comm === 'id')).toBe(true);
    } finally {
      fs.rmSync(rule, { force: true });
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('refuses to run without root and says what it needs', () => {
    const r = run(...asUser(65534, 65534, process.execPath, [CLI, 'record', '--', 'true'], 'clear'), {
      env: { ...process.env, AGENTSIGHT_NO_SUDO: '1' },
      cwd: '/tmp',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/needs root/);
  });

  it('says nothing about TLS for a program without TLS code (sh, true), and keeps what was examined in the DB', () => {
    const db = path.join(dir, 'notls.db');
    const r = agentsight(['record', '--db', db, '--', '/usr/bin/true']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('TLS plaintext');
    const t = query<{ status: string; detail: string; stack: string | null }>(db, "SELECT * FROM tls_targets WHERE path = '/usr/bin/true'");
    expect(t).toHaveLength(1);
    expect(t[0]!.status).toBe('not-found');
    expect(t[0]!.stack).toBeNull();
    expect(t[0]!.detail).toMatch(/openssl/);
    const sh = agentsight(['record', '--db', path.join(dir, 'notls-sh.db'), '--', 'sh', '-c', 'env true']);
    expect(sh.code).toBe(0);
    expect(sh.stderr).not.toMatch(/TLS plaintext|TLS of /);
  });

  it('warns about a program that carries TLS code it cannot probe, naming it and what was tried', () => {
    // A real program (true) that also holds the TLS 1.3 key schedule's label, as a TLS stack of its own would.
    const prog = path.join(dir, 'tls-carrier');
    fs.writeFileSync(prog, Buffer.concat([fs.readFileSync('/usr/bin/true'), Buffer.from('\0tls13 derived\0')]), { mode: 0o755 });
    const r = agentsight(['record', '--db', path.join(dir, 'carrier.db'), '--', prog]);
    expect(r.code).toBe(0);
    const warning = r.stderr.split('\n').find((l) => l.includes(`warning: no TLS plaintext will be captured from ${prog}`));
    expect(warning, r.stderr).toBeDefined();
    expect(warning).toMatch(/boringssl|openssl|symbols/);
  });

  it('says "command not found" with exit 127 and leaves no recording behind', () => {
    const db = path.join(dir, 'nf.db');
    const r = agentsight(['record', '--db', db, '--', 'no-such-command-xyz']);
    expect(r.code).toBe(127);
    expect(r.stderr.trim()).toBe('agentsight: no-such-command-xyz: command not found');
    expect(fs.existsSync(db)).toBe(false);
  });
});
