/**
 * `agentsight monitor`: the always-on collector. One UserRecorder per user (user-recorder.ts) records every agent
 * session of that user into the week's file; at each week boundary (UTC, iso-week.ts) every user moves to the next
 * week's file without a restart — the new capture starts before the old one stops, so nothing falls between them —
 * and retention (retention.ts) runs. SIGTERM (systemd's stop) or SIGINT finalises every recording and exits 0.
 * What it is doing is written to DIR/monitor.json for `monitor status` (status.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadAgentPatterns, type AgentPattern } from '../collector/process/agents';
import type { LiveOtel } from '../export/otel/live-otel';
import { nextWeekStartMs } from './iso-week';
import { ensureMonitorDir, monitorNow, STATUS_FILE } from './monitor-paths';
import { RECORD_SOCKET } from './record-socket';
import { prune, type RetentionPolicy } from './retention';
import { UserRecorder, type MonitorUser } from './user-recorder';
import type { MonitorState } from './status';

export interface MonitorOptions {
  dir: string;
  /** Users whose agents are recorded (default: root and every login user, passwdUsers()). */
  users: MonitorUser[];
  /** The users were not chosen (--user): login users added later are picked up within the hour. */
  followPasswd?: boolean;
  /** Commands to recognise as agents besides the built-in table (--agent). */
  agents: string[];
  retention: RetentionPolicy;
  version: string;
  otel?: () => LiveOtel;
  log: (line: string) => void;
}

/** How often retention runs between week changes (a week's file grows; the size limit must hold meanwhile). */
const PRUNE_EVERY_MS = 3_600_000;
/** How often monitor.json is rewritten. */
const STATUS_EVERY_MS = 5_000;

