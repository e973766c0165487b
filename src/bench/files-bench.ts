/**
 * File-capture overhead: wall time of two file-heavy workloads — unpack a 20,000-file tree with tar and delete it
 * (the worst case: nothing but file syscalls), and `npm ci --offline` of a local fixture (what an agent runs) —
 * untraced, traced by agentsight (the real capture + collector, as `record` runs it), and under
 * `strace -f -e trace=file,network` (the reference users know). Rounds interleave the three modes so machine
 * noise hits them alike; medians are reported. Also: stored file_ops rows per 100k opens, for the tar workload
 * (every path distinct: rows cannot fall below one per path) and for a hot-file workload (100k opens of 1,000
 * paths, as build tools and package managers re-read the same files).
 *
 * Run alone: `node dist/bench/files-bench.js` (root). Exported for the bench runner: runFilesBench().
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureRunner } from '../collector/capture-runner';
import type { YieldOptions } from '../native/addon';
import { createRecording } from '../store';
import { npmCiFixture } from './npm-ci-fixture';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  detail: string;
}

const FILES = 20_000;
const DIRS = 200;
const ROUNDS = Number(process.env['AGENTSIGHT_BENCH_ROUNDS'] ?? 5);
/**
 * AGENTSIGHT_BENCH_HOLD_AB=1: each round also runs the capture as it was before the durability bound (a hold of up to
 * 30 s, no priority boost for old uncommitted batches), so the bound's cost is measured against it in the same session.
 */
const HOLD_AB = process.env['AGENTSIGHT_BENCH_HOLD_AB'] === '1';
const BEFORE_BOUND: YieldOptions = { holdMaxMs: 30_000, durableMs: 1e12 };
/** AGENTSIGHT_BENCH_NO_STRACE=1: leave strace out (its rounds take most of the bench's time). */
const NO_STRACE = process.env['AGENTSIGHT_BENCH_NO_STRACE'] === '1';
const HOT_PATHS = 1000;
const HOT_OPENS = 100_000;
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
/** bash ≥ 5 for $EPOCHREALTIME (µs); without it the wall time is taken on the JS thread (see run) */
const BASH = fs.existsSync('/bin/bash') && spawnSync('/bin/bash', ['-c', '[ -n "$EPOCHREALTIME" ]']).status === 0 ? '/bin/bash' : null;

interface Timing {
  /** wall ms of the workload itself, timed by a wrapper shell around it */
  ms: number;
  /** wall ms from spawn until this (the recording) process handled the exit */
  noticedMs: number;
  /** user + system CPU ms of the workload and its children (null without /usr/bin/time) */
  cpuMs: number | null;
}

/**
 * Run a command; its wall time, and its CPU time through /usr/bin/time (Node does not expose children's rusage). CPU
 * time is far less sensitive than wall time to other work on a shared machine, so both are reported.
 *
 * The wall time is taken by a wrapper shell ($EPOCHREALTIME before and after the command), not on this thread: the
 * recording process handles the child's exit on its JS thread, which is the collector's thread — busy or yielding while
 * the workload runs — so a JS-side timer measured the collector's backlog as much as the workload (a traced run's
 * exit was seen up to seconds after the workload had ended). That latency is reported separately (noticedMs).
 */
function run(file: string, args: string[], onSpawned?: (pid: number | undefined) => void): Promise<Timing> {
  const out = path.join(os.tmpdir(), `agentsight-bench-time-${process.pid}`);
  const wall = path.join(os.tmpdir(), `agentsight-bench-wall-${process.pid}`);
  const [tf, ta] = TIME ? [TIME, ['-f', '%U %S', '-o', out, file, ...args]] : [file, args];
  const [f, a] = BASH ? [BASH, ['-c', 'a=$EPOCHREALTIME; "$@"; rc=$?; b=$EPOCHREALTIME; echo "$a $b" > "$WALL_OUT"; exit $rc', 'bash', tf, ...ta]] : [tf, ta];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(f, a, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, WALL_OUT: wall } });
    onSpawned?.(p.pid);
    p.on('error', reject);
    p.on('exit', (code) => {
      const noticedMs = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return reject(new Error(`${file} exited ${code}`));
      let cpuMs: number | null = null;
      if (TIME) {
        const [u, s] = fs.readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
        cpuMs = (u + s) * 1000;
        fs.rmSync(out, { force: true });
      }
      let ms = noticedMs;
      if (BASH) {
        const [s0, s1] = fs.readFileSync(wall, 'utf8').trim().split(' ').map(Number);
        ms = (s1 - s0) * 1000;
        fs.rmSync(wall, { force: true });
      }
      resolve({ ms, noticedMs, cpuMs });
    });
  });
}

