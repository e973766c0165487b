/**
 * What `record` costs a real agent session and a compiler build, as a user feels it (issue 15): the whole command's
 * wall time under `agentsight record --db F --quiet --no-web --`, as a ratio against the same command untraced, with
 * `strace -f -qq -o /dev/null` beside it, all in the same rounds:
 * - Claude Code (the real native binary from .cache/agents) against the fake provider (test/fake-llm, run as its own
 *   process by tsx), one prompt in a fresh HOME: the provider's script makes it call its Bash tool once
 *   (`echo hello > /tmp/x`) and then answer; each run must print that answer. Three model calls per run (a first
 *   call without tools, the tool call, the answer). Twice: the provider answering at once, and "thinking" 1.5 s
 *   before each answer (AGENTSIGHT_BENCH_THINK_MS).
 * - `make -j2` of 200 generated C files (gcc -O2 -c each, then one link), from clean: the whole command, and the
 *   build's own time (bash's $EPOCHREALTIME around make, inside the command).
 * Variants run interleaved, one round = one run of each in a rotating order; a first run of each (page cache) is not
 * counted; medians over AGENTSIGHT_BENCH_AGENT_ROUNDS rounds (default 3), load average at the start and end beside
 * them. AGENTSIGHT_BENCH_BASELINE=DIR adds another built checkout's `record` as a further variant. `record` keeps
 * its TLS discovery cache between runs (as a user's does; the warm-up fills it).
 * Unless AGENTSIGHT_BENCH_MONITOR=0, each round then starts the bench's own `agentsight monitor` (untimed: until it
 * records) and runs two more variants beside it — `agentsight record -q -- CMD` as typed, which hands the command to
 * the monitor, and CMD bare, which the monitor records when it is a known agent — and stops it before the next round.
 * The API key reaches the agent through its environment, never argv. Needs root (BPF); without the agent installed
 * (scripts/install-agents.sh) the Claude Code rows are skipped, loudly, and the build is still measured.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../native/addon';
import { formatDuration } from '../present/duration';
import { monitorSessions, startBenchMonitor } from './monitor-bench';
import { median, sleep } from './stats';
import type { BenchResult } from './types';

interface Variant {
  name: string;
  /** the argv that runs `cmd`, recording into db where it records */
  wrap: (cmd: string[], db: string) => string[];
  /** added to the workload's environment */
  env?: Record<string, string>;
  /** runs while the bench's own `agentsight monitor` runs (started after the other variants of the round, stopped before the next) */
  monitor?: boolean;
}

interface Run {
  wallMs: number;
  stdout: string;
}

interface Workload {
  name: string;
  cmd: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** before each run (not timed) */
  prepare?: () => void;
  /** throws when the run did not do what it should */
  check: (r: Run) => void;
  /** a known agent: the monitor records it when it runs bare */
  agent?: boolean;
  /** figures of one run beyond its wall time (ms), by name */
  inner?: (r: Run) => Record<string, number>;
}

const FINAL_TEXT = 'Done. The command wrote hello to /tmp/x.'; // test/fake-llm/replies.ts
const C_FILES = 200;

const load = (): string => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const r2 = (x: number): number => Math.round(x * 100) / 100;
const r0 = (x: number): number => Math.round(x);

