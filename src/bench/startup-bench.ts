/**
 * `record`'s fixed costs, as a user feels them, beside the untraced run and `strace -f` in the same rounds:
 * - `record` invoked → the command's first instruction, and the command's exit → `record` returns. The command is a
 *   static C program (built here with gcc; no dynamic loader before main) that prints CLOCK_REALTIME as its first act
 *   and exits: the bench takes the wall clock just before spawning and again at the spawned process's exit.
 * - live `top` at rest: CPU (utime+stime from /proc over AGENTSIGHT_BENCH_TOP_SECONDS, default 20), RSS and wakeups
 *   (voluntary context switches: all threads, and the poll thread) of the real CLI in a tmux terminal, nothing
 *   recorded happening; with a baseline, alternating with it for AGENTSIGHT_BENCH_TOP_PAIRS pairs (default 1).
 * Variants run interleaved, one round = one run of each, in a rotating order; figures are medians over
 * AGENTSIGHT_BENCH_STARTUP_ROUNDS rounds (default 15), with the load average at the start and end beside them.
 * AGENTSIGHT_BENCH_STARTUP_ROUNDS=0 measures only live top, AGENTSIGHT_BENCH_TOP_SECONDS=0 only the rounds.
 * AGENTSIGHT_BENCH_BASELINE=DIR adds another checkout's `record` (built) as a further variant: before/after figures
 * from the same rounds. `record` runs as typed (`agentsight record -- CMD`, stderr to a pipe: its web UI starts, no
 * status line), with AGENTSIGHT_TRACE_STARTUP=1 so that the phase table of each run is kept and its medians printed.
 * After each `record` run the next waits, untimed, until its keeper has released the probes (no other `node` process
 * left; anything else running node beside the bench makes each wait 10 s).
 * Unless AGENTSIGHT_BENCH_MONITOR=0, rounds of their own follow with the bench's `agentsight monitor` running: plain
 * and `agentsight record -q -- PROBE` handed to the monitor (viaMonitorRounds).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../native/addon';
import { clockTicksPerSecond, cpuTicks, rssKb, startTopInTmux, threadWakeups } from './tmux-top';
import { monitorSessions, startBenchMonitor } from './monitor-bench';
import { median, sleep } from './stats';
import type { BenchResult } from './types';

interface Run {
  /** ms from spawn to the command's first act */
  startMs: number;
  /** ms from the command's last act to the exit of what was spawned */
  endMs: number;
  /** phase → ms (record variants only; AGENTSIGHT_TRACE_STARTUP) */
  phases: Map<string, number>;
  /** user+sys CPU ms of the whole run and its threads (record variants: /usr/bin/time) */
  cpuMs: number | null;
}

interface Variant {
  name: string;
  argv: (probe: string, db: string) => string[];
}

const PROBE_C = `#include <stdio.h>
#include <time.h>
int main(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  printf("%lld\\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
  return 0;
}
`;

export function buildProbe(dir: string): string {
  const src = path.join(dir, 'first-instruction.c');
  const bin = path.join(dir, 'first-instruction');
  fs.writeFileSync(src, PROBE_C);
  const r = spawnSync('gcc', ['-O2', '-static', '-o', bin, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc -static failed: ${r.stderr || r.error?.message}`);
  return bin;
}

function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function runOnce(argv: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AGENTSIGHT_TRACE_STARTUP: '1', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const t1 = nowMs();
      const ns = Number(/^(\d+)$/m.exec(out)?.[1]);
      if (code !== 0 || !Number.isFinite(ns)) return reject(new Error(`${argv.join(' ')}: exit ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      const first = ns / 1e6;
      const phases = new Map<string, number>();
      let prev = 0;
      for (const m of err.matchAll(/^ {2}(.+?)\s{2,}(\d+\.\d)\s+(-?\d+\.\d)$/gm)) {
        phases.set(m[1]!, Number(m[2]) - prev);
        prev = Number(m[2]);
      }
      const cpu = /^AGENTSIGHT-BENCH-CPU ([\d.]+) ([\d.]+)$/m.exec(err);
      resolve({ startMs: first - t0, endMs: t1 - first, phases, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : null });
    });
  });
}