/** A tarball of FILES small files in DIRS directories (built once per bench run). */
function makeTree(root: string): string {
  const src = path.join(root, 'src');
  for (let d = 0; d < DIRS; d++) {
    const dir = path.join(src, `pkg${d}`, 'lib');
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < FILES / DIRS; f++) fs.writeFileSync(path.join(dir, `mod${f}.js`), `module.exports = ${d * 1000 + f};\n`.repeat(1 + (f % 8)));
  }
  const tar = path.join(root, 'tree.tar');
  const r = spawnSync('tar', ['-cf', tar, '-C', src, '.']);
  if (r.status !== 0) throw new Error(`tar -cf failed: ${r.stderr}`);
  fs.rmSync(src, { recursive: true, force: true });
  return tar;
}

function workloadArgs(tar: string, out: string): [string, string[]] {
  return ['/bin/sh', ['-c', `mkdir -p "${out}" && tar -xf "${tar}" -C "${out}" && rm -rf "${out}"`]];
}

interface TracedRun {
  ms: number;
  noticedMs: number;
  cpuMs: number | null;
  /** CPU ms of agentsight itself (collector + poll thread) during the run */
  selfCpuMs: number;
  /** CPU ms of agentsight from the workload's start until everything it produced was decoded and committed */
  selfCpuDrainedMs: number;
  /** ms from the workload's exit until everything it produced was decoded and committed (the yielded backlog) */
  drainMs: number;
  /** times the backlog sent the collector back to normal priority */
  catchups: number;
  /** ms the backlog was held back from the JS thread while the machine was busy (native/yield-policy.cc HoldDecision) */
  heldMs: number;
  /** ns spent in our BPF programs during the run (kernel.bpf_stats_enabled), null when unavailable */
  bpfNs: number | null;
  rows: number;
  opens: number;
  lost: number;
  records: number;
  /** the largest age the oldest uncommitted batch reached (what a kill -9 at the worst moment would have lost), ms */
  maxUncommittedMs: number;
}