/** Run until SIGTERM/SIGINT; resolves with the exit status. */
export async function runMonitor(o: MonitorOptions): Promise<number> {
  const dir = ensureMonitorDir(o.dir);
  const patterns = agentPatterns(o.agents);
  const startedMs = Date.now();
  const recorders = new Map<number, UserRecorder>();
  let stopping = false;
  let pruned = { files: 0, bytes: 0 };
  let timers: NodeJS.Timeout[] = [];
  // A signal during start-up (loading BPF takes seconds per user) is kept for when the loop is ready to end.
  let onSignal: () => void = () => {
    stopping = true;
  };
  const signal = () => onSignal();
  process.on('SIGTERM', signal);
  process.on('SIGINT', signal);

  const start = (user: MonitorUser, reason: 'start' | 'week') =>
    UserRecorder.start({ dir, user, nowMs: monitorNow(), reason, agentPatterns: patterns, agentCommands: o.agents, version: o.version, otel: o.otel, onStoreFailure: (m) => o.log(`recording failed: ${m}; counting what is not stored`) });

  const writeStatus = (running: boolean) => {
    const state: MonitorState = {
      pid: process.pid,
      running,
      startedMs,
      updatedMs: Date.now(),
      version: o.version,
      dir,
      users: recorders.size,
      agents: patterns.map((p) => p.agent).filter((a, i, all) => all.indexOf(a) === i),
      week: [...recorders.values()][0]?.week ?? null,
      sessions: 0,
      gaps: 0,
      losses: 0,
      pruned,
    };
    for (const r of recorders.values()) {
      try {
        const f = r.figures();
        state.sessions += f.sessions;
        state.losses += f.losses;
      } catch {
        // a store busy or failed this time: the next write has it
      }
      state.gaps += r.adopted;
    }
    // Written beside, then renamed: a reader never sees half a file. DIR is root's, so the name is ours.
    const tmp = path.join(dir, `.${STATUS_FILE}.${process.pid}`);
    fs.writeFileSync(tmp, JSON.stringify(state, null, 1) + '\n', { mode: 0o644 });
    fs.renameSync(tmp, path.join(dir, STATUS_FILE));
  };

  const runPrune = () => {
    const r = prune(dir, monitorNow(), o.retention, new Set([...recorders.values()].map((x) => x.path)));
    if (r.removed.length > 0) {
      pruned = { files: pruned.files + r.removed.length, bytes: pruned.bytes + r.bytes };
      o.log(`retention: removed ${r.removed.map((p) => path.relative(dir, p)).join(', ')} (${r.bytes} bytes)`);
    }
  };

  const addUser = async (u: MonitorUser) => {
    const r = start(u, 'start');
    recorders.set(u.uid, r);
    await r.listen(dir);
    o.log(`recording agents of ${u.name} (uid ${u.uid}) into ${r.path}${r.adopted ? `; ${r.adopted} already running (marked with a gap)` : ''}`);
  };
  // A user who appears in /etc/passwd later: recorded from then on (their agents already running, with a gap).
  const newUsers = async () => {
    if (!o.followPasswd || stopping) return;
    for (const u of passwdUsers()) {
      if (recorders.has(u.uid)) continue;
      try {
        await addUser(u);
      } catch (err) {
        o.log(`cannot record ${u.name}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  };

  try {
    for (const u of o.users) {
      if (stopping) break;
      if (!recorders.has(u.uid)) await addUser(u);
    }
    if (!stopping) {
      runPrune();
      writeStatus(true);
    }
  } catch (err) {
    for (const r of recorders.values()) await r.stop().catch(() => undefined);
    throw err;
  }

  // The week's end: every user's next file starts, then the last one ends (the two overlap for a moment).
  const armWeek = () => {
    const wait = Math.max(0, nextWeekStartMs(monitorNow()) - monitorNow());
    // setTimeout holds at most 2^31-1 ms (24.8 days); a week fits. A little late rather than early: the new file's
    // name is taken from the clock when the timer fires.
    const t = setTimeout(() => void rollover(), wait + 50);
    timers.push(t);
  };
  const rollover = async () => {
    if (stopping) return;
    for (const [uid, old] of [...recorders]) {
      try {
        const next = start(old.user, 'week');
        recorders.set(uid, next);
        await next.listen(dir);
        o.log(`week ${next.week}: ${old.user.name} now into ${next.path}${next.adopted ? ` (${next.adopted} sessions continue from ${path.basename(old.path)})` : ''}`);
      } catch (err) {
        o.log(`week change for ${old.user.name} failed: ${(err as Error).message.split('\n')[0]}; staying in ${old.path}`);
        continue;
      }
      const line = await old.stop();
      if (line) o.log(line);
    }
    await newUsers();
    runPrune();
    writeStatus(true);
    armWeek();
  };

  await new Promise<void>((resolve) => {
    onSignal = () => {
      stopping = true;
      resolve();
    };
    if (stopping) return resolve();
    armWeek();
    const st = setInterval(() => {
      try {
        writeStatus(true);
      } catch (err) {
        o.log(`cannot write ${STATUS_FILE}: ${(err as Error).message}`);
      }
    }, STATUS_EVERY_MS);
    const pr = setInterval(() => {
      runPrune();
      void newUsers();
    }, PRUNE_EVERY_MS);
    timers.push(st, pr);
  });

  for (const t of timers) clearTimeout(t);
  timers = [];
  let failed = false;
  for (const r of recorders.values()) {
    try {
      const line = await r.stop();
      if (line) o.log(line);
    } catch (err) {
      failed = true;
      o.log(`cannot finalise ${r.path}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  for (const r of recorders.values()) fs.rmSync(path.join(dir, String(r.user.uid), RECORD_SOCKET), { force: true });
  try {
    writeStatus(false);
  } catch {
    // the status file is a convenience; the recordings are what had to be finalised
  }
  process.off('SIGTERM', signal);
  process.off('SIGINT', signal);
  o.log('stopped; recordings finalised');
  return failed ? 1 : 0;
}

/** The built-in agent table, the JSON extension file, and each --agent NAME as a program name. */
export function agentPatterns(names: readonly string[]): AgentPattern[] {
  const extra = names.map((n) => {
    const esc = n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return { agent: n, exe: new RegExp(`/${esc}$`), argv: new RegExp(`(^|[\\s/])${esc}(\\s|$)`) };
  });
  return [...extra, ...loadAgentPatterns()];
}

/** root and every login user of /etc/passwd (uid ≥ 1000, not nobody, a shell that is not nologin/false). */
export function passwdUsers(passwd = readPasswd()): MonitorUser[] {
  const out: MonitorUser[] = [];
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    const login = !/(nologin|false)$/.test(f[6] ?? '');
    if (uid === 0 || (uid >= 1000 && uid !== 65534 && login)) out.push({ uid, gid: Number(f[3]), name: f[0]! });
  }
  return out;
}

/** A user named on the command line (name or uid). */
export function lookupUser(nameOrUid: string): MonitorUser | null {
  try {
    const f = execFileSync('getent', ['passwd', nameOrUid], { encoding: 'utf8' }).trim().split(':');
    return { uid: Number(f[2]), gid: Number(f[3]), name: f[0]! };
  } catch {
    return null;
  }
}

function readPasswd(): string {
  try {
    return execFileSync('getent', ['passwd'], { encoding: 'utf8' });
  } catch {
    return fs.readFileSync('/etc/passwd', 'utf8');
  }
}

