/**
 * Exec → TLS probes attached, for a binary first seen (empty discovery cache: full analysis) and a known one (cache
 * filled: a stat-keyed lookup), quiet and with both cores kept busy by spinning processes; with the exec hold (the
 * process waits, stopped, for that long: docs/architecture.md) and without it (the process runs meanwhile: the window
 * in which its TLS calls were missed). The binary is Codex's native build (315 MB, no build-id: the fingerprint path),
 * started by sh under `agentsight record`, `codex --version` (no network). Figures come from the recording: the exec
 * row's time and the tls_targets row's time (written right after the uprobes are attached), and meta exec_hold.
 * AGENTSIGHT_BENCH_EXECS sets the number of execs per case (default 20).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { discoverTls } from '../collector/tls/discovery';
import { PACKAGE_ROOT } from '../native/addon';
import type { BenchResult } from './types';

interface Sample {
  attachMs: number;
  heldMs: number | null;
  /** Let go by the guard before the probes were in. */
  timedOut: boolean;
}

function codexBinary(): string {
  const out = spawnSync('sh', [path.join(PACKAGE_ROOT, 'scripts', 'install-agents.sh')], { encoding: 'utf8', env: { ...process.env, AGENTSIGHT_AGENTS: 'codex' } });
  const line = out.stdout.split('\n').find((l) => l.startsWith('codex\t'));
  if (!line) throw new Error(`no codex binary: ${out.stderr.trim()}`);
  return fs.realpathSync(line.split('\t')[1]!);
}

function once(bin: string, cacheDir: string, hold: boolean, dir: string): Sample {
  const db = path.join(dir, `r-${process.hrtime.bigint()}.db`);
  const r = spawnSync(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'agentsight'), 'record', '-q', '--db', db, '--', 'sh', '-c', `${bin} --version >/dev/null`], {
    env: { ...process.env, AGENTSIGHT_TLS_CACHE_DIR: cacheDir, AGENTSIGHT_EXEC_HOLD: hold ? '1' : '0' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`record failed: ${r.stderr}`);
  const d = new Database(db, { readonly: true });
  try {
    const exec = d.prepare('SELECT MIN(ts_ns) AS ts FROM execs WHERE filename = ?').get(bin) as { ts: number | null };
    const target = d.prepare("SELECT ts_ns AS ts FROM tls_targets WHERE path = ? AND status = 'attached'").get(bin) as { ts: number } | undefined;
    if (exec.ts === null || !target) throw new Error('no exec or no attached target in the recording');
    const meta = d.prepare("SELECT value FROM meta WHERE key = 'exec_hold'").get() as { value: string } | undefined;
    const held = meta ? (JSON.parse(meta.value) as { held: number; maxMs: number; timeouts: number }) : null;
    return { attachMs: (target.ts - exec.ts) / 1e6, heldMs: held && held.held > 0 ? held.maxMs : null, timedOut: (held?.timeouts ?? 0) > 0 };
  } finally {
    d.close();
    for (const s of ['', '-wal', '-shm']) fs.rmSync(db + s, { force: true });
  }
}

function stats(xs: number[]): { median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? NaN, max: s[s.length - 1] ?? NaN };
}

export async function runExecHoldBench(): Promise<BenchResult[]> {
  const n = Number(process.env.AGENTSIGHT_BENCH_EXECS ?? 20);
  const bin = codexBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-holdbench-'));
  const known = path.join(dir, 'known-cache');
  discoverTls(bin, { cacheDir: known });
  const out: BenchResult[] = [];
  try {
    for (const busy of [false, true]) {
      let spinners: ChildProcess[] = [];
      if (busy) spinners = [0, 1].map(() => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
      const load = os.loadavg()[0]!.toFixed(1);
      try {
        for (const [kind, hold] of [['first-seen', true], ['known', true], ['first-seen', false], ['known', false]] as const) {
          const samples: Sample[] = [];
          // interleaved with nothing else: each case's execs one after another, a fresh cache for every first-seen one
          for (let i = 0; i < n; i++) samples.push(once(bin, kind === 'known' ? known : fs.mkdtempSync(path.join(dir, 'c-')), hold, dir));
          const a = stats(samples.map((s) => s.attachMs));
          const where = `${busy ? 'both cores busy' : 'no added load'}, load average ${load} at start`;
          out.push({ name: `exec → probes, ${kind}, hold ${hold ? 'on' : 'off'}, ${busy ? 'busy' : 'quiet'} (median)`, value: Math.round(a.median), unit: 'ms', detail: `max ${Math.round(a.max)} ms over ${n} execs of codex (${where})` });
          if (hold) {
            const h = stats(samples.map((s) => s.heldMs ?? 0));
            const timedOut = samples.filter((s) => s.timedOut).length;
            const notHeld = samples.filter((s) => s.heldMs === null && !s.timedOut).length;
            out.push({ name: `exec held, ${kind}, ${busy ? 'busy' : 'quiet'} (median)`, value: Math.round(h.median), unit: 'ms', detail: `max ${Math.round(h.max)} ms over ${n} execs; ${timedOut} let go at the bound, ${notHeld} not held (${where})` });
          }
        }
      } finally {
        for (const s of spinners) s.kill('SIGKILL');
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