/** Run one command as a traced child through the real capture; the capture's start-up is outside the timing. */
async function traced(dir: string, file: string, args: string[], yieldOpts: YieldOptions = {}): Promise<TracedRun> {
  const db = path.join(dir, `bench-${process.hrtime.bigint()}.db`);
  const store = createRecording(db);
  // the file, network and process groups only: TLS probes (and their discovery work at each exec) are measured by
  // their own bench
  const loadedBefore = new Set(bpfProgs()?.map((p) => p.id) ?? []);
  const runner = CaptureRunner.start(store, { mode: 'record', title: 'files-bench', allProcesses: false, groups: ['process', 'file', 'net'] });
  const names = new Set(runner.capture.programs.filter((p) => p.attached).map((p) => p.name));
  // this capture's programs: those named so that were not loaded before it started (another capture running the
  // same programs — a test, another bench — would otherwise be counted too)
  const ours = new Set((bpfProgs() ?? []).filter((p) => p.name !== undefined && names.has(p.name) && !loadedBefore.has(p.id)).map((p) => p.id));
  const before = bpfRunTime(ours);
  runner.capture.addSeed(process.pid);
  let t: Timing;
  let bpfNs: number | null = null;
  const cpu0 = process.cpuUsage();
  let selfCpuMs = 0;
  let selfCpuDrainedMs = 0;
  let drainMs = 0;
  try {
    // as `record` does: the collector yields once the command is spawned
    t = await run(file, args, (pid) => runner.capture.yieldToWorkload(true, { ...yieldOpts, untilExitOf: pid }));
    const c = process.cpuUsage(cpu0);
    selfCpuMs = (c.user + c.system) / 1000;
    const after = bpfRunTime(ours);
    if (before !== null && after !== null) bpfNs = after - before;
    const exited = process.hrtime.bigint();
    await drained(runner);
    drainMs = Number(process.hrtime.bigint() - exited) / 1e6;
    const c2 = process.cpuUsage(cpu0);
    selfCpuDrainedMs = (c2.user + c2.system) / 1000;
  } finally {
    runner.capture.removeSeed(process.pid);
    await runner.stop();
  }
  const ops = store.fileOps({ atNs: 8e18 });
  const opens = ops.filter((r) => r.op === 'open' || r.op === 'create' || r.op === 'truncate').reduce((a, r) => a + r.count, 0);
  const lost = store.lossTotals({ atNs: 8e18 }).filter((l) => !l.source.endsWith(':clipped')).reduce((a, l) => a + l.count, 0);
  const records = runner.collector.records;
  const ds = runner.capture.deliveryStats();
  const catchups = ds.yieldCatchups;
  const heldMs = ds.heldMs;
  const maxUncommittedMs = ds.maxUncommittedMs;
  store.close();
  for (const s of ['', '-wal', '-shm']) fs.rmSync(db + s, { force: true });
  return { ms: t.ms, noticedMs: t.noticedMs, cpuMs: t.cpuMs, selfCpuMs, selfCpuDrainedMs, drainMs, catchups, heldMs, bpfNs, rows: ops.length, opens, lost, records, maxUncommittedMs };
}

/**
 * Wait until the collector has applied every record the workload produced and committed it: the native queue is
 * empty and stays empty over two poll periods (records still in the kernel ring are moved within one), then a tick.
 */
async function drained(runner: CaptureRunner): Promise<void> {
  for (let quiet = 0; quiet < 2; ) {
    await new Promise((r) => setTimeout(r, 15));
    quiet = runner.capture.deliveryStats().queuedBytes === 0 ? quiet + 1 : 0;
  }
  runner.tick();
}

interface ProgInfo {
  id: number;
  name?: string;
  run_time_ns?: number;
}

function bpfProgs(): ProgInfo[] | null {
  const r = spawnSync('bpftool', ['prog', 'show', '-j'], { maxBuffer: 64 << 20 });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.toString()) as ProgInfo[];
  } catch {
    return null;
  }
}

/**
 * Total run time of the BPF programs with these ids, from the kernel's own accounting (needs
 * kernel.bpf_stats_enabled=1, which runFilesBench turns on for its duration).
 */
function bpfRunTime(ids: Set<number>): number | null {
  const progs = bpfProgs();
  if (progs === null) return null;
  return progs.filter((p) => ids.has(p.id)).reduce((a, p) => a + (p.run_time_ns ?? 0), 0);
}

