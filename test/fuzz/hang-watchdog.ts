/**
 * A watchdog for synchronous loops that may hang (fuzz targets). A hang inside a decoder never returns to the event
 * loop, so vitest's timeouts cannot fire and the whole suite stalls until CI's limit (it happened: fzstd looped forever
 * on one input). This watchdog runs on its own thread: the loop beats with the index of the input it starts; when one
 * input runs longer than the limit, the watchdog writes which one (with the seed that replays it) to stderr and
 * SIGKILLs the process — the test file fails at once instead of the suite hanging.
 */
import { Worker } from 'node:worker_threads';

export interface HangWatchdog {
  /** Called before each input: `index` is the input about to run. */
  beat(index: number): void;
  stop(): void;
}

// Plain JS run on the watchdog thread. Shared slots: [0] = index of the running input + 1, [1] = beats so far.
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const slots = new Int32Array(workerData.buffer);
let lastBeat = -1;
let since = Date.now();
setInterval(() => {
  const beat = Atomics.load(slots, 1);
  if (beat !== lastBeat) { lastBeat = beat; since = Date.now(); return; }
  if (Date.now() - since < workerData.limitMs) return;
  const input = Atomics.load(slots, 0) - 1;
  writeSync(2, '\\nfuzz ' + workerData.name + ': input ' + input + ' has run for ' + Math.round((Date.now() - since) / 1000) +
    ' s (hang): replay with FUZZ_SEED=' + workerData.seed + '; killing the test process\\n');
  process.kill(process.pid, 'SIGKILL');
}, Math.min(1000, workerData.limitMs / 4));
`;

export function startHangWatchdog(name: string, seed: number, limitMs: number): HangWatchdog {
  const buffer = new SharedArrayBuffer(8);
  const slots = new Int32Array(buffer);
  const worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { buffer, name, seed, limitMs } });
  // The watchdog must never keep a finished test process alive.
  worker.unref();
  return {
    beat(index: number): void {
      Atomics.store(slots, 0, index + 1);
      Atomics.add(slots, 1, 1);
    },
    stop(): void {
      void worker.terminate();
    },
  };
}