/**
 * Until the last record's keeper and exec guard are gone (no `node` process but this one and its ancestors: the
 * keeper is a clone of record, nameless while the kernel releases its probes in its exit), at most 10 s.
 */
async function settle(): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < 10_000 && otherNodeAlive()) await sleep(100);
}

function otherNodeAlive(): boolean {
  const mine = new Set<number>();
  for (let p = process.pid; p > 1; ) {
    mine.add(p);
    const m = /^PPid:\s+(\d+)$/m.exec(readOr(`/proc/${p}/status`));
    p = m ? Number(m[1]) : 0;
  }
  for (const pid of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(pid) && !mine.has(Number(pid)) && readOr(`/proc/${pid}/comm`).trim() === 'node') return true;
  }
  return false;
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const r1 = (x: number): number => Math.round(x * 10) / 10;
const load = (): string => os.loadavg().map((l) => l.toFixed(1)).join(' ');

function recordVariant(name: string, root: string): Variant {
  // /usr/bin/time adds the CPU of the whole run (its threads included; not the hand-off child, which outlives it) to
  // stderr: a figure that moves far less with the machine's load than wall time does.
  return {
    name,
    argv: (probe, db) => ['/usr/bin/time', '-f', 'AGENTSIGHT-BENCH-CPU %U %S', process.execPath, path.join(root, 'bin', 'agentsight'), 'record', '--db', db, '--', probe],
  };
}

async function startupRounds(dir: string, probe: string): Promise<BenchResult[]> {
  const rounds = Number(process.env['AGENTSIGHT_BENCH_STARTUP_ROUNDS'] ?? 15);
  const variants: Variant[] = [
    { name: 'plain', argv: (p) => [p] },
    { name: 'strace -f', argv: (p) => ['strace', '-f', '-qq', '-o', '/dev/null', p] },
    recordVariant('record', PACKAGE_ROOT),
  ];
  const base = process.env['AGENTSIGHT_BENCH_BASELINE'];
  if (base) variants.push(recordVariant('record (baseline)', path.resolve(base)));
  const runs = new Map<string, Run[]>(variants.map((v) => [v.name, []]));
  const loadBefore = load();
  // A first run of each warms the page cache (node, the addon, the BPF objects); not counted.
  for (const v of variants) await runOnce(v.argv(probe, path.join(dir, `warm-${v.name.replace(/\W/g, '')}.db`)));
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < variants.length; j++) {
      const v = variants[(i + j) % variants.length]!;
      const db = path.join(dir, `r${i}-${j}.db`);
      runs.get(v.name)!.push(await runOnce(v.argv(probe, db)));
      // A record leaves its probes to a keeper whose exit releases them, 3-6 s of the kernel's event_mutex during which
      // the next record's attach waits (300-490 ms in back-to-back rounds). Each run starts as a user's does: after it.
      if (v.name.startsWith('record')) await settle();
      for (const s of ['', '-wal', '-shm']) fs.rmSync(db + s, { force: true });
    }
  }
  const loadAfter = load();
  const detail = (n: number) => `median of ${n} interleaved rounds; load ${loadBefore} → ${loadAfter}`;
  const res: BenchResult[] = [];
  if (process.env['AGENTSIGHT_BENCH_MONITOR'] !== '0') res.push(...(await viaMonitorRounds(dir, probe, rounds)));
  const plainWall = median(runs.get('plain')!.map((r) => r.startMs + r.endMs));
  const straceWall = median(runs.get('strace -f')!.map((r) => r.startMs + r.endMs));
  for (const v of variants) {
    const rs = runs.get(v.name)!;
    const wall = median(rs.map((r) => r.startMs + r.endMs));
    res.push({ name: `${v.name}: invoked → first instruction`, value: r1(median(rs.map((r) => r.startMs))), unit: 'ms', detail: detail(rs.length) });
    res.push({ name: `${v.name}: exit → returns`, value: r1(median(rs.map((r) => r.endMs))), unit: 'ms', detail: detail(rs.length) });
    const cpu = rs.map((r) => r.cpuMs).filter((c): c is number => c !== null);
    if (cpu.length > 0) res.push({ name: `${v.name}: CPU of the whole run`, value: Math.round(median(cpu)), unit: 'ms', detail: `user+sys, /usr/bin/time; ${detail(cpu.length)}` });
    if (v.name !== 'plain') {
      res.push({ name: `${v.name}: whole run vs plain`, value: r1(wall / plainWall), unit: '×', detail: `${r1(wall)} ms vs ${r1(plainWall)} ms; vs strace -f ${r1(wall / straceWall)}×` });
    }
    const phases = [...new Set(rs.flatMap((r) => [...r.phases.keys()]))];
    for (const p of phases) {
      res.push({ name: `${v.name} phase: ${p}`, value: r1(median(rs.map((r) => r.phases.get(p) ?? 0))), unit: 'ms', detail: 'AGENTSIGHT_TRACE_STARTUP table, median' });
    }
  }
  return res;
}