function variants(dir: string): Variant[] {
  // agentsight's TLS discovery cache outlives each run (a user's second run of the same agent build finds it): the
  // workload's fresh HOME per run is for the agent's state, not ours. The warm-up run fills it.
  const cache = { AGENTSIGHT_TLS_CACHE_DIR: path.join(dir, 'tls-cache') };
  const record = (root: string): Variant['wrap'] => (cmd, db) => [process.execPath, path.join(root, 'bin', 'agentsight'), 'record', '--db', db, '--quiet', '--no-web', '--', ...cmd];
  const v: Variant[] = [
    { name: 'plain', wrap: (cmd) => cmd },
    { name: 'strace -f', wrap: (cmd) => ['strace', '-f', '-qq', '-o', '/dev/null', ...cmd] },
    { name: 'record', wrap: record(PACKAGE_ROOT), env: cache },
  ];
  const base = process.env['AGENTSIGHT_BENCH_BASELINE'];
  if (base) v.push({ name: 'record (baseline)', wrap: record(path.resolve(base)), env: cache });
  if (process.env['AGENTSIGHT_BENCH_MONITOR'] !== '0') {
    // With the monitor running: `agentsight record -q -- CMD` as typed (bin/agentsight's sh → the C launcher → the
    // monitor takes the launcher's pid → exec CMD; node never starts), and CMD run bare, which the monitor records
    // on its own when it is a known agent (always-on recording). Its BPF is loaded before the round's timing starts.
    v.push({ name: 'record via the monitor', wrap: (cmd) => [path.join(PACKAGE_ROOT, 'bin', 'agentsight'), 'record', '-q', '--', ...cmd], monitor: true });
    v.push({ name: 'monitor running, command bare', wrap: (cmd) => cmd, monitor: true });
  }
  return v;
}

function runOnce(argv: string[], w: Workload, env?: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    w.prepare?.();
    const t0 = performance.now();
    // stdin ignored: `claude -p` with a pipe for stdin waits for it
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...w.env, ...env }, cwd: w.cwd });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${w.name}: ${argv.slice(0, 3).join(' ')} …: exit ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      const r = { wallMs, stdout: out };
      try {
        w.check(r);
      } catch (e) {
        return reject(new Error(`${w.name}: ${argv.slice(0, 3).join(' ')} …: ${(e as Error).message}; stderr: ${err.trim().slice(-300)}`));
      }
      resolve(r);
    });
  });
}

async function measure(w: Workload, vs: Variant[], rounds: number, dir: string): Promise<BenchResult[]> {
  const runs = new Map<string, Run[]>(vs.map((v) => [v.name, []]));
  const db = path.join(dir, 'run.db');
  const clean = () => {
    for (const s of ['', '-wal', '-shm']) fs.rmSync(db + s, { force: true });
  };
  const loadBefore = load();
  const alone = vs.filter((v) => !v.monitor);
  const withMonitor = vs.filter((v) => v.monitor);
  // One round: the variants without the monitor in a rotating order, then (monitor started, untimed) those with it,
  // rotating too; the monitor is stopped before the next round, so no other variant runs beside it.
  const round = async (i: number, keep: boolean) => {
    for (let j = 0; j < alone.length; j++) {
      const v = alone[(i + j) % alone.length]!;
      const r = await runOnce(v.wrap(w.cmd, db), w, v.env);
      if (keep) runs.get(v.name)!.push(r);
      clean();
    }
    if (withMonitor.length === 0) return;
    const mon = await startBenchMonitor(dir, ['root']);
    try {
      await sleep(2000); // its start-up's own work (seeding from /proc, the first commits) settles first
      for (let j = 0; j < withMonitor.length; j++) {
        const v = withMonitor[(i + j) % withMonitor.length]!;
        const r = await runOnce(v.wrap(w.cmd, db), w, { ...v.env, AGENTSIGHT_MONITOR_DIR: mon.dir });
        if (keep) runs.get(v.name)!.push(r);
      }
    } finally {
      await mon.stop();
    }
    // Each of those runs is a session of the monitor's recording (the bare one only for an agent): a launcher that fell
    // back to recording alone would be measured under the wrong name.
    const want = withMonitor.filter((v) => v.name !== 'monitor running, command bare' || w.agent).length;
    const got = monitorSessions(mon.dir);
    fs.rmSync(mon.dir, { recursive: true, force: true });
    if (got < want) throw new Error(`the monitor recorded ${got} session(s) of ${want} runs handed to it or run bare`);
  };
  await round(0, false); // warm-up of each, not counted
  for (let i = 0; i < rounds; i++) await round(i, true);
  const detail = `median of ${rounds} interleaved rounds; load ${loadBefore} → ${load()}`;
  const res: BenchResult[] = [];
  const plain = median(runs.get('plain')!.map((r) => r.wallMs));
  const strace = median(runs.get('strace -f')!.map((r) => r.wallMs));
  for (const v of vs) {
    const rs = runs.get(v.name)!;
    const wall = median(rs.map((r) => r.wallMs));
    const all = rs.map((r) => r0(r.wallMs)).join(', ');
    if (v.name === 'plain') res.push({ name: `${w.name}: plain, whole command`, value: r0(wall), unit: 'ms', detail: `${detail}; runs ${all} ms` });
    else res.push({ name: `${w.name}: ${v.name} vs plain, whole command`, value: r2(wall / plain), unit: '×', detail: `${r0(wall)} ms vs ${r0(plain)} ms (runs ${all}); vs strace -f ${r2(wall / strace)}×; ${detail}` });
    if (!w.inner) continue;
    const names = Object.keys(w.inner(rs[0]!));
    for (const n of names) {
      const x = median(rs.map((r) => w.inner!(r)[n]!));
      const px = median(runs.get('plain')!.map((r) => w.inner!(r)[n]!));
      if (v.name === 'plain') res.push({ name: `${w.name}: plain, ${n}`, value: r0(x), unit: 'ms', detail });
      else res.push({ name: `${w.name}: ${v.name} vs plain, ${n}`, value: r2(x / px), unit: '×', detail: `${r0(x)} ms vs ${r0(px)} ms; ${detail}` });
    }
  }
  return res;
}

