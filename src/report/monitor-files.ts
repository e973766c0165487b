/**
 * `report --monitor`: the caller's own recordings of the always-on monitor (docs/monitor.md), found by name in
 * DIR/<uid>/ (the caller may enter that directory but not list it): this week's, or with --since/--until every week
 * those days touch. The reports then read them as any other recording, through openRecording.
 */
import fs from 'node:fs';
import path from 'node:path';
import { invokingUser } from '../cli/privileges';
import { monitorDir, monitorFiles, monitorNow } from '../monitor/monitor-paths';
import { parseDayRange } from './day-range';
import { EXIT_NOTHING_FOUND, ReportError } from './errors';
import type { RecordingFile } from './recordings';

const DAY_MS = 86_400_000;

export function monitorRecordingFiles(o: { since?: string; until?: string; db?: string; dir?: string; local?: boolean }, env: NodeJS.ProcessEnv): RecordingFile[] {
  if (o.db !== undefined || o.dir !== undefined || o.local) throw new ReportError(`--monitor reads the monitor's recordings of yours: it excludes --${o.db !== undefined ? 'db' : o.dir !== undefined ? 'dir' : 'local'}`);
  const range = parseDayRange(o);
  const now = monitorNow(env);
  // Whole days in any zone: a day off at each end; the reports keep only what ran on the days asked for.
  const from = range.since ? Date.parse(`${range.since}T00:00:00Z`) - DAY_MS : now;
  const to = range.until ? Date.parse(`${range.until}T23:59:59Z`) + DAY_MS : now;
  const dir = monitorDir(env);
  const uid = invokingUser(env).uid;
  const files = monitorFiles(dir, uid, from, Math.min(to, now + DAY_MS));
  if (files.length === 0) {
    const when = range.since || range.until ? 'for those days' : 'this week';
    throw new ReportError(`no monitor recordings of yours ${when} in ${path.join(dir, String(uid))} (is the monitor running? \`agentsight monitor status\`)`, EXIT_NOTHING_FOUND);
  }
  return files.map((p) => {
    const st = fs.statSync(p);
    return { path: p, name: path.basename(p), mtimeMs: st.mtimeMs, size: st.size, named: true };
  });
}
