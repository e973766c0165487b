// `agentsight monitor`, the always-on collector, end to end: started before an agent it was not told about, it
// records the whole session into the user's weekly file and `report --monitor` shows the calls with the exact tokens
// the provider sent; agents already running when it starts are adopted and marked with a gap; at the week boundary
// (a fake clock) it moves to the next week's file without a restart; retention removes old and oversized weeks; each
// user's sessions go into a file only that user (and root) can read. The systemd unit is checked in
// test/cli/monitor-service.test.ts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Usage } from '../fake-llm/replies';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';
import { agentLaunch } from '../helpers/agent-launch';
import { agentBinaries } from '../helpers/agents';
import { asUser } from '../helpers/as-user';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { run } from '../helpers/run';
import { TmuxSession } from '../tui/tmux';
import { openRecording } from '../../src/store';
import { isoWeekOf, nextWeekStartMs, weekLabel } from '../../src/monitor/iso-week';

const skipAgents = process.env['AGENTSIGHT_AGENT_TESTS'] === '0';
/** The unprivileged user of the per-user cases (as file-safety.test.ts). */
const TEST_USER = 'agentsight-t';

let base: string;

interface CallUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}
const children: ChildProcess[] = [];

interface Monitor {
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM; resolves with the exit code once every recording is finalised. */
  stop(): Promise<number | null>;
}

