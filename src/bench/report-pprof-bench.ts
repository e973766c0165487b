/**
 * `report pprof` on the 1M-event fixture recording (50 sessions, 10k LLM calls, the same cached file as the TUI
 * bench; src/fixtures/generate-db.ts): goal from issue 19, under 2 s. The built command as a user runs it, for each
 * output format and for the files view (which also reads causal links and file operations): wall and CPU
 * (user+sys, from bash's `time`) of 5 runs after a warm-up run, median.
 *
 * Run alone: `node dist/bench/report-pprof-bench.js`. Exported for the bench runner: runReportPprofBench().
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedFixtureDb } from '../fixtures/generate-db';
import type { BenchResult } from './types';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'agentsight');
const FIXTURE = { sessions: 50, events: 1_000_000, llmCalls: 10_000, seed: 1 };
const RUNS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `agentsight report ARGS --db DB` runs: wall and CPU ms each, the first (page-cache warm-up) left out. */
function runs(db: string, args: string[]): Array<{ wall: number; cpu: number }> {
  const res: Array<{ wall: number; cpu: number }> = [];
  for (let i = 0; i <= RUNS; i++) {
    const r = spawnSync('bash', ['-c', `TIMEFORMAT='%R %U %S'; time "$0" report --db "$1" "\${@:2}" > /dev/null`, BIN, db, ...args], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC', NO_COLOR: '1', PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}` },
    });
    if (r.status !== 0) throw new Error(`report ${args.join(' ')} failed: ${r.stderr}`);
    const [real, user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    if (i > 0) res.push({ wall: real * 1000, cpu: (user + sys) * 1000 }); // the first run warms the page cache
  }
  return res;
}

export async function runReportPprofBench(): Promise<BenchResult[]> {
  const db = cachedFixtureDb(FIXTURE);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-pprof-bench-'));
  const load = os.loadavg()[0].toFixed(1);
  const out: BenchResult[] = [];
  // The baseline: `report token` reads the same LLM calls and prints a table; on a loaded machine both slow alike.
  const base = runs(db, ['token']);
  const baseWall = Math.round(median(base.map((x) => x.wall)));
  out.push({ name: 'report token (baseline), 1M-event fixture', value: baseWall, unit: 'ms wall', detail: `median of ${RUNS}; CPU ${Math.round(median(base.map((x) => x.cpu)))} ms; load ${load}` });
  try {
    for (const [name, file, extra] of [
      ['pb.gz', 'p.pb.gz', []],
      ['svg', 'p.svg', []],
      ['folded', 'p.folded', []],
      ['json', 'p.json', []],
      ['pb.gz --view files', 'f.pb.gz', ['--view', 'files']],
    ] as Array<[string, string, string[]]>) {
      const r = runs(db, ['pprof', '-o', path.join(dir, file), ...extra]);
      const size = fs.statSync(path.join(dir, file)).size;
      out.push({
        name: `report pprof ${name}, 1M-event fixture`,
        value: Math.round(median(r.map((x) => x.wall))),
        unit: 'ms wall',
        detail: `median of ${RUNS}; CPU ${Math.round(median(r.map((x) => x.cpu)))} ms; ${(median(r.map((x) => x.wall)) / baseWall).toFixed(2)}× report token; output ${(size / 1024).toFixed(0)} KiB; load ${load}; goal < 2000 ms`,
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (require.main === module) {
  void runReportPprofBench().then((rs) => {
    for (const r of rs) console.log(`${r.name}: ${r.value} ${r.unit} (${r.detail})`);
  });
}
