/**
 * The always-on monitor's own cost (docs/monitor.md): start-up until every user's capture runs, CPU and resident memory
 * while the machine is idle (measured over AGENTSIGHT_BENCH_MONITOR_IDLE_S seconds, default 60, and given per hour),
 * and while an agent works (a stand-in named with --agent that runs 500 short commands, each reading a file; the
 * monitor records its whole process tree). With one user and with two: each user has a capture of their own, which
 * sees every fork, exec and exit of the machine. CPU is the monitor process's utime+stime from /proc (all threads,
 * the native poll threads included); RSS is VmRSS, and VmHWM for the peak.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../native/addon';
import type { BenchResult } from './types';

const TICKS = 100; // USER_HZ

function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

function memKiB(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * From spawning `agentsight record -- sh -c 'date +%s%N'` to the command's first output: through the running monitor
 * (mode 'monitor') or loading BPF itself (AGENTSIGHT_NO_MONITOR=1, --db). Median of `n`.
 */
function recordStartMs(monitorDir: string, viaMonitor: boolean, n: number, dir: string): number {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const db = path.join(dir, `alone-${i}.db`);
    const args = [path.join(PACKAGE_ROOT, 'bin', 'agentsight'), 'record', '-q', '--no-web', ...(viaMonitor ? [] : ['--db', db]), '--', 'sh', '-c', 'date +%s%N'];
    const t0 = Date.now() * 1e6 + Number(process.hrtime.bigint() % 1_000_000n);
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, AGENTSIGHT_MONITOR_DIR: monitorDir, AGENTSIGHT_NO_MONITOR: viaMonitor ? '0' : '1' } });
    if (r.status !== 0) throw new Error(`record failed: ${r.stderr}`);
    xs.push((Number(r.stdout.trim()) - t0) / 1e6);
    for (const s of ['', '-wal', '-shm']) fs.rmSync(db + s, { force: true });
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