/**
 * The same command with the bench's own `agentsight monitor` running (started and settled before, untimed): plain, and
 * `agentsight record -q -- PROBE` as typed — bin/agentsight's sh execs the C launcher, which hands its pid to the
 * monitor and execs PROBE; node never starts. Interleaved rounds of their own, since every other variant must run
 * without a monitor beside it; the probe is no known agent, so the monitor does not record the plain runs.
 */
async function viaMonitorRounds(dir: string, probe: string, rounds: number): Promise<BenchResult[]> {
  const variants: Variant[] = [
    { name: 'plain, monitor running', argv: (p) => [p] },
    { name: 'record via the monitor', argv: (p) => [path.join(PACKAGE_ROOT, 'bin', 'agentsight'), 'record', '-q', '--', p] },
  ];
  const runs = new Map<string, Run[]>(variants.map((v) => [v.name, []]));
  const mon = await startBenchMonitor(dir, ['root']);
  let loads = '';
  try {
    await sleep(2000); // its start-up's own work settles
    const env = { AGENTSIGHT_MONITOR_DIR: mon.dir };
    const loadBefore = load();
    for (const v of variants) await runOnce(v.argv(probe, ''), env);
    for (let i = 0; i < rounds; i++) {
      for (let j = 0; j < variants.length; j++) {
        const v = variants[(i + j) % variants.length]!;
        runs.get(v.name)!.push(await runOnce(v.argv(probe, ''), env));
      }
    }
    loads = `${loadBefore} → ${load()}`;
  } finally {
    await mon.stop();
  }
  const sessions = monitorSessions(mon.dir);
  fs.rmSync(mon.dir, { recursive: true, force: true });
  // every run handed over is a session of the monitor's recording: a launcher falling back to node would not be
  if (sessions < rounds + 1) throw new Error(`the monitor recorded ${sessions} session(s) of ${rounds + 1} runs handed to it`);
  const detail = `median of ${rounds} interleaved rounds, monitor running; load ${loads}`;
  const plain = runs.get('plain, monitor running')!;
  const via = runs.get('record via the monitor')!;
  const wall = (rs: Run[]) => median(rs.map((r) => r.startMs + r.endMs));
  return [
    { name: 'plain, monitor running: invoked → first instruction', value: r1(median(plain.map((r) => r.startMs))), unit: 'ms', detail },
    { name: 'record via the monitor: invoked → first instruction', value: r1(median(via.map((r) => r.startMs))), unit: 'ms', detail },
    { name: 'record via the monitor: exit → returns', value: r1(median(via.map((r) => r.endMs))), unit: 'ms', detail },
    { name: 'record via the monitor: whole run vs plain', value: r1(wall(via) / wall(plain)), unit: '×', detail: `${r1(wall(via))} ms vs ${r1(wall(plain))} ms; ${detail}` },
  ];
}

interface TopSample {
  cpu: number;
  rssKb: number;
  hwmKb: number;
  /** wakeups per second of the whole process and of its poll thread (the one thread at nice -10) */
  wakeups: number;
  pollWakeups: number;
}

