/**
 * `top` on the 1M-event fixture recording (50 sessions, 10k LLM calls; src/fixtures/generate-db.ts, cached in
 * $TMPDIR/agentsight-fixtures): goals from issue 6.
 * - `top --db FILE --once` wall time, as a user runs it (the built command, stdout to a pipe): median of 15.
 * - scrubber seek: DataSource.loadAll at random moments (every query a seek makes), median and p95 of 30.
 * - frame build + render: buildFrame + blessed setContent + screen.render into a 120x40 in-memory terminal while
 *   the cursor walks the list and the scrubber moves; median of 300 frames.
 * - CPU of an idle `top` and of a 16x replay: the real CLI in a tmux terminal, utime+stime from /proc over 10 s.
 * - RSS of that process (VmHWM).
 *
 * Run alone: `node dist/bench/tui-bench.js`. Exported for the bench runner: runTuiBench().
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { cachedFixtureDb } from '../fixtures/generate-db';
import { openRecording } from '../store';
import { DataSource } from '../tui/app/data-source';
import { buildFrame } from '../tui/app/frame';
import { initialState } from '../tui/app/view-state';
import { recordingSpan } from '../tui/once-report';
import { clockTicksPerSecond, cpuTicks, rssKb, startTopInTmux } from './tmux-top';
import type { BenchResult } from './types';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'agentsight');
const FIXTURE = { sessions: 50, events: 1_000_000, llmCalls: 10_000, seed: 1 };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** Deterministic pseudo-random moments, so runs compare. */
function moments(n: number, start: number, end: number): number[] {
  let a = 12345;
  return Array.from({ length: n }, () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return start + (a / 2147483648) * (end - start);
  });
}

/**
 * Wall and CPU (user+sys) ms of `top --db --once` runs. CPU is reported too because on a shared machine wall time
 * mostly measures the queue for a core; bash's `time` gives the child's CPU.
 */
function onceRuns(db: string): Array<{ wall: number; cpu: number }> {
  const runs: Array<{ wall: number; cpu: number }> = [];
  for (let i = 0; i < 16; i++) {
    // The command as a user types it (bin/agentsight through its #! line, with this node first on PATH).
    const r = spawnSync('bash', ['-c', `TIMEFORMAT='%R %U %S'; time "$0" top --db "$1" --once > /dev/null`, BIN, db], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC', NO_COLOR: '1', PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}` },
    });
    if (r.status !== 0) throw new Error(`top --once failed: ${r.stderr}`);
    const [real, user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    if (i > 0) runs.push({ wall: real * 1000, cpu: (user + sys) * 1000 }); // the first run warms the page cache
  }
  return runs;
}

function seeks(db: string): { wall: number[]; cpu: number[] } {
  const store = openRecording(db);
  try {
    const { startNs, endNs } = recordingSpan(store.info());
    const st = initialState(startNs, endNs, false);
    const ds = new DataSource(store, undefined, startNs, endNs);
    ds.loadTimeline(startNs, endNs);
    ds.loadAll(st);
    const wall: number[] = [];
    const cpu: number[] = [];
    for (const at of moments(30, startNs, endNs)) {
      st.atNs = at;
      const c = process.cpuUsage();
      const t = performance.now();
      ds.loadAll(st);
      wall.push(performance.now() - t);
      const d = process.cpuUsage(c);
      cpu.push((d.user + d.system) / 1000);
    }
    return { wall, cpu };
  } finally {
    store.close();
  }
}

