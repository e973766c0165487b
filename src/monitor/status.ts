/**
 * `agentsight monitor status`: is the monitor running, since when, what it has seen this week, the disk its
 * recordings use and what was lost. Read from DIR/monitor.json (written by the monitor every few seconds; root's,
 * 0644, aggregate figures only) and from the caller's own recordings; root also sees the whole directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatBytes, formatDateTime, formatDuration, plural } from '../present';
import { monitorFiles, STATUS_FILE } from './monitor-paths';
import { monitorRecordings } from './retention';

/** DIR/monitor.json */
export interface MonitorState {
  pid: number;
  /** false once it stopped cleanly (a crash leaves true with a dead pid). */
  running: boolean;
  startedMs: number;
  updatedMs: number;
  version: string;
  dir: string;
  users: number;
  agents: string[];
  week: string | null;
  /** Sessions in this week's recordings, all users. */
  sessions: number;
  /** Sessions already running when their recording began. */
  gaps: number;
  /** Loss rows' counts in this week's recordings. */
  losses: number;
  pruned: { files: number; bytes: number };
}

export interface StatusReport {
  running: boolean;
  pid: number | null;
  state: MonitorState | null;
  /** All users' recordings (root), or null when they cannot be listed. */
  disk: { files: number; bytes: number } | null;
  /** The caller's own recordings, newest last. */
  mine: Array<{ path: string; bytes: number }>;
}

/** Weeks back the caller's own files are looked for. */
const OWN_WEEKS = 60;

export function monitorStatus(dir: string, uid: number, nowMs: number): StatusReport {
  let state: MonitorState | null = null;
  try {
    state = JSON.parse(fs.readFileSync(path.join(dir, STATUS_FILE), 'utf8')) as MonitorState;
  } catch {
    state = null;
  }
  const running = state !== null && state.running && isMonitorProcess(state.pid);
  let disk: StatusReport['disk'] = null;
  if (uid === 0) {
    const all = monitorRecordings(dir);
    disk = { files: all.length, bytes: all.reduce((a, f) => a + f.bytes, 0) };
  }
  const mine = monitorFiles(dir, uid, nowMs - OWN_WEEKS * 7 * 86_400_000, nowMs).map((p) => ({ path: p, bytes: sizeOf(p) }));
  return { running, pid: running ? state!.pid : null, state, disk, mine };
}

export function statusText(r: StatusReport, nowMs: number): string {
  const s = r.state;
  const lines: string[] = [];
  if (r.running && s) {
    lines.push(`agentsight monitor: running (pid ${s.pid}) since ${formatDateTime(s.startedMs * 1e6)}, ${formatDuration((nowMs - s.startedMs) * 1e6)}`);
  } else if (s && s.running) {
    lines.push(`agentsight monitor: not running (pid ${s.pid} is gone without stopping: crashed or killed; last seen ${formatDateTime(s.updatedMs * 1e6)})`);
  } else if (s) {
    lines.push(`agentsight monitor: not running (stopped ${formatDateTime(s.updatedMs * 1e6)})`);
  } else {
    lines.push('agentsight monitor: not running (never ran with this directory)');
  }
  if (s) {
    lines.push(`  directory: ${s.dir}   week: ${s.week ?? '-'}   users: ${s.users}`);
    lines.push(`  this week: ${plural(s.sessions, 'agent session')}${s.gaps ? ` (${s.gaps} already running when recording began)` : ''}, ${plural(s.losses, 'loss', 'losses')}`);
    if (s.pruned.files > 0) lines.push(`  retention removed ${plural(s.pruned.files, 'recording')} (${formatBytes(s.pruned.bytes)}) since it started`);
  }
  if (r.disk) lines.push(`  disk: ${formatBytes(r.disk.bytes)} in ${plural(r.disk.files, 'recording')}`);
  if (r.mine.length > 0) {
    lines.push(`  your recordings: ${plural(r.mine.length, 'file')}, ${formatBytes(r.mine.reduce((a, m) => a + m.bytes, 0))}; newest ${r.mine[r.mine.length - 1]!.path}`);
  } else {
    lines.push('  your recordings: none');
  }
  return lines.join('\n') + '\n';
}

/** The pid is alive and is an agentsight monitor (not a reused pid). */
function isMonitorProcess(pid: number): boolean {
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a === 'monitor');
  } catch {
    return false;
  }
}

function sizeOf(p: string): number {
  let n = 0;
  for (const s of ['', '-wal']) {
    try {
      n += fs.statSync(p + s).size;
    } catch {
      // none
    }
  }
  return n;
}
