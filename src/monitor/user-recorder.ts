/**
 * One user's part of the monitor: a system-wide capture that starts a session for every agent process of that uid
 * (and only theirs), writing into the user's recording of the week, DIR/<uid>/monitor-YYYY-Www.db, the user's and
 * 0600 from its first byte (createPrivateRecording).
 *
 * Why a capture per user rather than one shared: every part of capture (the collector's rows and ids, the TLS
 * attacher's targets, the exec hold) writes into one store; a capture whose traced set holds only one user's agents
 * writes only that user's sessions, so no record of one user can reach another user's file by construction. The cost
 * (each capture sees every fork, exec and exit on the machine) is in BENCHMARKS.md ("monitor").
 */
import fs from 'node:fs';
import os from 'node:os';
import { CaptureRunner } from '../collector/capture-runner';
import { bootTimeNs, seedRunning } from '../collector/live';
import type net from 'node:net';
import { listenRecordSocket, type HandOff } from './record-socket';
import type { AgentPattern } from '../collector/process/agents';
import type { LiveOtel } from '../export/otel/live-otel';
import { createPrivateRecording, SIDECARS, type SqliteStore } from '../store';
import { recordingStateOf } from '../store/recording-state';
import { weekLabel, isoWeekOf } from './iso-week';
import { ensureUserDir, userDir, weekFile } from './monitor-paths';

export interface MonitorUser {
  uid: number;
  gid: number;
  name: string;
}

/** Why a recording starts: the monitor started (agents already running have a gap), or the week changed (no gap). */
export type StartReason = 'start' | 'week';

/** Loss source of an agent session already running when the monitor started: its beginning was not recorded. */
export const GAP_LOSS = 'monitor:gap';

export interface RecorderOptions {
  dir: string;
  user: MonitorUser;
  nowMs: number;
  reason: StartReason;
  agentPatterns: AgentPattern[];
  /** Program names of --agent (traced from their exec like the built-in ones). */
  agentCommands?: string[];
  version: string;
  /** --otel: a stream per recording (src/export/otel/live-otel.ts), made for each new file. */
  otel?: () => LiveOtel;
  onStoreFailure?: (message: string) => void;
}

/** How long the end of a handed-over command waits for its exit record to be applied. */
const END_WAIT_MS = 3000;

export class UserRecorder implements HandOff {
  private socket: net.Server | null = null;

  private constructor(
    readonly user: MonitorUser,
    readonly path: string,
    readonly week: string,
    private readonly store: SqliteStore,
    private readonly runner: CaptureRunner,
    private readonly otel: LiveOtel | null,
    /** Sessions already running when this recording began (gaps when the monitor started, continued after a week). */
    readonly adopted: number,
  ) {}

  static start(o: RecorderOptions): UserRecorder {
    ensureUserDir(o.dir, o.user.uid, o.user.gid);
    const week = weekLabel(isoWeekOf(o.nowMs));
    // A week already begun (the monitor restarted) gets a new segment, NAME-2.db …: a file is never reopened by root.
    const { store, path } = createPrivateRecording(weekFile(o.dir, o.user.uid, o.nowMs), { owner: o.user, unique: true });
    let runner: CaptureRunner;
    try {
      store.putMeta('command', JSON.stringify(['agentsight', 'monitor']));
      store.putMeta('start_ns', String(Date.now() * 1e6));
      store.putMeta('scope', 'system');
      store.putMeta('monitor_week', week);
      store.putMeta('hostname', os.hostname());
      store.putMeta('kernel', os.release());
      store.putMeta('uid', String(o.user.uid));
      store.putMeta('user', o.user.name);
      store.putMeta('agentsight_version', o.version);
      store.putMeta('bpf', 'yes');
      store.flush();
      runner = CaptureRunner.start(store, {
        mode: 'system',
        allProcesses: true,
        agentPatterns: o.agentPatterns,
        acceptAgent: (row) => row.uid === o.user.uid,
        onStoreFailure: (f) => o.onStoreFailure?.(`cannot write ${path} (${f.message})`),
      });
    } catch (err) {
      // Nothing was captured: leave no empty recording behind (the directory is root's; the name is still ours).
      store.close();
      for (const s of ['', ...SIDECARS]) fs.rmSync(path + s, { force: true });
      throw err;
    }
    traceAgentsFromExec(runner, o.user.uid, o.agentCommands ?? []);
    const adopted = adoptRunning(runner, o.reason);
    if (o.reason === 'week') store.putMeta('continued_sessions', String(adopted));
    store.flush();
    const otel = o.otel?.() ?? null;
    otel?.start(store);
    return new UserRecorder(o.user, path, week, store, runner, otel, adopted);
  }

  /** Take `record -- CMD` requests of this user over DIR/<uid>/record.sock (record-socket.ts). */
  async listen(dir: string): Promise<void> {
    this.socket = await listenRecordSocket(userDir(dir, this.user.uid), this.user.uid, this.user.gid, this);
  }

