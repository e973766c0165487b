/**
 * Retention of the monitor's weekly recordings: whole weeks older than the age limit go first, then the oldest weeks
 * until every user's files together fit the size limit. The recordings being written are never removed. Each removal
 * is said on stderr (the service's journal) with what it freed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SIDECARS } from '../store';
import { weekStartMs } from './iso-week';
import { weekOfFileName } from './monitor-paths';

export interface RetentionPolicy {
  /** Weeks that ended more than this long ago are removed. */
  maxAgeDays: number;
  /** All users' recordings together; the oldest weeks go first. */
  maxBytes: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { maxAgeDays: 90, maxBytes: 4 * 1024 ** 3 };

interface WeekFile {
  path: string;
  /** Monday 00:00 UTC of its week. */
  weekMs: number;
  /** 1 for NAME.db, n for NAME-n.db (a restart within the week). */
  segment: number;
  bytes: number;
}

/** The monitor's recordings under DIR/<uid>/, with sidecars counted in their size. */
export function monitorRecordings(dir: string): WeekFile[] {
  const out: WeekFile[] = [];
  for (const u of safeReaddir(dir)) {
    if (!/^\d+$/.test(u)) continue;
    const ud = path.join(dir, u);
    for (const name of safeReaddir(ud)) {
      const w = weekOfFileName(name);
      if (!w) continue;
      const p = path.join(ud, name);
      let bytes = 0;
      for (const s of ['', ...SIDECARS]) {
        try {
          const st = fs.lstatSync(p + s);
          if (st.isFile()) bytes += st.size;
        } catch {
          // no such sidecar
        }
      }
      out.push({ path: p, weekMs: mondayOf(w.year, w.week), segment: Number(/-(\d+)\.db$/.exec(name.slice(16))?.[1] ?? 1), bytes });
    }
  }
  return out.sort((a, b) => a.weekMs - b.weekMs || a.segment - b.segment || a.path.localeCompare(b.path));
}

/** Remove what the policy says; returns the removed files and the bytes freed. */
export function prune(dir: string, nowMs: number, policy: RetentionPolicy, inUse: ReadonlySet<string>): { removed: string[]; bytes: number } {
  const files = monitorRecordings(dir);
  const removed: string[] = [];
  let freed = 0;
  const week = 7 * 86_400_000;
  let total = files.reduce((a, f) => a + f.bytes, 0);
  for (const f of files) {
    if (inUse.has(f.path)) continue;
    const tooOld = f.weekMs + week < nowMs - policy.maxAgeDays * 86_400_000;
    if (!tooOld && total <= policy.maxBytes) continue;
    // DIR/<uid> is root's: nobody can have swapped these names for links to something else.
    for (const s of ['', ...SIDECARS]) fs.rmSync(f.path + s, { force: true });
    removed.push(f.path);
    freed += f.bytes;
    total -= f.bytes;
  }
  return { removed, bytes: freed };
}

/** Monday 00:00 UTC of ISO week `week` of `year`. */
export function mondayOf(year: number, week: number): number {
  const jan4 = Date.UTC(year, 0, 4); // always in week 1
  return weekStartMs(jan4) + (week - 1) * 7 * 86_400_000;
}

function safeReaddir(d: string): string[] {
  try {
    return fs.readdirSync(d);
  } catch {
    return [];
  }
}