/** The fake provider as its own process (tsx runs test/fake-llm/cli.ts); it stops when its stdin closes. */
async function startProvider(thinkMs: number): Promise<{ env: Record<string, string>; proc: ChildProcess }> {
  const tsx = path.join(PACKAGE_ROOT, 'node_modules', '.bin', 'tsx');
  const cli = path.join(PACKAGE_ROOT, 'test', 'fake-llm', 'cli.ts');
  if (!fs.existsSync(tsx) || !fs.existsSync(cli)) throw new Error(`the fake provider needs ${tsx} and ${cli} (a source checkout with dev dependencies)`);
  const proc = spawn(tsx, [cli, '--think-ms', String(thinkMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    proc.on('exit', (code) => reject(new Error(`fake provider exited (${code}) before listening`)));
    setTimeout(() => reject(new Error('fake provider did not start in 60 s')), 60_000).unref();
  });
  const info = JSON.parse(line) as { url: string; caCertPath: string };
  return { env: { ANTHROPIC_BASE_URL: info.url, NODE_EXTRA_CA_CERTS: info.caCertPath }, proc };
}

function claudeBinary(): string | null {
  const dir = process.env['AGENTSIGHT_AGENTS_DIR'] ?? path.join(PACKAGE_ROOT, '.cache', 'agents');
  const bin = path.join(dir, 'node_modules', '@anthropic-ai', 'claude-code-linux-x64', 'claude');
  return fs.existsSync(bin) ? fs.realpathSync(bin) : null;
}

function claudeWorkload(name: string, bin: string, provider: Record<string, string>, dir: string): Workload {
  const home = path.join(dir, 'home');
  return {
    name,
    // As the tests run it (test/helpers/agent-launch.ts): as root it takes --dangerously-skip-permissions with IS_SANDBOX
    cmd: [bin, '-p', 'Write hello to /tmp/x', '--dangerously-skip-permissions'],
    agent: true,
    // PATH etc. from here; the key only in the environment
    env: { ...process.env, ...provider, HOME: home, ANTHROPIC_API_KEY: 'sk-ant-agentsight-bench', IS_SANDBOX: '1' },
    cwd: dir,
    // A fresh HOME for every run: each is the same first session, not a growing history.
    prepare: () => {
      fs.rmSync(home, { recursive: true, force: true });
      fs.mkdirSync(home);
    },
    check: (r) => {
      if (!r.stdout.includes(FINAL_TEXT)) throw new Error(`no final answer: ${JSON.stringify(r.stdout.slice(-200))}`);
    },
  };
}

/** 200 small C files and a Makefile that compiles each and links them; built from clean in every run. */
function makeWorkload(dir: string): Workload {
  const src = path.join(dir, 'cbuild');
  fs.mkdirSync(src, { recursive: true });
  const objs: string[] = [];
  for (let i = 0; i < C_FILES; i++) {
    // No headers: a small translation unit, so the build is process creation and compiler start-up, as a build of
    // many small files is.
    fs.writeFileSync(path.join(src, `f${i}.c`), `static int t[64];\nint f${i}(int x) {\n  int s = 0;\n  for (int k = 0; k < 64; k++) { t[k] = (x * ${i + 1} + k) ^ (k << 3); s += t[k]; }\n  return s + ${i};\n}\n`);
    objs.push(`f${i}.o`);
  }
  const decls = Array.from({ length: C_FILES }, (_, i) => `int f${i}(int);`).join('\n');
  const calls = Array.from({ length: C_FILES }, (_, i) => `  s += f${i}(argc);`).join('\n');
  fs.writeFileSync(path.join(src, 'main.c'), `${decls}\nint main(int argc, char **argv) {\n  (void)argv;\n  long s = 0;\n${calls}\n  return (int)(s & 1);\n}\n`);
  fs.writeFileSync(path.join(src, 'Makefile'), `OBJS = main.o ${objs.join(' ')}\nprog: $(OBJS)\n\tgcc -o $@ $(OBJS)\n%.o: %.c\n\tgcc -O2 -c -o $@ $<\n`);
  return {
    name: `make -j2 (${C_FILES} C files)`,
    cmd: ['bash', '-c', `a=$EPOCHREALTIME; make -s -j2 -C ${src}; b=$EPOCHREALTIME; echo "AGENTSIGHT-BENCH-BUILD $a $b"`],
    env: process.env,
    cwd: src,
    prepare: () => {
      for (const f of fs.readdirSync(src)) if (f.endsWith('.o') || f === 'prog') fs.rmSync(path.join(src, f));
    },
    check: (r) => {
      if (!/^AGENTSIGHT-BENCH-BUILD /m.test(r.stdout) || !fs.existsSync(path.join(src, 'prog'))) throw new Error('the build did not finish');
    },
    inner: (r) => {
      const m = /^AGENTSIGHT-BENCH-BUILD ([\d.]+) ([\d.]+)$/m.exec(r.stdout)!;
      return { 'the build itself': (Number(m[2]) - Number(m[1])) * 1000 };
    },
  };
}

/** One workload failing (a baseline checkout that cannot run, say) is said and fails the run; the others still count. */
async function orFailed(name: string, f: () => Promise<BenchResult[]>): Promise<BenchResult[]> {
  try {
    return await f();
  } catch (err) {
    console.log(`  FAILED ${name}: ${(err as Error).message}`);
    process.exitCode = 1;
    return [];
  }
}

export async function runAgentRunBench(): Promise<BenchResult[]> {
  if (process.geteuid?.() !== 0) throw new Error('needs root (record loads BPF programs)');
  const rounds = Number(process.env['AGENTSIGHT_BENCH_AGENT_ROUNDS'] ?? 3);
  const thinkMs = Number(process.env['AGENTSIGHT_BENCH_THINK_MS'] ?? 1500);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-agent-run-'));
  fs.chmodSync(dir, 0o755);
  const vs = variants(dir);
  const res: BenchResult[] = [];
  try {
    const bin = claudeBinary();
    if (!bin) {
      console.log('  SKIPPED the Claude Code rows: no claude in .cache/agents (run scripts/install-agents.sh); the build is still measured');
    } else {
      for (const [label, ms] of [['Claude Code, instant model', 0], [`Claude Code, model thinking ${formatDuration(thinkMs * 1e6)} per call`, thinkMs]] as const) {
        const p = await startProvider(ms);
        try {
          res.push(...(await orFailed(label, () => measure(claudeWorkload(label, bin, p.env, dir), vs, rounds, dir))));
        } finally {
          p.proc.stdin!.end();
          p.proc.kill('SIGTERM');
        }
      }
    }
    const make = makeWorkload(dir);
    res.push(...(await orFailed(make.name, () => measure(make, vs, rounds, dir))));
    return res;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

