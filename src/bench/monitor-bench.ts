/**
 * The always-on monitor's own cost (docs/monitor.md): start-up until every user's capture runs, CPU and resident memory
 * while the machine is idle (measured over AGENTSIGHT_BENCH_MONITOR_IDLE_S seconds, default 60, and given per hour),
 * and while an agent works (a stand-in named with --agent that runs 500 short commands, each reading a file; the
 * monitor records its whole process tree). With one user and with two: each user has a capture of their own, which
 * sees every fork, exec and exit of the machine. CPU is the monitor process's utime+stime from /proc (all threads,
 * the native poll threads included); RSS is VmRSS, and VmHWM for the peak. And `record -- CMD` with the monitor
 * running: invocation → the command's first instruction (the start-up bench's static probe), through the launcher
 * (`agentsight record` as typed), through the node CLI, and plain, interleaved (AGENTSIGHT_BENCH_MONITOR_ROUNDS,
 * default 9); the machine is shared, so each figure carries the load average it was taken at.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../native/addon';
import { openRecording } from '../store';
import { buildProbe } from './startup-bench';
import { median, sleep } from './stats';
import type { BenchResult } from './types';

const TICKS = 100; // USER_HZ
const LAUNCHER = path.join(PACKAGE_ROOT, 'build', 'agentsight-launch');

function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

function memKiB(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

const load = (): string => os.loadavg()[0]!.toFixed(1);

/** Wall-clock ms from just before spawning argv to the probe's first act (it prints CLOCK_REALTIME ns). */
function firstInstructionMs(argv: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.timeOrigin + performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env });
  const ns = Number(/^(\d+)$/m.exec(r.stdout)?.[1]);
  if (r.status !== 0 || !Number.isFinite(ns)) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  return ns / 1e6 - t0;
}

interface StartFigures {
  /** `agentsight record -- PROBE` as typed (bin/agentsight's sh → the launcher → the monitor → exec) */
  launcherMs: number;
  /** the same through node (`node bin/agentsight record …`: the CLI asks the monitor, then spawns) */
  nodeMs: number;
  plainMs: number;
  load: string;
}

/**
 * Invocation → the command's first instruction with the monitor running: the static probe of the start-up bench
 * (startup-bench.ts) run plain, through `agentsight record -q --` as typed (the launcher), and through the node CLI,
 * in rotating order, `rounds` rounds after one unmeasured warm-up of each; medians, and the load average around them.
 */
function recordStartMs(monitorDir: string, probe: string, rounds: number): StartFigures {
  const bin = path.join(PACKAGE_ROOT, 'bin', 'agentsight');
  const env = { ...process.env, AGENTSIGHT_MONITOR_DIR: monitorDir };
  const variants: Array<[keyof StartFigures, string[]]> = [
    ['launcherMs', [bin, 'record', '-q', '--', probe]],
    ['nodeMs', [process.execPath, bin, 'record', '-q', '--', probe]],
    ['plainMs', [probe]],
  ];
  for (const [, argv] of variants) firstInstructionMs(argv, env);
  const xs = new Map<string, number[]>(variants.map(([k]) => [k, []]));
  const l0 = load();
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < variants.length; j++) {
      const [k, argv] = variants[(i + j) % variants.length]!;
      xs.get(k)!.push(firstInstructionMs(argv, env));
    }
  }
  return { launcherMs: median(xs.get('launcherMs')!), nodeMs: median(xs.get('nodeMs')!), plainMs: median(xs.get('plainMs')!), load: `${l0}–${load()}` };
}

/** `record` loading BPF itself (AGENTSIGHT_NO_MONITOR=1, --db): invocation → the probe's first instruction. */
function recordAloneMs(probe: string, n: number, dir: string): number {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const db = path.join(dir, `alone-${i}.db`);
    xs.push(firstInstructionMs([process.execPath, path.join(PACKAGE_ROOT, 'bin', 'agentsight'), 'record', '-q', '--no-web', '--db', db, '--', probe], { ...process.env, AGENTSIGHT_NO_MONITOR: '1' }));
    for (const s of ['', '-wal', '-shm']) fs.rmSync(db + s, { force: true });
  }
  return median(xs);
}

/**
 * The monitor's side alone: connect to root's record.sock, ask for a session of this process (the monitor takes the
 * caller's pid from the socket: a process hands over only itself), time the answer; then end it.
 */