function frames(db: string): { wall: number[]; cpu: number[] } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const blessed = require('blessed') as typeof import('blessed');
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 120, rows: 40 });
  output.resume();
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
  const screen = blessed.screen({ input: input as never, output: output as never, terminal: 'xterm-256color', warnings: false, fullUnicode: true, smartCSR: true });
  const box = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: '100%', tags: true });
  const store = openRecording(db);
  try {
    const { startNs, endNs } = recordingSpan(store.info());
    const st = initialState(startNs, endNs, false);
    const ds = new DataSource(store, undefined, startNs, endNs);
    ds.loadTimeline(startNs, endNs);
    ds.loadAll(st);
    const wall: number[] = [];
    const cpu: number[] = [];
    const fo = { color: true, ascii: false, utc: true, plain: false };
    for (let i = 0; i < 300; i++) {
      // What changes between frames without a data load: cursors and focus (seeks are measured above).
      st.focus = (['processes', 'prompts', 'files', 'network'] as const)[i % 4];
      st.cursor[st.focus] = i;
      const c = process.cpuUsage();
      const t = performance.now();
      const f = buildFrame(st, ds.view, 120, 40, fo);
      box.setContent(f.tagged.join('\n'));
      screen.render();
      wall.push(performance.now() - t);
      const d = process.cpuUsage(c);
      cpu.push((d.user + d.system) / 1000);
    }
    return { wall, cpu };
  } finally {
    store.close();
    screen.destroy();
  }
}

async function interactive(db: string): Promise<{ idle: number; play16: number; rss: number; hwm: number }> {
  const top = await startTopInTmux(BIN, `--db ${db}`, 20_000);
  try {
    const pid = top.pid;
    const hz = clockTicksPerSecond();
    const sample = async (ms: number) => {
      const c0 = cpuTicks(pid);
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, ms));
      return ((cpuTicks(pid) - c0) / hz / ((Date.now() - t0) / 1000)) * 100;
    };
    await new Promise((r) => setTimeout(r, 1000));
    const idle = await sample(10_000);
    top.keys('0', '+', '+', 'Space');
    await new Promise((r) => setTimeout(r, 1000));
    const play16 = await sample(10_000);
    const rss = rssKb(pid, 'VmRSS');
    const hwm = rssKb(pid, 'VmHWM');
    top.keys('q');
    return { idle, play16, rss, hwm };
  } finally {
    top.close();
  }
}

export async function runTuiBench(): Promise<BenchResult[]> {
  const db = cachedFixtureDb(FIXTURE);
  const what = `fixture ${FIXTURE.sessions} sessions, ${FIXTURE.events.toLocaleString('en')} events, ${FIXTURE.llmCalls.toLocaleString('en')} LLM calls`;
  const res: BenchResult[] = [];
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  const once = onceRuns(db);
  res.push({
    name: 'top --db --once wall', value: round(median(once.map((r) => r.wall)), 0), unit: 'ms',
    detail: `median of ${once.length} runs of the built CLI (node start-up included), stdout to a pipe; CPU user+sys median ${round(median(once.map((r) => r.cpu)), 0)} ms; load average ${load}; goal ≤ 300 ms; ${what}`,
  });
  const s = seeks(db);
  res.push({
    name: 'scrubber seek', value: round(median(s.wall)), unit: 'ms',
    detail: `median of ${s.wall.length} seeks (every query of one seek), p95 ${round(pct(s.wall, 0.95))} ms, CPU median ${round(median(s.cpu))} ms; goal ≤ 50 ms`,
  });
  const f = frames(db);
  res.push({
    name: 'frame build+render', value: round(median(f.wall), 2), unit: 'ms',
    detail: `median of ${f.wall.length} frames at 120x40 (buildFrame + blessed render), p95 ${round(pct(f.wall, 0.95), 2)} ms, CPU median ${round(median(f.cpu), 2)} ms; goal ≤ 16 ms`,
  });
  const i = await interactive(db);
  res.push({ name: 'CPU idle top', value: round(i.idle, 2), unit: '% of a core', detail: 'replay paused, 10 s of utime+stime from /proc; goal ≤ 1%' });
  res.push({ name: 'CPU replay 16x', value: round(i.play16, 2), unit: '% of a core', detail: 'playing at 16x, 10 s of utime+stime from /proc; goal ≤ 5%' });
  res.push({ name: 'top RSS', value: Math.round(i.hwm / 1024), unit: 'MiB', detail: `peak (VmHWM) of the interactive top after idle + 16x replay; VmRSS ${Math.round(i.rss / 1024)} MiB` });
  return res;
}

if (require.main === module) {
  runTuiBench().then(
    (rs) => {
      for (const r of rs) console.log(`${r.name}: ${r.value} ${r.unit}  (${r.detail})`);
    },
    (err) => {
      console.error(`tui bench failed: ${(err as Error).message}`);
      process.exitCode = 1;
    },
  );
}