function setBpfStats(on: boolean): boolean {
  try {
    const f = '/proc/sys/kernel/bpf_stats_enabled';
    const was = fs.readFileSync(f, 'utf8').trim() === '1';
    fs.writeFileSync(f, on ? '1' : '0');
    return was;
  } catch {
    return false;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One workload of the bench: how to run it, and what to do before and after each run (outside the timing). */
interface Workload {
  /** result name prefix, e.g. `files.` */
  prefix: string;
  what: string;
  /** called before every run: the command to run (fresh per-run state goes here) */
  prepare: () => [string, string[]];
  /** called after every run */
  cleanup?: () => void;
}

/**
 * Interleaved rounds of one workload — untraced, traced by agentsight, under strace — and the medians. Returns the
 * figures and the last traced run (for the row counts).
 */
async function measure(dir: string, w: Workload, hasStrace: boolean): Promise<{ results: BenchResult[]; last: TracedRun }> {
  const once = async <T>(fn: (file: string, args: string[]) => Promise<T>): Promise<T> => {
    const [file, args] = w.prepare();
    try {
      return await fn(file, args);
    } finally {
      w.cleanup?.();
    }
  };
  await once((f, a) => run(f, a)); // warm the page cache
  const baseRuns: Timing[] = [];
  const withCapture: TracedRun[] = [];
  const straceRuns: Timing[] = [];
  const beforeBound: TracedRun[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    baseRuns.push(await once((f, a) => run(f, a)));
    withCapture.push(await once((f, a) => traced(dir, f, a)));
    if (HOLD_AB) beforeBound.push(await once((f, a) => traced(dir, f, a, BEFORE_BOUND)));
    if (hasStrace) straceRuns.push(await once((f, a) => run('strace', ['-f', '-e', 'trace=file,network', '-o', '/dev/null', f, ...a])));
  }
  const P = w.prefix;
  const base = baseRuns.map((r) => r.ms);
  const withStrace = straceRuns.map((r) => r.ms);
  const b = median(base);
  const t = median(withCapture.map((r) => r.ms));
  const last = withCapture[withCapture.length - 1];
  const lost = withCapture.reduce((a, r) => a + r.lost, 0);
  const results: BenchResult[] = [
    { name: `${P}untraced_ms`, value: round(b), unit: 'ms', detail: `${w.what}, the workload's own wall time (wrapper shell), median of ${ROUNDS}: ${base.map(round).join(', ')}` },
    { name: `${P}traced_ms`, value: round(t), unit: 'ms', detail: `same under agentsight capture, median of ${ROUNDS}: ${withCapture.map((r) => round(r.ms)).join(', ')}; ${last.records} records per run, ${lost} lost in all runs` },
    { name: `${P}traced_noticed_ms`, value: round(median(withCapture.map((r) => r.noticedMs))), unit: 'ms', detail: `spawn until the recording process handled the workload's exit (its JS thread is the collector's), median: ${withCapture.map((r) => round(r.noticedMs)).join(', ')}; untraced: ${round(median(baseRuns.map((r) => r.noticedMs)))} ms` },
    { name: `${P}drain_ms`, value: round(median(withCapture.map((r) => r.drainMs))), unit: 'ms', detail: `after the workload exits, until everything it did is committed (the collector yields while it runs), median: ${withCapture.map((r) => round(r.drainMs)).join(', ')}; backlog catch-ups at normal priority: ${withCapture.map((r) => r.catchups).join(', ')}; ms the backlog was held back from JS while the machine was busy: ${withCapture.map((r) => round(r.heldMs)).join(', ')}` },
    { name: `${P}traced_ratio`, value: round(t / b, 3), unit: 'x', detail: `agentsight traced / untraced wall time (goal ≤ 1.03); per-round ratios: ${withCapture.map((r, i) => round(r.ms / base[i], 3)).join(', ')}` },
    { name: `${P}max_uncommitted_ms`, value: round(Math.max(...withCapture.map((r) => r.maxUncommittedMs))), unit: 'ms', detail: `largest age of the oldest uncommitted batch (what a kill -9 at the worst moment loses), per run: ${withCapture.map((r) => round(r.maxUncommittedMs)).join(', ')}` },
  ];
  if (beforeBound.length > 0) {
    const tb = median(beforeBound.map((r) => r.ms));
    results.push(
      { name: `${P}before_bound_ratio`, value: round(tb / b, 3), unit: 'x', detail: `traced as before the durability bound (30 s hold) / untraced wall, median ${round(tb)} ms; per round: ${beforeBound.map((r, i) => round(r.ms / base[i], 3)).join(', ')}; now / before: ${round(t / tb, 3)}` },
      { name: `${P}before_bound_max_uncommitted_ms`, value: round(Math.max(...beforeBound.map((r) => r.maxUncommittedMs))), unit: 'ms', detail: `before the bound, per run: ${beforeBound.map((r) => round(r.maxUncommittedMs)).join(', ')}; collector CPU during the run ${round(median(beforeBound.map((r) => r.selfCpuMs)))} ms (now ${round(median(withCapture.map((r) => r.selfCpuMs)))} ms)` },
    );
    if (beforeBound.every((r) => r.cpuMs !== null) && baseRuns.every((r) => r.cpuMs !== null)) {
      const bc = median(baseRuns.map((r) => r.cpuMs!));
      results.push({ name: `${P}before_bound_cpu_ratio`, value: round(median(beforeBound.map((r) => r.cpuMs!)) / bc, 3), unit: 'x', detail: `workload CPU traced as before the bound / untraced` });
    }
  }
  if (baseRuns.every((r) => r.cpuMs !== null)) {
    const bc = median(baseRuns.map((r) => r.cpuMs!));
    const tc = median(withCapture.map((r) => r.cpuMs!));
    const self = median(withCapture.map((r) => r.selfCpuMs));
    const selfAll = median(withCapture.map((r) => r.selfCpuDrainedMs));
    results.push(
      { name: `${P}untraced_cpu_ms`, value: round(bc), unit: 'ms', detail: `user+sys CPU of the workload, median of ${ROUNDS}: ${baseRuns.map((r) => round(r.cpuMs!)).join(', ')}` },
      { name: `${P}traced_cpu_ratio`, value: round(tc / bc, 3), unit: 'x', detail: `workload CPU traced / untraced (BPF time is charged to the workload): ${round(tc)} / ${round(bc)} ms` },
      { name: `${P}collector_cpu_ms`, value: round(self), unit: 'ms', detail: `agentsight's own CPU (collector, poll thread, SQLite) while the workload ran, median` },
      { name: `${P}collector_cpu_drained_ms`, value: round(selfAll), unit: 'ms', detail: `agentsight's own CPU until every record was decoded and committed, median; total CPU cost ${round(((tc - bc + selfAll) / bc) * 100)}% of the workload's` },
    );
    if (straceRuns.every((r) => r.cpuMs !== null)) {
      const sc = median(straceRuns.map((r) => r.cpuMs!));
      results.push({ name: `${P}strace_cpu_ratio`, value: round(sc / bc, 3), unit: 'x', detail: `workload + strace CPU / untraced workload CPU (a tracer's rusage includes its tracees): ${round(sc)} / ${round(bc)} ms` });
    }
  }
  const bpf = withCapture.filter((r) => r.bpfNs !== null);
  if (bpf.length > 0) {
    const perRun = median(bpf.map((r) => r.bpfNs! / 1e6));
    results.push({
      name: `${P}bpf_ms_per_run`,
      value: round(perRun),
      unit: 'ms',
      detail: `time inside agentsight's BPF programs per traced run (kernel accounting; noise-free): ${round((perRun / b) * 100)}% of the untraced wall time, ${round((perRun * 1e6) / Math.max(1, last.records) / 1000, 2)} µs per record; per run: ${bpf.map((r) => round(r.bpfNs! / 1e6)).join(', ')}`,
    });
  }
  if (hasStrace) {
    const s = median(withStrace);
    results.push(
      { name: `${P}strace_ms`, value: round(s), unit: 'ms', detail: `strace -f -e trace=file,network -o /dev/null, median of ${ROUNDS}: ${withStrace.map(round).join(', ')}` },
      { name: `${P}strace_ratio`, value: round(s / b, 3), unit: 'x', detail: 'strace / untraced wall time, same workload' },
    );
  }
  return { results, last };
}

/** the bench's groups: `tar` (the worst case: nothing but file syscalls), `npm` (an install, as agents run) */
const WORKLOADS = (process.env['AGENTSIGHT_FILES_WORKLOADS'] ?? 'tar,npm').split(',');

export async function runFilesBench(): Promise<BenchResult[]> {
  if (process.getuid?.() !== 0) throw new Error('files bench needs root (BPF)');
  const hasStrace = !NO_STRACE && spawnSync('strace', ['-V']).status === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-files-bench-'));
  // unpack into tmpfs when there is one: no disk noise, and the syscalls themselves are cheapest there, so the
  // capture's share of the time is the largest (the harsh case)
  const outRoot = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/agentsight-files-bench-') : dir;
  const statsWere = setBpfStats(true);
  try {
    const results: BenchResult[] = [];
    if (WORKLOADS.includes('tar')) {
      const tar = makeTree(dir);
      const out = path.join(outRoot, 'out');
      const { results: r, last } = await measure(dir, { prefix: 'files.', what: `tar -x + rm -rf of ${FILES} files`, prepare: () => workloadArgs(tar, out) }, hasStrace);
      results.push(...r);
      results.push({
        name: 'files.rows_per_100k_opens.distinct',
        value: Math.round((last.rows / Math.max(1, last.opens)) * 1e5),
        unit: 'rows',
        detail: `tar workload: ${last.rows} file_ops rows for ${last.opens} opens (every path distinct; each create/write/unlink is its own row)`,
      });
    }
    if (WORKLOADS.includes('npm')) results.push(...(await npmCi(dir, outRoot, hasStrace)));
    if (WORKLOADS.includes('tar')) {
      const hot = `
import os, sys
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
paths = [f'{d}/f{i}' for i in range(${HOT_PATHS})]
for p in paths: open(p, 'w').close()
for i in range(${HOT_OPENS}):
    os.close(os.open(paths[i % ${HOT_PATHS}], os.O_RDONLY))
`;
      const h = await traced(dir, PYTHON, ['-c', hot, path.join(dir, 'hot')]);
      results.push({
        name: 'files.rows_per_100k_opens.hot',
        value: Math.round((h.rows / Math.max(1, h.opens)) * 1e5),
        unit: 'rows',
        detail: `${HOT_OPENS} opens of ${HOT_PATHS} paths (+ interpreter start-up): ${h.rows} rows for ${h.opens} opens, ${h.lost} lost`,
      });
    }
    return results;
  } finally {
    if (!statsWere) setBpfStats(false);
    fs.rmSync(dir, { recursive: true, force: true });
    if (outRoot !== dir) fs.rmSync(outRoot, { recursive: true, force: true });
  }
}

/**
 * `npm ci --offline` of the local fixture (src/bench/npm-ci-fixture.ts), in tmpfs: what an agent runs. Every run starts
 * with no node_modules and a fresh empty npm cache, so every round does the same work (unpack and write every file,
 * fill the cache) — the removal of the previous run's node_modules is outside the timing.
 */
async function npmCi(dir: string, outRoot: string, hasStrace: boolean): Promise<BenchResult[]> {
  const fixture = npmCiFixture();
  const project = path.join(outRoot, 'npm-ci');
  fs.cpSync(fixture.project, project, { recursive: true });
  let cache = '';
  const { results, last } = await measure(
    dir,
    {
      prefix: 'files.npm_ci.',
      what: `npm ci --offline of ${fixture.packages} local packages (${fixture.files} files)`,
      prepare: () => {
        fs.rmSync(path.join(project, 'node_modules'), { recursive: true, force: true });
        cache = fs.mkdtempSync(path.join(outRoot, 'npm-cache-'));
        return ['npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error', '--cache', cache, '--prefix', project]];
      },
      cleanup: () => {
        const installed = countFiles(path.join(project, 'node_modules'));
        fs.rmSync(cache, { recursive: true, force: true });
        // a run that installed less than the fixture did not do the work being measured
        if (installed < fixture.files) throw new Error(`npm ci installed ${installed} of ${fixture.files} files`);
      },
    },
    hasStrace,
  );
  results.push({
    name: 'files.npm_ci.rows_per_100k_opens',
    value: Math.round((last.rows / Math.max(1, last.opens)) * 1e5),
    unit: 'rows',
    detail: `npm ci: ${last.rows} file_ops rows for ${last.opens} opens`,
  });
  return results;
}

function countFiles(dir: string): number {
  let n = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n++;
  return n;
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (require.main === module) {
  runFilesBench().then(
    (r) => {
      for (const x of r) console.log(`${x.name.padEnd(38)} ${String(x.value).padStart(10)} ${x.unit.padEnd(5)} ${x.detail}`);
    },
    (err) => {
      console.error(`files bench: ${(err as Error).message}`);
      process.exitCode = 1;
    },
  );
}