async function handOffAnswerMs(monitorDir: string, n: number): Promise<number> {
  const net = await import('node:net');
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const sock = net.connect(path.join(monitorDir, '0', 'record.sock'));
    await new Promise((r) => sock.once('connect', r));
    const next = () => new Promise<{ ok: boolean; error?: string }>((r) => sock.once('data', (d) => r(JSON.parse(d.toString()) as { ok: boolean; error?: string })));
    const t0 = performance.now();
    const answer = next();
    sock.write(JSON.stringify({ op: 'record', pid: process.pid, argv: ['bench'], argv0: 'true', path: '/usr/bin:/bin', cwd: '/' }) + '\n');
    const a = await answer;
    xs.push(performance.now() - t0);
    if (!a.ok) throw new Error(`hand-off refused: ${a.error}`);
    // Nothing was started: the end waits for no command (up to the monitor's END_WAIT_MS), untimed.
    const ended = next();
    sock.write(JSON.stringify({ op: 'end' }) + '\n');
    await ended;
    sock.end();
  }
  return median(xs);
}

interface Run {
  startS: number;
  recordViaMonitor: StartFigures;
  answerMs: number;
  recordAloneMs: number;
  idleCpuPerHourS: number;
  idleRssMiB: number;
  busyCpuS: number;
  busyWallS: number;
  peakRssMiB: number;
}

/** A running `agentsight monitor` of the bench's own (its own --dir), and how to stop it. */
export interface BenchMonitor {
  pid: number;
  /** its directory (AGENTSIGHT_MONITOR_DIR for `record` to find it) */
  dir: string;
  /** spawn → every user's capture records, seconds */
  startS: number;
  stop: () => Promise<void>;
}