/** Start `agentsight monitor --dir dir …`; resolves once every user's recording has started. */
async function startMonitor(dir: string, args: string[], users: number, env: NodeJS.ProcessEnv = {}): Promise<Monitor> {
  const child = spawn(process.execPath, [CLI, 'monitor', '--dir', dir, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const t0 = Date.now();
  while ((err.match(/recording agents of/g) ?? []).length < users || !fs.existsSync(path.join(dir, 'monitor.json'))) {
    if (child.exitCode !== null) throw new Error(`monitor exited ${child.exitCode}: ${err}`);
    if (Date.now() - t0 > 120_000) throw new Error(`monitor did not start: ${err}`);
    await sleep(100);
  }
  return {
    child,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function newDir(name: string): string {
  const d = path.join(base, name);
  fs.mkdirSync(d, { mode: 0o755 });
  return d;
}

/** A long-running program with a name no built-in pattern knows (a copy of sleep), for --agent. */
function fakeAgent(name: string): string {
  const p = path.join(base, name);
  fs.copyFileSync('/bin/sleep', p);
  fs.chmodSync(p, 0o755);
  return p;
}

function report(args: string[], env: NodeJS.ProcessEnv) {
  return run(process.execPath, [CLI, 'report', ...args], { env: { ...process.env, ...env } });
}

function testUser(): { uid: number; gid: number } {
  if (run('id', ['-u', TEST_USER]).code !== 0) expect(run('useradd', ['-M', '-s', '/bin/sh', TEST_USER]).code).toBe(0);
  return { uid: Number(run('id', ['-u', TEST_USER]).stdout.trim()), gid: Number(run('id', ['-g', TEST_USER]).stdout.trim()) };
}

/**
 * What a recording holds of the one session titled `title` (or its only one): processes, files, exit. A redacted
 * value's fingerprint is keyed per process (one recording's cannot be matched with another's): it is left out.
 */
function sessionFacts(file: string, title: string | RegExp | null) {
  const rec = openRecording(file);
  const shown = (argv: string[]) => argv.join(' ').replace(/ hmac:[0-9a-f]+\]/g, ']');
  try {
    const sessions = rec.sessions().filter((x) => title === null || (typeof title === 'string' ? x.title === title : title.test(x.title)));
    expect(sessions.length).toBe(1);
    const s = sessions[0]!;
    const procs = rec.processes().filter((p) => p.sessionId === s.id);
    const ids = new Set(procs.map((p) => p.id));
    const paths = rec.fileOps().filter((f) => ids.has(f.processId) && /^\/etc\/(hostname|passwd)$/.test(f.path)).map((f) => `${f.op} ${f.path}`);
    const root = procs.find((p) => p.id === s.rootProcessId);
    return {
      argv: procs.map((p) => shown(p.argv)).sort(),
      execs: rec.execs({ processIds: [...ids] }).map((e) => shown(e.argv)).sort(),
      paths: [...new Set(paths)].sort(),
      rootExit: root?.exitCode ?? null,
      ended: s.endNs !== null,
    };
  } finally {
    rec.close();
  }
}

describeBpf('agentsight monitor', [], () => {
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'as-monitor-'));
    fs.chmodSync(base, 0o755);
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(() => {
    fs.rmSync(base, { recursive: true, force: true });
  });

  /** The monitor, started first; then the agent on its own; then what `report --monitor` says of it. */
  async function agentUnderMonitor(name: 'claude' | 'codex', agent: string, provider: string, tokens: (u: Usage) => string, seenTokens: (u: CallUsage) => string) {
    const bins = agentBinaries();
    const srv: FakeLlmServer = await startFakeLlmServer();
    try {
      const dir = newDir(name);
      const env = { AGENTSIGHT_MONITOR_DIR: dir };
      const mon = await startMonitor(dir, ['--user', 'root'], 1);
      const secret = `sk-${name}-monitor-` + crypto.randomBytes(12).toString('hex');
      const home = fs.mkdtempSync(path.join(base, 'home-'));
      const a = agentLaunch(name, bins, srv, home, secret);
      // Started on its own: nothing tells the monitor about it.
      const child = spawn(a.argv[0]!, a.argv.slice(1), { cwd: home, env: { ...process.env, ...a.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code, out).toBe(0);
      // Its last response may still be in the commit interval: the stop commits and finalises everything.
      expect(await mon.stop()).toBe(0);
      expect(mon.stderr()).toMatch(/stopped; recordings finalised/);

      const file = path.join(dir, '0', `monitor-${weekLabel(isoWeekOf(Date.now()))}.db`);
      expect(fs.readFileSync(file).includes(Buffer.from(secret)), 'API key must not reach the recording').toBe(false);

      const summary = report(['--monitor', '--json'], env);
      expect(summary.code, summary.stderr).toBe(0);
      expect(summary.stdout).toContain(agent);

      const prompts = report(['--monitor', 'prompts', '--json'], env);
      expect(prompts.code, prompts.stderr).toBe(0);
      // The machine is shared: other agents of root may be in the week's file too. This agent's session is the one
      // whose root process is the one started above.
      const rec = openRecording(file);
      let sessionId: number;
      try {
        const mine = rec.sessions().filter((x) => rec.process(x.rootProcessId!)?.pid === child.pid);
        expect(mine.map((x) => x.agent)).toEqual([agent]);
        expect(mine[0]!.endNs).not.toBeNull();
        sessionId = mine[0]!.id;
        // Started under the monitor: no gap (agents of others already running when it started have theirs).
        expect(rec.losses().filter((l) => l.source === 'monitor:gap' && l.processId === mine[0]!.rootProcessId)).toEqual([]);
        expect(rec.info().meta['end_ns']).toBeDefined();
      } finally {
        rec.close();
      }
      const calls = (JSON.parse(prompts.stdout) as { calls: Array<{ sessionId: number; provider: string; incomplete: boolean; usage: CallUsage }> }).calls.filter((c) => c.sessionId === sessionId);
      // Every model request the provider answered is a call of the recording, with the usage it sent, exactly.
      const sent = srv.requests
        .flatMap((q) => (q.api !== null && q.api !== 'count_tokens' && q.reply && q.reply.kind !== 'error' ? [tokens(q.reply.usage)] : []))
        .sort();
      const seen = calls.filter((c) => c.provider === provider).map((c) => seenTokens(c.usage)).sort();
      expect(sent.length).toBeGreaterThanOrEqual(2);
      expect(seen).toEqual(sent);
      expect(calls.every((c) => !c.incomplete)).toBe(true);

    } finally {
      await srv.close();
    }
  }

  it('records a Claude Code session it was not told about; report --monitor shows its calls with exact tokens', { timeout: 600_000, skip: skipAgents }, async () => {
    await agentUnderMonitor('claude', 'claude-code', 'anthropic', (u) => [u.input, u.output, u.cacheRead, u.cacheWrite].join('/'), (u) => [u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens].join('/'));
  });

  it('records a Codex session it was not told about, with exact tokens', { timeout: 600_000, skip: skipAgents }, async () => {
    // OpenAI's input_tokens include the cached ones; the views' inputTokens do not (docs/figures.md).
    await agentUnderMonitor('codex', 'codex', 'openai-responses', (u) => [u.input, u.output, u.cacheRead].join('/'), (u) => [u.inputTokens + u.cacheReadTokens, u.outputTokens, u.cacheReadTokens].join('/'));
  });

  it('adopts an agent already running (gap counted) and moves to the next week at the boundary without a restart', { timeout: 180_000 }, async () => {
    const dir = newDir('week');
    const agent = fakeAgent('as-week-agent');
    // The monitor's clock 20 s before next Monday 00:00 UTC: the boundary passes while the test runs (after the
    // monitor's start-up, a few seconds, more on a loaded machine).
    const boundary = nextWeekStartMs(Date.now());
    const offset = boundary - 20_000 - Date.now();
    const env = { AGENTSIGHT_CLOCK_OFFSET_MS: String(offset), AGENTSIGHT_MONITOR_DIR: dir };
    const before = spawn(agent, ['90'], { stdio: 'ignore' });
    children.push(before);
    const mon = await startMonitor(dir, ['--user', 'root', '--agent', 'as-week-agent'], 1, env);
    const oldWeek = weekLabel(isoWeekOf(boundary - 1));
    const newWeek = weekLabel(isoWeekOf(boundary));
    const oldFile = path.join(dir, '0', `monitor-${oldWeek}.db`);
    const newFile = path.join(dir, '0', `monitor-${newWeek}.db`);
    expect(fs.existsSync(oldFile)).toBe(true);
    expect(mon.stderr()).toMatch(/\d+ already running \(marked with a gap\)/);
    // A second agent, started while the old week's file is current.
    const during = spawn(agent, ['4'], { stdio: 'ignore' });
    children.push(during);
    const t0 = Date.now();
    while (!mon.stderr().includes(`week ${newWeek}`)) {
      if (Date.now() - t0 > 60_000) throw new Error(`no week change: ${mon.stderr()}`);
      await sleep(200);
    }
    expect(mon.stderr()).toMatch(new RegExp(`week ${newWeek}: root now into .*monitor-${newWeek}\\.db \\(\\d+ sessions continue`));
    before.kill('SIGTERM');
    await new Promise((r) => before.on('exit', r));
    await sleep(1000);
    expect(await mon.stop()).toBe(0);

    const old = openRecording(oldFile);
    try {
      const s = old.sessions().filter((x) => x.agent === 'as-week-agent');
      expect(s.length).toBe(2);
      // The one already running is marked; the one that started under the monitor is not.
      const gaps = old.losses().filter((l) => l.source === 'monitor:gap' && /as-week-agent/.test(l.detail ?? ''));
      expect(gaps.length).toBe(1);
      expect(gaps[0]!.detail).toMatch(/was running before the monitor started/);
      expect(old.completeness().complete).toBe(false);
      expect(old.info().meta['end_ns']).toBeDefined();
    } finally {
      old.close();
    }
    const next = openRecording(newFile);
    try {
      const s = next.sessions().filter((x) => x.agent === 'as-week-agent');
      // Only the session still running crossed; it continues (no gap: the old file ran until the new one had it) and
      // its end (the SIGTERM above) is in the new week's file.
      expect(s.length).toBe(1);
      expect(s[0]!.endNs).not.toBeNull();
      expect(Number(next.info().meta['continued_sessions'])).toBeGreaterThanOrEqual(1);
      expect(next.losses().filter((l) => l.source === 'monitor:gap' && /as-week-agent/.test(l.detail ?? ''))).toEqual([]);
    } finally {
      next.close();
    }
    // Readers: this week (the monitor's clock) by default; with --since, every week from that day to now (the weeks
    // follow the monitor's clock, the days the events' real times).
    const list = report(['--monitor', 'list', '--json', '--utc', '--since', new Date().toISOString().slice(0, 10)], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(`monitor-${oldWeek}.db`);
    expect(list.stdout).toContain(`monitor-${newWeek}.db`);
    const now = report(['--monitor', '--json'], env);
    expect(now.code, now.stderr).toBe(0);
    expect(now.stdout).toContain(`monitor-${newWeek}.db`);
  });

  it('a restart loses no session in progress: it continues in a new segment of the week, marked with a gap', { timeout: 180_000 }, async () => {
    const dir = newDir('restart');
    const env = { AGENTSIGHT_MONITOR_DIR: dir };
    const agent = fakeAgent('as-restart-agent');
    const args = ['--user', 'root', '--agent', 'as-restart-agent'];
    const first = await startMonitor(dir, args, 1);
    const a = spawn(agent, ['30'], { stdio: 'ignore' });
    children.push(a);
    await sleep(1500);
    expect(await first.stop()).toBe(0);
    const second = await startMonitor(dir, args, 1);
    expect(second.stderr()).toMatch(/monitor-\d{4}-W\d{2}-2\.db; \d+ already running \(marked with a gap\)/);
    a.kill('SIGTERM');
    await new Promise((r) => a.on('exit', r));
    await sleep(1000);
    const status = run(process.execPath, [CLI, 'monitor', 'status', '--dir', dir, '--json']);
    const st = (JSON.parse(status.stdout) as { running: boolean; state: { gaps: number; sessions: number } });
    expect(st.running).toBe(true);
    expect(st.state.gaps).toBeGreaterThanOrEqual(1);
    expect(st.state.sessions).toBeGreaterThanOrEqual(1);
    expect(await second.stop()).toBe(0);

    const week = weekLabel(isoWeekOf(Date.now()));
    const [one, two] = [`monitor-${week}.db`, `monitor-${week}-2.db`].map((f) => openRecording(path.join(dir, '0', f)));
    try {
      // (Other agents of root on this shared machine may be in the files too: only the test's own are looked at.)
      const ours = (r: typeof one) => r!.sessions().filter((x) => x.agent === 'as-restart-agent');
      expect(ours(one).map((s) => [s.agent, s.endNs])).toEqual([['as-restart-agent', null]]);
      const s = ours(two);
      expect(s.map((x) => x.agent)).toEqual(['as-restart-agent']);
      expect(s[0]!.endNs).not.toBeNull();
      // The same process in both segments: one session, seen twice, with the time between them missing.
      expect(two!.process(s[0]!.rootProcessId!)!.pid).toBe(a.pid);
      expect(one!.process(ours(one)[0]!.rootProcessId!)!.pid).toBe(a.pid);
      expect(two!.losses().filter((l) => l.source === 'monitor:gap' && /as-restart-agent/.test(l.detail ?? '')).length).toBe(1);
    } finally {
      one!.close();
      two!.close();
    }
    // report --monitor reads the newest segment and shows the gap; list shows both.
    const r = report(['--monitor'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('monitor:gap');
    const list = report(['--monitor', 'list', '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(`monitor-${week}.db`);
    expect(list.stdout).toContain(`monitor-${week}-2.db`);
    const top = run(process.execPath, [CLI, 'top', '--monitor', '--once', '--width', '200'], { env: { ...process.env, ...env } });
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toContain('as-restart-agent');
  });

  it('retention removes weeks past --keep-days, then the oldest while over --max-size, never the current one', { timeout: 120_000 }, async () => {
    const dir = newDir('retention');
    const u = path.join(dir, '0');
    fs.mkdirSync(u, { mode: 0o710 });
    const week = 7 * 86_400_000;
    const name = (ms: number) => `monitor-${weekLabel(isoWeekOf(ms))}.db`;
    const files = {
      ancient: name(Date.now() - 20 * week),
      twoAgo: name(Date.now() - 2 * week),
      lastWeek: name(Date.now() - week),
    };
    for (const f of Object.values(files)) fs.writeFileSync(path.join(u, f), Buffer.alloc(3 << 20, 1));
    fs.writeFileSync(path.join(u, files.twoAgo.replace('.db', '-2.db')), Buffer.alloc(1 << 20, 1));
    const mon = await startMonitor(dir, ['--user', 'root', '--keep-days', '60', '--max-size', '4M'], 1);
    expect(await mon.stop()).toBe(0);
    const left = fs.readdirSync(u).sort();
    expect(left).toEqual([files.lastWeek, name(Date.now())].sort());
    expect(mon.stderr()).toMatch(new RegExp(`retention: removed 0/${files.ancient}, 0/${files.twoAgo}, 0/${files.twoAgo.replace('.db', '-2.db')}`));
    const status = run(process.execPath, [CLI, 'monitor', 'status', '--dir', dir, '--json']);
    expect(status.code).toBe(3); // stopped
    expect((JSON.parse(status.stdout) as { state: { pruned: { files: number } } }).state.pruned.files).toBe(3);
  });

  it("each user's sessions go to a file that user owns (0600, in a root-owned 0710 directory), readable by them and nobody else", { timeout: 180_000 }, async () => {
    const { uid, gid } = testUser();
    const dir = newDir('users');
    const env = { AGENTSIGHT_MONITOR_DIR: dir };
    const agent = fakeAgent('as-user-agent');
    const mon = await startMonitor(dir, ['--user', 'root', '--user', TEST_USER, '--agent', 'as-user-agent'], 2);
    const status = run(process.execPath, [CLI, 'monitor', 'status', '--dir', dir]);
    expect(status.code, status.stdout).toBe(0);
    expect(status.stdout).toMatch(/running \(pid \d+\) since/);
    // The user's agent, run as that user.
    const r = run('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--init-groups', '--', agent, '1']);
    expect(r.code, r.stderr).toBe(0);
    await sleep(500);
    // Plain `top`, as the user, with no sudo: the monitor runs, so it shows the user's recording instead of asking for
    // root (the session is committed within the monitor's commit interval: asked again until it shows).
    let top = run(...asUser(uid, gid, process.execPath, [CLI, 'top', '--once', '--width', '200'], 'init'), { env: { ...process.env, ...env, SUDO_UID: '' } });
    for (let i = 0; i < 40 && !top.stdout.includes('as-user-agent'); i++) {
      await sleep(250);
      top = run(...asUser(uid, gid, process.execPath, [CLI, 'top', '--once', '--width', '200'], 'init'), { env: { ...process.env, ...env, SUDO_UID: '' } });
    }
    expect(top.code, top.stderr).toBe(0);
    expect(top.stderr).toMatch(/^agentsight: showing your agents as the running monitor records them \(.*monitor-\d{4}-W\d{2}.*\.db\); sudo agentsight top shows the whole machine$/m);
    expect(top.stdout).toContain('as-user-agent');
    expect(await mon.stop()).toBe(0);
    // The monitor stopped: plain `top` as the user falls back to its own view without BPF, and says what it misses.
    const after = run(...asUser(uid, gid, process.execPath, [CLI, 'top', '--once', '--width', '300'], 'init'), { env: { ...process.env, ...env, SUDO_UID: '' } });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toMatch(/running monitor/);
    expect(after.stdout).not.toContain('as-user-agent');
    expect(after.stdout).toMatch(/^losses: .*capture:no-bpf 1/m);
    expect(after.stdout).toMatch(/^completeness: INCOMPLETE/m);

    const week = weekLabel(isoWeekOf(Date.now()));
    const udir = path.join(dir, String(uid));
    const file = path.join(udir, `monitor-${week}.db`);
    const d = fs.statSync(udir);
    expect([d.uid, d.gid, d.mode & 0o777]).toEqual([0, gid, 0o710]);
    for (const f of fs.readdirSync(udir)) {
      const st = fs.lstatSync(path.join(udir, f));
      expect([f, st.isFile(), st.uid, st.mode & 0o777]).toEqual([f, true, uid, 0o600]);
    }
    // The user reads their own sessions without root, through report --monitor.
    const mine = run(...asUser(uid, gid, process.execPath, [CLI, 'report', '--monitor', '--json']), { env: { ...process.env, ...env, SUDO_UID: '' } });
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.stdout).toContain('as-user-agent');
    // Root's file has root's sessions only: the user's agent is not in it.
    const rootRec = openRecording(path.join(dir, '0', `monitor-${week}.db`));
    try {
      expect(rootRec.sessions().filter((s) => s.agent === 'as-user-agent')).toEqual([]);
    } finally {
      rootRec.close();
    }
    const userRec = openRecording(file);
    try {
      expect(userRec.sessions().map((s) => s.agent)).toEqual(['as-user-agent']);
    } finally {
      userRec.close();
    }
    // Another uid can neither list the user's directory nor read the file.
    const other = ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--'];
    expect(run('setpriv', [...other, 'ls', udir]).code).not.toBe(0);
    expect(run('setpriv', [...other, 'head', '-c', '1', file]).code).not.toBe(0);
    const theirs = run(...asUser(65534, 65534, process.execPath, [CLI, 'report', '--monitor', '--json'], 'clear'), { env: { ...process.env, ...env, SUDO_UID: '' } });
    expect(theirs.code).toBe(1);
    expect(theirs.stderr).toMatch(/^agentsight: no monitor recordings of yours this week/);
  });

  it('record -- CMD through a running monitor: no sudo, the same capture as a standalone record, only the caller\'s pids', { timeout: 180_000 }, async () => {
    const { uid, gid } = testUser();
    const dir = newDir('handoff');
    const env = { AGENTSIGHT_MONITOR_DIR: dir };
    const script = 'cat /etc/hostname >/dev/null; head -c 5 /etc/passwd >/dev/null; exit 3';
    // The standalone recording of the same command, for comparison.
    const alone = path.join(base, 'alone.db');
    const a = run(process.execPath, [CLI, 'record', '-q', '--no-web', '--db', alone, '--', 'sh', '-c', script], { env: { ...process.env, AGENTSIGHT_NO_MONITOR: '1' } });
    expect(a.code, a.stderr).toBe(3);

    const mon = await startMonitor(dir, ['--user', 'root', '--user', TEST_USER], 2);
    const sock = path.join(dir, String(uid), 'record.sock');
    const st = fs.lstatSync(sock);
    expect([st.isSocket(), st.uid, st.mode & 0o777]).toEqual([true, uid, 0o600]);
    // As the unprivileged user, without sudo (which would fail: AGENTSIGHT_NO_SUDO).
    const cmdEnv = { ...process.env, ...env, AGENTSIGHT_NO_SUDO: '1', SUDO_UID: '' };
    delete (cmdEnv as Record<string, string | undefined>)['SUDO_UID'];
    const u = run(...asUser(uid, gid, process.execPath, [CLI, 'record', '--', 'sh', '-c', script]), { env: cmdEnv, cwd: '/tmp' });
    expect(u.code, u.stderr).toBe(3);
    expect(u.stderr).toMatch(new RegExp(`^agentsight: recorded by the monitor: session \\d+ in ${dir}/${uid}/monitor-\\d{4}-W\\d{2}\\.db`));
    // And as root (its own socket).
    const r = run(process.execPath, [CLI, 'record', '--', 'sh', '-c', script], { env: { ...process.env, ...env }, cwd: '/tmp' });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/recorded by the monitor: session \d+ in .*\/0\/monitor-/);

    // A pid that is not the caller's is refused: nobody can have another user's processes recorded into their file.
    const refused = await new Promise<string>((resolve, reject) => {
      const c = net.connect(sock, () => c.write(JSON.stringify({ op: 'record', pid: 1, title: 'x', argv0: 'true', path: '/usr/bin', cwd: '/' }) + '\n'));
      c.on('data', (d) => {
        resolve(d.toString());
        c.destroy();
      });
      c.on('error', reject);
    });
    expect(JSON.parse(refused)).toEqual({ ok: false, error: `pid 1 is not a process of uid ${uid}` });
    expect(await mon.stop()).toBe(0);
    expect(fs.existsSync(sock)).toBe(false);

    const week = weekLabel(isoWeekOf(Date.now()));
    const title = `sh -c ${script}`;
    const expected = sessionFacts(alone, null);
    expect(expected.argv).toEqual(expect.arrayContaining(['cat /etc/hostname', 'head -c 5 /etc/passwd']));
    expect(expected.paths.length).toBeGreaterThanOrEqual(2);
    expect(sessionFacts(path.join(dir, String(uid), `monitor-${week}.db`), title)).toEqual(expected);
    expect(sessionFacts(path.join(dir, '0', `monitor-${week}.db`), title)).toEqual(expected);
  });

  it('bin/agentsight record through a running monitor: the launcher execs the command in place, recorded as by node, status and signal passed through', { timeout: 240_000 }, async () => {
    const { uid, gid } = testUser();
    const dir = newDir('launcher');
    const env = { AGENTSIGHT_MONITOR_DIR: dir };
    // A key-shaped argument of the recorded command: the thing under test is that it never reaches the recording.
    const key = 'sk-ant-api03-' + crypto.randomBytes(18).toString('hex');
    const script = 'cat /etc/hostname >/dev/null; head -c 5 /etc/passwd >/dev/null; exit 3';
    const cmd = ['sh', '-c', script, 'sh', key];
    const alone = path.join(base, 'launcher-alone.db');
    const a = run(process.execPath, [CLI, 'record', '-q', '--no-web', '--db', alone, '--', ...cmd], { env: { ...process.env, AGENTSIGHT_NO_MONITOR: '1' } });
    expect(a.code, a.stderr).toBe(3);

    const userEnv: NodeJS.ProcessEnv = { ...process.env, ...env, AGENTSIGHT_NO_SUDO: '1' };
    delete userEnv['SUDO_UID'];
    // No monitor yet: the node CLI's answer, as without the launcher (a user needs root to record alone).
    const none = run(...asUser(uid, gid, CLI, ['record', '-q', '--', 'true']), { env: userEnv, cwd: '/tmp' });
    expect([none.code, none.stderr]).toEqual([1, 'agentsight: record needs root to load BPF programs (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN): run it with sudo\n']);

    const mon = await startMonitor(dir, ['--user', 'root', '--user', TEST_USER], 2);
    const said = (u: number) => new RegExp(`^agentsight: recorded by the monitor as session \\d+ in ${dir}/${u}/monitor-\\d{4}-W\\d{2}\\.db \\(agentsight report --monitor\\)\\n$`);
    // bin/agentsight run as a command (its sh part), as the unprivileged user and as root: the launcher's words, not
    // node's ("recorded by the monitor: session N"), say which path it took.
    const u = run(...asUser(uid, gid, CLI, ['record', '--', ...cmd]), { env: userEnv, cwd: '/tmp' });
    expect(u.code, u.stderr).toBe(3);
    expect(u.stderr).toMatch(said(uid));
    // As root, spawned directly: the recorded command is the very process spawned (same pid), and its exit is ours.
    const r = spawnSync(CLI, ['record', '--', ...cmd], { env: { ...process.env, ...env }, cwd: '/tmp', encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(said(0));
    // A signal death is the caller's to see as such (no parent turning it into 128+n).
    const k = spawnSync(CLI, ['record', '-q', '--', 'sh', '-c', 'kill -TERM $$'], { env: { ...process.env, ...env }, encoding: 'utf8' });
    expect([k.status, k.signal, k.stderr]).toEqual([null, 'SIGTERM', '']);
    // A command that does not exist: node's words, as without a monitor.
    const missing = run(CLI, ['record', '-q', '--', 'as-no-such-command'], { env: { ...process.env, ...env } });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    // Options the monitor does not do: node's standalone record, as before.
    const own = path.join(base, 'launcher-own.db');
    const d = run(CLI, ['record', '-q', '--no-web', '--db', own, '--', 'true'], { env: { ...process.env, ...env } });
    expect([d.code, d.stderr]).toEqual([0, '']);
    expect(fs.existsSync(own)).toBe(true);
    expect(await mon.stop()).toBe(0);

    const week = weekLabel(isoWeekOf(Date.now()));
    const title = new RegExp(`^sh -c ${script.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} sh \\[REDACTED len=${key.length} hmac:[0-9a-f]+\\]$`);
    const expected = sessionFacts(alone, null);
    expect(expected.argv).toEqual(expect.arrayContaining(['cat /etc/hostname', 'head -c 5 /etc/passwd', `sh -c ${script} sh [REDACTED len=${key.length}]`]));
    for (const u2 of [uid, 0]) {
      const file = path.join(dir, String(u2), `monitor-${week}.db`);
      expect(sessionFacts(file, title)).toEqual(expected);
      expect(fs.readFileSync(file).includes(Buffer.from(key)), 'a key on the command line must not reach the recording').toBe(false);
    }
    const rec = openRecording(path.join(dir, '0', `monitor-${week}.db`));
    try {
      const s = rec.sessions().find((x) => title.test(x.title))!;
      expect(rec.process(s.rootProcessId!)?.pid).toBe(r.pid);
      const killed = rec.sessions().find((x) => x.title === 'sh -c kill -TERM $$')!;
      expect([killed.endNs !== null, rec.process(killed.rootProcessId!)?.exitSignal]).toEqual([true, 15]);
    } finally {
      rec.close();
    }
  });

  it('the launcher sends the command line exactly (JSON-escaped) and, refused, leaves it to node, which says why and records alone', { timeout: 180_000 }, async () => {
    // A stand-in for the monitor's socket: what the launcher asks is the thing under test here, and the refusal.
    const dir = newDir('refusing');
    fs.mkdirSync(path.join(dir, '0'));
    const asked: Array<Record<string, unknown>> = [];
    const server = net.createServer((c) => {
      let buf = '';
      c.on('data', (d) => {
        buf += d;
        if (!buf.includes('\n')) return;
        asked.push(JSON.parse(buf.slice(0, buf.indexOf('\n'))) as Record<string, unknown>);
        c.end(JSON.stringify({ ok: false, error: 'not today' }) + '\n');
      });
    });
    await new Promise<void>((r) => server.listen(path.join(dir, '0', 'record.sock'), r));
    try {
      const odd = ['printf', '%s\\n', 'quote " back \\ tab \t nl \n bell \u0007 é ✓', ''];
      const db = path.join(base, 'refused');
      fs.mkdirSync(db);
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const c = spawn(CLI, ['record', '--', ...odd], { cwd: db, env: { ...process.env, AGENTSIGHT_MONITOR_DIR: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
        children.push(c);
        let err = '';
        c.stderr!.on('data', (d) => (err += d));
        c.on('exit', (code) => resolve({ code, stderr: err }));
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^agentsight: the monitor cannot record this \(not today\); recording on its own\n/);
      expect(fs.readdirSync(db).filter((f) => /^agentsight-.*\.db$/.test(f))).toHaveLength(1);
      // First the launcher (exec: this pid becomes the command), then node's own request.
      expect(asked.map((q) => [q['op'], q['exec'] ?? false, q['argv'], q['argv0'], q['cwd']])).toEqual([
        ['record', true, odd, 'printf', db],
        ['record', false, odd, 'printf', db],
      ]);
      expect(asked[0]!['path']).toBe(process.env['PATH']);
    } finally {
      server.close();
    }
  });

  it('top --monitor follows this week\'s recording live: a session that starts after it opened appears', { timeout: 180_000 }, async () => {
    const dir = newDir('top');
    const agent = fakeAgent('as-top-agent');
    const mon = await startMonitor(dir, ['--user', 'root', '--agent', 'as-top-agent'], 1);
    const t = new TmuxSession(`bin/agentsight top --monitor --utc 2>>${path.join(base, 'top-stderr.txt')}`, 160, 40, { AGENTSIGHT_MONITOR_DIR: dir });
    try {
      await t.waitFor((l) => /LIVE/.test(l[0] ?? ''), 'live frame', 60_000);
      const a = spawn(agent, ['20'], { stdio: 'ignore' });
      children.push(a);
      await t.waitFor((_l, text) => text.includes('as-top-agent'), 'the new session', 60_000);
      a.kill('SIGKILL');
      t.keys('q');
      const lines = await t.waitFor((l) => l.some((x) => /__EXIT__\d+/.test(x)), 'exit');
      expect(lines.join('\n')).toMatch(/__EXIT__0/);
    } finally {
      t.kill();
      await mon.stop();
    }
  });

  it('refuses a directory another user could change, in one line', async () => {
    const dir = newDir('unsafe');
    fs.chmodSync(dir, 0o777);
    const r = run(process.execPath, [CLI, 'monitor', '--dir', dir, '--user', 'root']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([`agentsight: ${dir} is writable by group or others (mode 777): chmod go-w ${dir}`]);
  });
});
