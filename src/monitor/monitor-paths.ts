/**
 * Where the monitor keeps its recordings, and how it makes those directories without ever following a path a user
 * controls:
 *
 *   DIR/                       root:root 0755 (refused if not root's, or writable by group or others)
 *   DIR/monitor.json           root:root 0644, the running monitor's status (status.ts)
 *   DIR/<uid>/                 root:<gid> 0710: the user may enter, nobody may list, nobody but root may create
 *   DIR/<uid>/monitor-2026-W49.db      <uid>:<gid> 0600 (created by createPrivateRecording: O_EXCL|O_NOFOLLOW, fchown)
 *   DIR/<uid>/monitor-2026-W49-2.db    the same week after a monitor restart (a new segment; never reopened)
 *
 * Per-user directories are root's so that no user can put a link or a file where root is about to create one
 * (SQLite opens the name again after we create it, and would follow a link a user swapped in). The user reads their
 * files by name (monitorFiles), which needs the search bit only; other users cannot even learn which weeks exist.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isoWeekOf, weekLabel, weeksBetween, type IsoWeek } from './iso-week';

export const DEFAULT_MONITOR_DIR = '/var/lib/agentsight';

/** Status file of the running monitor (status.ts). */
export const STATUS_FILE = 'monitor.json';

/** Segments of one week a reader looks for (a restart makes a new one: NAME-2.db, NAME-3.db …). */
const MAX_SEGMENTS = 100;

/** The monitor's directory: the env override (tests, a non-default --dir for readers), else the default. */
export function monitorDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['AGENTSIGHT_MONITOR_DIR'] || DEFAULT_MONITOR_DIR;
}

/**
 * "Now" for choosing a week's file and for retention. AGENTSIGHT_CLOCK_OFFSET_MS shifts it (tests move to just before a
 * week boundary with it); event times are never shifted.
 */
export function monitorNow(env: NodeJS.ProcessEnv = process.env): number {
  const off = Number(env['AGENTSIGHT_CLOCK_OFFSET_MS'] ?? 0);
  return Date.now() + (Number.isFinite(off) ? off : 0);
}

export class MonitorDirError extends Error {}

/** Create DIR if missing (root's, 0755) and refuse one a non-root user could change. */
export function ensureMonitorDir(dir: string): string {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs)) fs.mkdirSync(abs, { recursive: true, mode: 0o755 });
  const st = fs.lstatSync(abs);
  if (st.isSymbolicLink()) throw new MonitorDirError(`${abs} is a symbolic link; give the real directory as --dir`);
  if (!st.isDirectory()) throw new MonitorDirError(`${abs} is not a directory`);
  if (st.uid !== 0) throw new MonitorDirError(`${abs} belongs to uid ${st.uid}, not root: another user could redirect what the monitor writes (chown root ${abs})`);
  if ((st.mode & 0o022) !== 0) throw new MonitorDirError(`${abs} is writable by group or others (mode ${(st.mode & 0o777).toString(8)}): chmod go-w ${abs}`);
  return abs;
}

/** DIR/<uid>: root:<gid> 0710, made or repaired here (DIR is root's, so nobody can race us to the name). */
export function ensureUserDir(dir: string, uid: number, gid: number): string {
  const p = userDir(dir, uid);
  try {
    fs.mkdirSync(p, { mode: 0o710 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = fs.lstatSync(p);
  if (!st.isDirectory() || st.isSymbolicLink()) throw new MonitorDirError(`${p} is not a directory`);
  if (st.uid !== 0 || st.gid !== gid) fs.lchownSync(p, 0, gid);
  if ((st.mode & 0o777) !== 0o710) fs.chmodSync(p, 0o710);
  return p;
}

export function userDir(dir: string, uid: number): string {
  return path.join(path.resolve(dir), String(uid));
}

/** `monitor-2026-W49.db` */
export function weekFileName(w: IsoWeek): string {
  return `monitor-${weekLabel(w)}.db`;
}

/** The first segment's name of the week holding `nowMs` (createPrivateRecording moves on to -2, -3 … if taken). */
export function weekFile(dir: string, uid: number, nowMs: number): string {
  return path.join(userDir(dir, uid), weekFileName(isoWeekOf(nowMs)));
}

/** The segments of one week that exist, oldest first (found by name: the reader may not list the directory). */
export function weekSegments(dir: string, uid: number, w: IsoWeek): string[] {
  const first = path.join(userDir(dir, uid), weekFileName(w));
  const out: string[] = [];
  // Segments are numbered in order; retention may have removed the first ones of a week, so a few misses are allowed.
  for (let n = 1, misses = 0; n <= MAX_SEGMENTS && misses < 4; n++) {
    const p = n === 1 ? first : first.replace(/\.db$/, `-${n}.db`);
    if (fs.existsSync(p)) {
      out.push(p);
      misses = 0;
    } else misses++;
  }
  return out;
}

/** Every segment of every week from `fromMs` to `toMs`, oldest first. */
export function monitorFiles(dir: string, uid: number, fromMs: number, toMs: number): string[] {
  return weeksBetween(fromMs, toMs).flatMap((w) => weekSegments(dir, uid, w));
}

/** `monitor-2026-W49.db` or `monitor-2026-W49-3.db` → its week's Monday (ms), else null. */
export function weekOfFileName(name: string): IsoWeek | null {
  const m = /^monitor-(\d{4})-W(\d{2})(?:-\d+)?\.db$/.exec(name);
  return m ? { year: Number(m[1]), week: Number(m[2]) } : null;
}
