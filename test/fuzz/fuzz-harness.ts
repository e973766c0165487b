import { startHangWatchdog } from './hang-watchdog';

/**
 * Seeded mutation fuzzing. Each run prints its seed; set FUZZ_SEED to replay a failure exactly, FUZZ_ITERATIONS
 * to change the count (default 100 000 per decoder) and FUZZ_SECONDS to change the time cap per decoder. One input
 * running longer than FUZZ_HANG_SECONDS (default 60) kills the test process with the seed on stderr (hang-watchdog.ts).
 */

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzConfig {
  seed: number;
  iterations: number;
  seconds: number;
  hangSeconds: number;
}

export function fuzzConfig(): FuzzConfig {
  return {
    seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : (Date.now() % 2 ** 31) >>> 0,
    iterations: Number(process.env.FUZZ_ITERATIONS ?? 100_000),
    // CI must reach the full count per decoder (issue 5: ≥ 100k mutated inputs each); give it room on a loaded machine.
    seconds: Number(process.env.FUZZ_SECONDS ?? (process.env.CI ? 100 : 25)),
    hangSeconds: Number(process.env.FUZZ_HANG_SECONDS ?? 60),
  };
}

const INTERESTING = [0x00, 0x0a, 0x0d, 0x20, 0x3a, 0x7f, 0x80, 0xff, 0x30, 0x39, 0x22, 0x7b, 0x7d];

/** Applies 1–4 random mutations: bit flips, interesting bytes, inserts, deletes, duplication, splices. */
export function mutate(rnd: () => number, input: Uint8Array, other: Uint8Array): Uint8Array {
  let b = Buffer.from(input);
  const n = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < n; k++) {
    const pos = Math.floor(rnd() * (b.length + 1));
    switch (Math.floor(rnd() * 8)) {
      case 0:
        if (b.length) b[Math.min(pos, b.length - 1)]! ^= 1 << Math.floor(rnd() * 8);
        break;
      case 1:
        if (b.length) b[Math.min(pos, b.length - 1)] = INTERESTING[Math.floor(rnd() * INTERESTING.length)]!;
        break;
      case 2: {
        const len = Math.floor(rnd() * 16);
        b = Buffer.concat([b.subarray(0, pos), Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256))), b.subarray(pos)]);
        break;
      }
      case 3: {
        const len = Math.floor(rnd() * 64);
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + len)]);
        break;
      }
      case 4: {
        const len = Math.floor(rnd() * 128);
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos, pos + len), b.subarray(pos)]);
        break;
      }
      case 5: {
        const from = Math.floor(rnd() * other.length);
        const len = Math.floor(rnd() * 256);
        b = Buffer.concat([b.subarray(0, pos), Buffer.from(other.subarray(from, from + len)), b.subarray(pos)]);
        break;
      }
      case 6:
        b = b.subarray(0, pos);
        break;
      default:
        // Big-endian length-looking numbers: stress frame and chunk-size fields.
        if (b.length >= 3) {
          const p = Math.min(pos, b.length - 3);
          b[p] = Math.floor(rnd() * 256);
          b[p + 1] = 0xff;
          b[p + 2] = Math.floor(rnd() * 256);
        }
    }
  }
  return b;
}

/** Splits bytes into random chunk sizes (1 byte to whole). */
export function randomSplit(rnd: () => number, b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  // Byte-by-byte only for short inputs: it is the slowest mode and long inputs add nothing to it.
  const mode = b.length > 2048 ? 0.03 + rnd() * 0.97 : rnd();
  for (let i = 0; i < b.length; ) {
    const size = mode < 0.03 ? 1 : mode < 0.25 ? 1 + Math.floor(rnd() * 32) : 1 + Math.floor(rnd() * 4096);
    out.push(b.subarray(i, i + size));
    i += size;
  }
  return out;
}

export interface FuzzStats {
  inputs: number;
  maxInputMs: number;
  seconds: number;
}

/** Runs `one(rnd, i)` until the iteration count or the time cap; rethrows with the seed on failure. */
export function runFuzz(name: string, cfg: FuzzConfig, one: (rnd: () => number, i: number) => void): FuzzStats {
  const rnd = mulberry32(cfg.seed);
  // Decoders throw and catch internally on garbage (zlib, fzstd, HPACK); under vitest every stack capture goes
  // through source maps and dominates the run. Stacks are off unless FUZZ_STACKS=1 (use it when replaying a seed).
  const stackLimit = Error.stackTraceLimit;
  if (!process.env.FUZZ_STACKS) Error.stackTraceLimit = 0;
  const watchdog = startHangWatchdog(name, cfg.seed, cfg.hangSeconds * 1000);
  const t0 = performance.now();
  let maxInputMs = 0;
  let i = 0;
  try {
    for (; i < cfg.iterations; i++) {
      if ((i & 255) === 0 && performance.now() - t0 > cfg.seconds * 1000) break;
      watchdog.beat(i);
      const s = performance.now();
      try {
        one(rnd, i);
      } catch (err) {
        Error.stackTraceLimit = stackLimit;
        throw new Error(`fuzz ${name}: input ${i} failed with seed FUZZ_SEED=${cfg.seed} (replay with FUZZ_STACKS=1 for stacks): ${(err as Error).message}`);
      }
      const ms = performance.now() - s;
      if (ms > maxInputMs) maxInputMs = ms;
    }
  } finally {
    watchdog.stop();
    Error.stackTraceLimit = stackLimit;
  }
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`fuzz ${name}: ${i} inputs in ${seconds.toFixed(1)} s, slowest input ${maxInputMs.toFixed(1)} ms, seed ${cfg.seed}\n`);
  return { inputs: i, maxInputMs, seconds };
}