/** Starts `agentsight monitor --dir (new dir under parent) --user …` and waits until every user's capture records. */
export async function startBenchMonitor(parent: string, users: string[], extra: string[] = []): Promise<BenchMonitor> {
  // Without the launcher bin/agentsight falls back to node, which asks the monitor too: a run measured through the
  // monitor must not be the node route under the launcher's name. (node-gyp's rebuild, `make native` alone, removes it.)
  if (!fs.existsSync(LAUNCHER)) throw new Error(`${LAUNCHER} is not built (make launcher): record would go through node`);
  const mdir = fs.mkdtempSync(path.join(parent, 'm-'));
  fs.chmodSync(mdir, 0o755);
  const args = [path.join(PACKAGE_ROOT, 'bin', 'agentsight'), 'monitor', '--dir', mdir, ...extra, ...users.flatMap((u) => ['--user', u])];
  const t0 = performance.now();
  const mon = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  mon.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => mon.on('exit', () => r()));
  const stop = async () => {
    if (mon.exitCode === null && mon.signalCode === null) mon.kill('SIGTERM');
    await exited;
  };
  try {
    while ((err.match(/recording agents of/g) ?? []).length < users.length) {
      if (mon.exitCode !== null) throw new Error(`monitor exited: ${err}`);
      await sleep(20);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { pid: mon.pid!, dir: mdir, startS: (performance.now() - t0) / 1000, stop };
}

/** Sessions in every recording file under a monitor's directory (its user directories' weekly files). */
export function monitorSessions(mdir: string): number {
  let n = 0;
  for (const f of fs.readdirSync(mdir, { recursive: true }) as string[]) {
    if (!f.endsWith('.db')) continue;
    const r = openRecording(path.join(mdir, f));
    try {
      n += r.sessions().length;
    } finally {
      r.close();
    }
  }
  return n;
}

async function measure(users: string[], idleS: number, dir: string, probe: string): Promise<Run> {
  const agent = path.join(dir, 'as-bench-agent');
  if (!fs.existsSync(agent)) {
    fs.copyFileSync('/bin/dash', agent);
    fs.chmodSync(agent, 0o755);
  }
  const m = await startBenchMonitor(dir, users, ['--agent', 'as-bench-agent']);
  const mon = { pid: m.pid };
  const mdir = m.dir;
  try {
    const startS = m.startS;
    await sleep(2000); // the start-up's own work (seeding from /proc) settles
    const c0 = cpuSeconds(mon.pid);
    await sleep(idleS * 1000);
    const idleCpu = cpuSeconds(mon.pid) - c0;
    const idleRss = memKiB(mon.pid, 'VmRSS') / 1024;

    const recordViaMonitor = recordStartMs(mdir, probe, Number(process.env['AGENTSIGHT_BENCH_MONITOR_ROUNDS'] ?? 9));
    const recordAloneMs_ = recordAloneMs(probe, 3, dir);
    const answerMs = await handOffAnswerMs(mdir, 5);

    const b0 = cpuSeconds(mon.pid);
    const w0 = performance.now();
    const r = spawnSync(agent, ['-c', 'i=0; while [ $i -lt 500 ]; do cat /etc/hostname >/dev/null; i=$((i+1)); done'], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error('stand-in agent failed');
    await sleep(1000); // its records reach the store
    const busyCpu = cpuSeconds(mon.pid) - b0;
    const busyWall = (performance.now() - w0) / 1000;
    const peak = memKiB(mon.pid, 'VmHWM') / 1024;
    return { startS, recordViaMonitor, answerMs, recordAloneMs: recordAloneMs_, idleCpuPerHourS: (idleCpu / idleS) * 3600, idleRssMiB: idleRss, busyCpuS: busyCpu, busyWallS: busyWall, peakRssMiB: peak };
  } finally {
    await m.stop();
  }
}

export async function runMonitorBench(): Promise<BenchResult[]> {
  if (process.getuid?.() !== 0) throw new Error('needs root (the monitor loads BPF)');
  const idleS = Number(process.env.AGENTSIGHT_BENCH_MONITOR_IDLE_S ?? 60);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-monitor-bench-'));
  fs.chmodSync(dir, 0o755);
  const second = spawnSync('getent', ['passwd', 'nobody']).status === 0 ? 'nobody' : null;
  const probe = buildProbe(dir);
  try {
    const out: BenchResult[] = [];
    for (const users of second ? [['root'], ['root', second]] : [['root']]) {
      const r = await measure(users, idleS, dir, probe);
      const n = `${users.length} user${users.length > 1 ? 's' : ''}`;
      out.push(
        { name: `monitor start, ${n}`, value: round(r.startS, 2), unit: 's', detail: 'spawn until every user\'s capture records (BPF load + /proc seeding per user)' },
        { name: `monitor idle CPU, ${n}`, value: round(r.idleCpuPerHourS, 1), unit: 'CPU-s/hour', detail: `utime+stime over ${idleS} s of an otherwise busy shared machine, per hour` },
        { name: `monitor idle RSS, ${n}`, value: round(r.idleRssMiB, 1), unit: 'MiB', detail: 'VmRSS after the idle window' },
        { name: `monitor CPU while an agent runs, ${n}`, value: round(r.busyCpuS, 2), unit: 'CPU-s', detail: `stand-in agent: 500 execs of cat reading a file, ${round(r.busyWallS, 1)} s wall (+1 s to drain)` },
        { name: `record → command's first instruction via the monitor, ${n}`, value: r1(r.recordViaMonitor.launcherMs), unit: 'ms', detail: `\`agentsight record -q -- PROBE\` as typed (sh → launcher → monitor → exec), median; plain PROBE ${r1(r.recordViaMonitor.plainMs)} ms; load ${r.recordViaMonitor.load}` },
        { name: `record → command's first instruction via the monitor through node, ${n}`, value: r1(r.recordViaMonitor.nodeMs), unit: 'ms', detail: `\`node bin/agentsight record -q -- PROBE\` (the CLI asks, then spawns), interleaved with the above, median; load ${r.recordViaMonitor.load}` },
        { name: `monitor's answer to a hand-off, ${n}`, value: Math.round(r.answerMs * 10) / 10, unit: 'ms', detail: 'record.sock request → answer (session made, seed traced, command probed, committed), median of 5' },
        { name: `record → command start alone, ${n}`, value: Math.round(r.recordAloneMs), unit: 'ms', detail: `invocation → PROBE's first instruction with AGENTSIGHT_NO_MONITOR=1 --db (loads BPF itself), median of 3; load ${load()}` },
        { name: `monitor peak RSS, ${n}`, value: round(r.peakRssMiB, 1), unit: 'MiB', detail: 'VmHWM after the agent' },
      );
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