/** Live `top` (system-wide capture) in a 120×40 tmux terminal, left alone: CPU, memory and wakeups at rest. */
async function topAtRestOnce(root: string, seconds: number): Promise<TopSample> {
  const top = await startTopInTmux(path.join(root, 'bin', 'agentsight'), '--no-web', 60_000);
  try {
    const pid = top.pid;
    const hz = clockTicksPerSecond();
    // Start-up work (loading, /proc seeding) is over after a few seconds; then nothing happens but the clock.
    await new Promise((r) => setTimeout(r, 5000));
    const c0 = cpuTicks(pid);
    const w0 = threadWakeups(pid);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const s = (Date.now() - t0) / 1000;
    const cpu = ((cpuTicks(pid) - c0) / hz / s) * 100;
    const w1 = threadWakeups(pid);
    let all = 0;
    let poll = 0;
    for (const [tid, b] of w1) {
      const d = b.switches - (w0.get(tid)?.switches ?? 0);
      all += d;
      if (b.nice === -10) poll += d;
    }
    const sample = { cpu, rssKb: rssKb(pid, 'VmRSS'), hwmKb: rssKb(pid, 'VmHWM'), wakeups: all / s, pollWakeups: poll / s };
    top.keys('q');
    return sample;
  } finally {
    top.close();
  }
}

/**
 * Live top at rest, this checkout and (AGENTSIGHT_BENCH_BASELINE) another, alternating for
 * AGENTSIGHT_BENCH_TOP_PAIRS pairs (default 1), the order swapped every pair; medians.
 */
async function topAtRest(): Promise<BenchResult[]> {
  const seconds = Number(process.env['AGENTSIGHT_BENCH_TOP_SECONDS'] ?? 20);
  const pairs = Number(process.env['AGENTSIGHT_BENCH_TOP_PAIRS'] ?? 1);
  const base = process.env['AGENTSIGHT_BENCH_BASELINE'];
  const roots: Array<[string, string]> = [['live top ', PACKAGE_ROOT]];
  if (base) roots.push(['live top (baseline) ', path.resolve(base)]);
  const samples = new Map<string, TopSample[]>(roots.map(([l]) => [l, []]));
  const loadBefore = load();
  for (let i = 0; i < pairs; i++) {
    for (let j = 0; j < roots.length; j++) {
      const [label, root] = roots[(i + j) % roots.length]!;
      samples.get(label)!.push(await topAtRestOnce(root, seconds));
    }
  }
  const detail = `live top --no-web at rest, ${seconds} s of utime+stime from /proc after 5 s, median of ${pairs} run(s)${base ? ' alternating with the baseline' : ''}; load ${loadBefore} → ${load()}`;
  const res: BenchResult[] = [];
  for (const [label] of roots) {
    const ss = samples.get(label)!;
    const m = (f: (x: TopSample) => number) => median(ss.map(f));
    res.push({ name: `${label}at rest: CPU`, value: Math.round(m((x) => x.cpu) * 100) / 100, unit: '% of a core', detail: `${detail}; runs ${ss.map((x) => x.cpu.toFixed(2)).join(', ')}` });
    res.push({ name: `${label}at rest: RSS`, value: Math.round(m((x) => x.rssKb) / 1024), unit: 'MiB', detail: `VmRSS after the CPU sample; peak (VmHWM) ${Math.round(m((x) => x.hwmKb) / 1024)} MiB` });
    res.push({ name: `${label}at rest: wakeups`, value: Math.round(m((x) => x.wakeups)), unit: '/s', detail: `voluntary context switches of all threads over the same ${seconds} s; runs ${ss.map((x) => Math.round(x.wakeups)).join(', ')}` });
    res.push({ name: `${label}at rest: poll thread wakeups`, value: Math.round(m((x) => x.pollWakeups)), unit: '/s', detail: `the thread at nice -10 (native/poll-thread.cc); runs ${ss.map((x) => Math.round(x.pollWakeups)).join(', ')}` });
  }
  return res;
}

export async function runStartupBench(): Promise<BenchResult[]> {
  if (process.geteuid?.() !== 0) throw new Error('needs root (record loads BPF programs)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-startup-'));
  try {
    const probe = buildProbe(dir);
    // AGENTSIGHT_BENCH_STARTUP_ROUNDS=0: only live top (and AGENTSIGHT_BENCH_TOP_SECONDS=0: only the rounds).
    const res = process.env['AGENTSIGHT_BENCH_STARTUP_ROUNDS'] === '0' ? [] : await startupRounds(dir, probe);
    if (process.env['AGENTSIGHT_BENCH_TOP_SECONDS'] !== '0') res.push(...(await topAtRest()));
    return res;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
