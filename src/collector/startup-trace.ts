/**
 * `AGENTSIGHT_TRACE_STARTUP=1`: where `record`'s start-up goes. Each phase marks its end; at the end of `record` a
 * table of phases (ms since the process started, and each phase's own share) goes to stderr. Off, a mark costs one
 * boolean test. Benchmarks take their figures from outside (src/bench/startup-bench.ts); this table says which part
 * of a figure is which.
 */
import { performance } from 'node:perf_hooks';

const enabled = process.env['AGENTSIGHT_TRACE_STARTUP'] === '1';
const marks: Array<{ phase: string; atMs: number }> = [];

/** The phase that just ended (performance.now(): ms since this process started). */
export function startupMark(phase: string): void {
  if (enabled) marks.push({ phase, atMs: performance.now() });
}

/** True when the table is wanted: callers skip work done only to name a phase. */
export function startupTracing(): boolean {
  return enabled;
}

/** The phase table on stderr, once; nothing unless AGENTSIGHT_TRACE_STARTUP=1. */
export function printStartupTrace(): void {
  if (!enabled || marks.length === 0) return;
  const rows = marks.splice(0);
  const width = Math.max(...rows.map((r) => r.phase.length));
  const lines = ['agentsight: start-up phases (ms since the process started | the phase itself)'];
  let prev = 0;
  for (const r of rows) {
    lines.push(`  ${r.phase.padEnd(width)}  ${r.atMs.toFixed(1).padStart(8)}  ${(r.atMs - prev).toFixed(1).padStart(7)}`);
    prev = r.atMs;
  }
  process.stderr.write(lines.join('\n') + '\n');
}