/** The monitor's side alone: connect to root's record.sock, ask for a session, time the answer; then end it. */
async function handOffAnswerMs(monitorDir: string, n: number): Promise<number> {
  const net = await import('node:net');
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const seed = spawn('sleep', ['5'], { stdio: 'ignore' });
    const sock = net.connect(path.join(monitorDir, '0', 'record.sock'));
    await new Promise((r) => sock.once('connect', r));
    const t0 = performance.now();
    const answer = new Promise<string>((r) => sock.once('data', (d) => r(d.toString())));
    sock.write(JSON.stringify({ op: 'record', pid: seed.pid, title: 'bench', argv0: 'true', path: '/usr/bin:/bin', cwd: '/' }) + '\n');
    const a = JSON.parse(await answer) as { ok: boolean; error?: string };
    xs.push(performance.now() - t0);
    if (!a.ok) throw new Error(`hand-off refused: ${a.error}`);
    seed.kill();
    sock.end();
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

interface Run {
  startS: number;
  recordViaMonitorMs: number;
  answerMs: number;
  recordAloneMs: number;
  idleCpuPerHourS: number;
  idleRssMiB: number;
  busyCpuS: number;
  busyWallS: number;
  peakRssMiB: number;
}

async function measure(users: string[], idleS: number, dir: string): Promise<Run> {
  const mdir = fs.mkdtempSync(path.join(dir, 'm-'));
  fs.chmodSync(mdir, 0o755);
  const agent = path.join(dir, 'as-bench-agent');
  if (!fs.existsSync(agent)) {
    fs.copyFileSync('/bin/dash', agent);
    fs.chmodSync(agent, 0o755);
  }
  const args = [path.join(PACKAGE_ROOT, 'bin', 'agentsight'), 'monitor', '--dir', mdir, '--agent', 'as-bench-agent', ...users.flatMap((u) => ['--user', u])];
  const t0 = performance.now();
  const mon = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  mon.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => mon.on('exit', () => r()));
  try {
    while ((err.match(/recording agents of/g) ?? []).length < users.length) {
      if (mon.exitCode !== null) throw new Error(`monitor exited: ${err}`);
      await sleep(20);
    }
    const startS = (performance.now() - t0) / 1000;
    await sleep(2000); // the start-up's own work (seeding from /proc) settles
    const c0 = cpuSeconds(mon.pid!);
    await sleep(idleS * 1000);
    const idleCpu = cpuSeconds(mon.pid!) - c0;
    const idleRss = memKiB(mon.pid!, 'VmRSS') / 1024;

    const recordViaMonitorMs = recordStartMs(mdir, true, 5, dir);
    const recordAloneMs = recordStartMs(mdir, false, 3, dir);
    const answerMs = await handOffAnswerMs(mdir, 5);

    const b0 = cpuSeconds(mon.pid!);
    const w0 = performance.now();
    const r = spawnSync(agent, ['-c', 'i=0; while [ $i -lt 500 ]; do cat /etc/hostname >/dev/null; i=$((i+1)); done'], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error('stand-in agent failed');
    await sleep(1000); // its records reach the store
    const busyCpu = cpuSeconds(mon.pid!) - b0;
    const busyWall = (performance.now() - w0) / 1000;
    const peak = memKiB(mon.pid!, 'VmHWM') / 1024;
    return { startS, recordViaMonitorMs, answerMs, recordAloneMs, idleCpuPerHourS: (idleCpu / idleS) * 3600, idleRssMiB: idleRss, busyCpuS: busyCpu, busyWallS: busyWall, peakRssMiB: peak };
  } finally {
    mon.kill('SIGTERM');
    await exited;
  }
}

export async function runMonitorBench(): Promise<BenchResult[]> {
  if (process.getuid?.() !== 0) throw new Error('needs root (the monitor loads BPF)');
  const idleS = Number(process.env.AGENTSIGHT_BENCH_MONITOR_IDLE_S ?? 60);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-monitor-bench-'));
  fs.chmodSync(dir, 0o755);
  const second = spawnSync('getent', ['passwd', 'nobody']).status === 0 ? 'nobody' : null;
  try {
    const out: BenchResult[] = [];
    for (const users of second ? [['root'], ['root', second]] : [['root']]) {
      const r = await measure(users, idleS, dir);
      const n = `${users.length} user${users.length > 1 ? 's' : ''}`;
      out.push(
        { name: `monitor start, ${n}`, value: round(r.startS, 2), unit: 's', detail: 'spawn until every user\'s capture records (BPF load + /proc seeding per user)' },
        { name: `monitor idle CPU, ${n}`, value: round(r.idleCpuPerHourS, 1), unit: 'CPU-s/hour', detail: `utime+stime over ${idleS} s of an otherwise busy shared machine, per hour` },
        { name: `monitor idle RSS, ${n}`, value: round(r.idleRssMiB, 1), unit: 'MiB', detail: 'VmRSS after the idle window' },
        { name: `monitor CPU while an agent runs, ${n}`, value: round(r.busyCpuS, 2), unit: 'CPU-s', detail: `stand-in agent: 500 execs of cat reading a file, ${round(r.busyWallS, 1)} s wall (+1 s to drain)` },
        { name: `record → command start via the monitor, ${n}`, value: Math.round(r.recordViaMonitorMs), unit: 'ms', detail: 'spawn of `agentsight record -- sh -c date` to the command\'s output, median of 5 (node start-up included)' },
        { name: `monitor's answer to a hand-off, ${n}`, value: Math.round(r.answerMs * 10) / 10, unit: 'ms', detail: 'record.sock request → answer (session made, seed traced, command probed, committed), median of 5' },
        { name: `record → command start alone, ${n}`, value: Math.round(r.recordAloneMs), unit: 'ms', detail: 'the same with AGENTSIGHT_NO_MONITOR=1 --db (loads BPF itself), median of 3' },
        { name: `monitor peak RSS, ${n}`, value: round(r.peakRssMiB, 1), unit: 'MiB', detail: 'VmHWM after the agent' },
      );
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
