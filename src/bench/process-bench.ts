/**
 * Process-capture benchmarks (issue 2):
 * 1. end-to-end events/s from the kernel to rows committed in SQLite, through the real ring, native batches, decoder,
 *    process model and store — driven by bench.bpf.c, which turns each getppid(2) of a traced process into one exec
 *    record (one execs row);
 * 2. the exec-path overhead users pay: a 5,000-process shell loop timed inside the shell, plain vs. under record.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureRunner } from '../collector/capture-runner';
import { createRecording, openRecording } from '../store';
import { PACKAGE_ROOT } from '../native/addon';
import type { BenchResult } from './types';

const WORKLOAD_C = `#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) { long n = atol(argv[1]); for (long i = 0; i < n; i++) syscall(SYS_getppid); return 0; }
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function eventsPerSecond(tmp: string, events: number): Promise<BenchResult[]> {
  const src = path.join(tmp, 'getppid.c');
  const bin = path.join(tmp, 'getppid');
  fs.writeFileSync(src, WORKLOAD_C);
  execFileSync('cc', ['-O2', '-o', bin, src]);
  const db = path.join(tmp, 'events.db');
  const store = createRecording(db);
  const runner = CaptureRunner.start(store, {
    mode: 'record',
    allProcesses: false,
    groups: ['process', 'bench'],
    eventRingBytes: 64 << 20,
  });
  runner.capture.addSeed(process.pid);
  const cpu0 = jsThreadCpuNs();
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const c = spawn(bin, [String(events)], { stdio: 'ignore' });
    c.on('exit', () => resolve());
    c.on('error', reject);
  });
  const producedNs = Number(process.hrtime.bigint() - t0);
  // Everything the workload produced is in the ring or already decoded; stop() drains, decodes and commits it all.
  runner.capture.removeSeed(process.pid);
  await runner.stop();
  const t1 = process.hrtime.bigint();
  const jsCpuNs = jsThreadCpuNs() - cpu0;
  const totalNs = Number(t1 - t0);
  store.close();
  const rec = openRecording(db);
  // Every field of every row, not only the count: bench.bpf.c emits exe "/bench", cwd "/", argv ["/", "bench"].
  const benchRows = rec.execs({}).filter((e) => e.filename === '/bench');
  const rows = benchRows.filter(
    (e, i) => e.cwd === '/' && e.ret === 0 && e.argv.length === 2 && e.argv[0] === '/' && e.argv[1] === 'bench' &&
      e.processId === benchRows[0]!.processId && (i === 0 || e.tsNs >= benchRows[i - 1]!.tsNs),
  ).length;
  const lost = rec.lossTotals().filter((l) => !l.source.endsWith(':clipped')).reduce((a, l) => a + l.count, 0);
  rec.close();
  return [
    {
      name: 'process events, kernel → SQLite rows',
      value: Math.round(rows / (totalNs / 1e9)),
      unit: 'events/s',
      detail: `${rows.toLocaleString('en')} of ${events.toLocaleString('en')} events committed as rows, every field checked, in ${(totalNs / 1e9).toFixed(2)} s ` +
        `(producer finished after ${(producedNs / 1e9).toFixed(2)} s); ${lost} lost; 64 MiB ring, 10 ms poll, 64 KiB wakeup`,
    },
    { name: 'process events lost at that rate', value: lost, unit: 'events', detail: 'ring reservations failed + JS queue drops' },
    {
      name: 'collector JS-thread CPU per event',
      value: Number((jsCpuNs / 1e3 / events).toFixed(2)),
      unit: 'µs',
      detail: `decode, process model and SQLite writes run on this thread: ${Math.round(events / (jsCpuNs / 1e9)).toLocaleString('en')} events/s ` +
        'when it has a core to itself (less noisy than wall time on a shared machine; 10 ms tick resolution)',
    },
  ];
}

/** CPU time (user + system) of the JS thread so far, from /proc (clock ticks of 10 ms). */
function jsThreadCpuNs(): number {
  const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 1e7;
}

function loopNs(cmd: string[], n: number, tmp: string): number {
  const outFile = path.join(tmp, 'loop-ns');
  const script = `s=$(date +%s%N); for i in $(seq ${n}); do /bin/true; done; e=$(date +%s%N); echo $((e-s)) > ${outFile}`;
  const argv = [...cmd, 'bash', '-c', script];
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ns = Number(fs.readFileSync(outFile, 'utf8').trim());
  if (!Number.isFinite(ns) || ns <= 0) throw new Error(`loop timing failed: ${r.stderr}`);
  return ns;
}

function execOverhead(tmp: string, n: number, runs: number): BenchResult[] {
  const cli = path.join(PACKAGE_ROOT, 'bin', 'agentsight');
  const plain: number[] = [];
  const traced: number[] = [];
  for (let i = 0; i < runs; i++) {
    plain.push(loopNs([], n, tmp));
    const db = path.join(tmp, `loop-${i}.db`);
    traced.push(loopNs([process.execPath, cli, 'record', '--quiet', '--db', db, '--'], n, tmp));
  }
  const p = median(plain);
  const t = median(traced);
  return [
    {
      name: `${n.toLocaleString('en')}-process shell loop, under record vs plain`,
      value: Number((t / p).toFixed(3)),
      unit: '× wall time',
      detail: `median of ${runs}: plain ${(p / 1e9).toFixed(2)} s, under record ${(t / 1e9).toFixed(2)} s ` +
        `(loop timed inside bash, so record's start-up and finalisation are excluded)`,
    },
  ];
}

export async function runProcessBench(): Promise<BenchResult[]> {
  if (process.geteuid?.() !== 0) throw new Error('process benchmarks need root');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'as-bench-'));
  try {
    return [...(await eventsPerSecond(tmp, 1_000_000)), ...execOverhead(tmp, 5000, 3)];
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