  begin(req: { pid: number; exec: boolean; title: string; argv0: string; path: string; cwd: string }): { session: number; file: string } {
    const c = this.runner.collector;
    const seed = c.processes.byTgid(req.pid) ?? c.processes.seedFromProc(req.pid, bootTimeNs());
    if (!seed) throw new Error(`no process ${req.pid}`);
    if (req.exec) {
      // The launcher execs the command in this very process: traced itself from now on (its exec included), the
      // session's root, ended by its exit like an agent's session. Nothing of the command runs before the answer.
      const s = c.startProcessSession(seed, req.title);
      this.runner.capture.addTraced(req.pid);
      if (req.argv0) this.runner.tls.attachCommand(req.argv0, { PATH: req.path }, req.cwd);
      this.runner.tick();
      return { session: s.id, file: this.path };
    }
    const s = c.startSeedSession(seed, req.title);
    // Children of the seed are traced by the kernel from their fork; the command's files get their TLS probes now.
    this.runner.capture.addSeed(req.pid);
    if (req.argv0) this.runner.tls.attachCommand(req.argv0, { PATH: req.path }, req.cwd);
    this.runner.tick();
    return { session: s.id, file: this.path };
  }

  async end(pid: number): Promise<void> {
    const c = this.runner.collector;
    this.runner.capture.removeSeed(pid);
    const seed = c.processes.byTgid(pid);
    const sessionId = seed?.sessionId ?? null;
    // The command's exit record may still be on its way: its session ends with it.
    const t0 = Date.now();
    while (sessionId !== null && c.session(sessionId)?.endNs === null && Date.now() - t0 < END_WAIT_MS) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (seed) c.endSeedSession(seed);
    this.runner.tick();
  }

  /** What status shows of this recording. */
  figures(): { path: string; week: string; sessions: number; losses: number; bytes: number; state: string } {
    const info = this.store.info();
    let bytes = 0;
    for (const s of ['', '-wal']) {
      try {
        bytes += fs.statSync(this.path + s).size;
      } catch {
        // no -wal right after a checkpoint
      }
    }
    return { path: this.path, week: this.week, sessions: info.counts.sessions, losses: info.counts.losses, bytes, state: recordingStateOf(info.meta).state };
  }

  /** Stop capturing and finalise the recording (end time, summaries, no -wal left). */
  async stop(): Promise<string | null> {
    // The socket file stays: after a week change it is the next recorder's (the monitor removes it at the end).
    this.socket?.close();
    await this.runner.stop();
    let otelLine: string | null = null;
    try {
      if (this.runner.storeFailure) this.runner.salvage({ end_ns: String(Date.now() * 1e6) });
      else {
        this.store.putMeta('end_ns', String(Date.now() * 1e6));
        this.store.finalize();
      }
      if (this.otel) otelLine = (await this.otel.finish().catch((err: Error) => ({ line: `otel export failed: ${err.message}` })))?.line ?? null;
    } finally {
      this.store.close();
    }
    return otelLine;
  }
}

/**
 * The process names (comm) of the agents of the built-in table, as the kernel sees them after exec: claude and codex
 * are native binaries; the npm packages' scripts set their title (prctl) to these names.
 */
export const AGENT_COMMS: readonly string[] = ['claude', 'codex', 'codex-x86_64-unknown-linux-musl', 'gemini', 'opencode', 'aider', 'cursor-agent'];

/** The kernel's comm: 15 bytes and a NUL. */
const COMM_MAX = 15;

/**
 * Agents traced by the kernel from their exec, not from when this thread has read the exec record: an agent's first
 * request comes ~0.35 s after its exec (Codex), and a busy machine delays the record by more than that. The comm
 * filter (bpf/file.bpf.c handle_task_rename) adds a process of this uid that takes an agent's name to the traced
 * set at exec, so its exec is held until its TLS probes are in (tls/exec-hold.ts) and nothing of it is missed.
 * A process that took such a name but is not an agent by the table is taken out again at its exec record.
 */
function traceAgentsFromExec(runner: CaptureRunner, uid: number, extra: readonly string[]): void {
  const capture = runner.capture;
  if (!capture.loadedGroups.includes('file')) return;
  const value = Buffer.alloc(4);
  value.writeUInt32LE(uid >>> 0);
  const comms = new Set<string>();
  for (const c of [...AGENT_COMMS, ...extra]) {
    const name = Buffer.from(c, 'utf8').subarray(0, COMM_MAX);
    if (name.length === 0) continue;
    const key = Buffer.alloc(16);
    name.copy(key);
    capture.host.mapUpdate('comm_filter', key, value);
    comms.add(name.toString('utf8'));
  }
  const onExec = runner.collector.onProcessExec;
  runner.collector.onProcessExec = (row, isAgent) => {
    onExec?.(row, isAgent);
    if (row.sessionId === null && comms.has(row.comm)) {
      const key = Buffer.alloc(4);
      key.writeUInt32LE(row.pid);
      try {
        capture.host.mapDelete('shared_traced', key);
      } catch {
        // already gone (it exited)
      }
    }
  };
}

/**
 * Agents of this user already running: recognised from /proc, traced from now on. After a monitor start their
 * beginning is missing, a loss (GAP_LOSS) every reader shows; after a week change it is in last week's file.
 */
function adoptRunning(runner: CaptureRunner, reason: StartReason): number {
  const c = runner.collector;
  let adopted = 0;
  for (const pid of seedRunning(c)) {
    runner.capture.addTraced(pid);
    const row = c.processes.byTgid(pid);
    const s = row?.sessionId != null ? c.session(row.sessionId) : undefined;
    if (!row || !s || s.rootProcessId !== row.id) continue;
    adopted++;
    if (reason === 'start') {
      c.loss(GAP_LOSS, 1, 0, `${s.agent ?? 'agent'} (pid ${pid}) was running before the monitor started: what it did until then is not recorded`, row.id);
    }
  }
  c.tick();
  return adopted;
}
