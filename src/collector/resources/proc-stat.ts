/** CPU time and resident memory of a process from /proc/<pid>/stat and statm. Pure parsing plus one read each. */
import fs from 'node:fs';

/** USER_HZ: /proc times are in clock ticks of 1/100 s on every Linux ABI agentsight runs on. */
export const CLOCK_TICKS = 100;
const PAGE_KB = 4; // x86-64 and arm64 with 4 KiB pages; statm counts pages

export interface ProcSample {
  /** utime + stime, ticks */
  cpuTicks: number;
  /** start time, ticks since boot (identity with the pid) */
  startTicks: number;
  rssKb: number;
}

/** Parse /proc/<pid>/stat text (comm may contain spaces and parentheses). */
export function parseStat(text: string): { cpuTicks: number; startTicks: number } | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).split(' ');
  // fields after comm: state(0) ppid(1) ... utime(11) stime(12) ... starttime(19)
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const start = Number(f[19]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(start)) return null;
  return { cpuTicks: utime + stime, startTicks: start };
}

export function readProcSample(pid: number): ProcSample | null {
  try {
    const st = parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    if (!st) return null;
    const statm = fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return { ...st, rssKb: Number(statm[1]) * PAGE_KB };
  } catch {
    return null; // exited between listing and reading
  }
}

/** CPU% over an interval (100 = one core busy). 0 for an empty or negative interval. */
export function cpuPercent(ticksDelta: number, intervalNs: number): number {
  if (intervalNs <= 0 || ticksDelta <= 0) return 0;
  return ((ticksDelta / CLOCK_TICKS) * 1e9 * 100) / intervalNs;
}
