/**
 * The process model of a capture: one row per process (tgid + kernel start time), linked to its parent and session.
 * Rows are written to the store when they change (coalesced per flush). Other decoders (files, network, TLS) look up
 * the process of an event here by tgid.
 */
import fs from 'node:fs';
import type { RecordingWriter } from '../../store/store';
import type { ExecRow, ProcessRow } from '../../store/types';
import { decodeWaitStatus, type ExecEvent, type ExitEvent, type ForkEvent } from './process-events';
import { redactArgv } from './redact-command';

export interface ProcessTrackerHooks {
  /** Session for a process that has no parent in the model (the root of a traced tree). */
  sessionForRoot?(row: ProcessRow): number | null;
  /** Called after every successful exec (agent recognition). */
  onExec?(row: ProcessRow): void;
  /** Which rows are written to the store (system-wide capture keeps only agent sessions). Default: all. */
  persist?(row: ProcessRow): boolean;
  /** Which exec records of persisted rows are written (system-wide mode). Default: all. */
  persistExec?(exec: ExecRow, row: ProcessRow): boolean;
  /** A row was created (its parent, when in the model): container labels (containers/container-labels.ts). */
  onNewRow?(row: ProcessRow, parent: ProcessRow | undefined): void;
}

/**
 * How long an exited process stays findable by forRecord: as long as the TLS handler keeps an exited process's
 * streams open (EXIT_GRACE_MS), plus a margin; at most EXITED_KEEP_MAX of them (a fork bomb must not grow memory).
 */
const EXITED_KEEP_MS = 40_000;
const EXITED_KEEP_MAX = 65_536;

export class ProcessTracker {
  private readonly live = new Map<number, ProcessRow>();
  /** Exited processes by tgid, for records that arrive after the exit (see forRecord), oldest first. */
  private readonly exited = new Map<number, { row: ProcessRow; atMs: number }>();
  private readonly dirty = new Set<ProcessRow>();
  private readonly pendingExecs: Array<{ exec: ExecRow; row: ProcessRow }> = [];
  /** Rows already written, when only some are (system-wide mode). */
  private readonly persistedIds = new Set<number>();
  events = 0;
  /** When this capture began (Unix ns). */
  private readonly createdNs = Date.now() * 1e6;

  constructor(
    private readonly store: RecordingWriter,
    private readonly clockOffsetNs: number,
    private readonly hooks: ProcessTrackerHooks = {},
  ) {}

  byTgid(tgid: number): ProcessRow | undefined {
    return this.live.get(tgid);
  }

  /**
   * The process of a record from another ring (TLS): the live process, or one that exited in the last
   * EXITED_KEEP_MS. Records of the TLS ring are delivered after the event records drained with them
   * (native/poll-thread.cc DrainOrdered), so a short-lived client's exit can be decoded before its last TLS records.
   */
  forRecord(tgid: number): ProcessRow | undefined {
    return this.live.get(tgid) ?? this.exited.get(tgid)?.row;
  }

  liveCount(): number {
    return this.live.size;
  }

  /** Every live process in the model (no copy: do not add or remove processes while iterating). */
  liveRows(): IterableIterator<ProcessRow> {
    return this.live.values();
  }

  private unix(monoNs: number): number {
    return monoNs + this.clockOffsetNs;
  }

  private newRow(tgid: number, kstartNs: number, startNs: number, parent: ProcessRow | undefined, comm: string, seeded: boolean): ProcessRow {
    const row: ProcessRow = {
      id: this.store.nextId('processes'),
      pid: tgid,
      ppid: parent?.pid ?? null,
      parentId: parent?.id ?? null,
      sessionId: parent?.sessionId ?? null,
      startNs,
      kstartNs,
      uid: null,
      comm,
      exe: null,
      argv: [],
      argvClipped: false,
      cwd: null,
      execNs: null,
      exitNs: null,
      exitCode: null,
      exitSignal: null,
      coreDumped: false,
      seeded,
      peakRssKb: null,
      containerId: null,
      containerName: null,
      nsPid: null,
    };
    if (!parent && this.hooks.sessionForRoot) row.sessionId = this.hooks.sessionForRoot(row);
    this.hooks.onNewRow?.(row, parent);
    this.live.set(tgid, row);
    this.dirty.add(row);
    return row;
  }

  onFork(e: ForkEvent): ProcessRow {
    this.events++;
    const parent = this.live.get(e.parentTgid);
    const row = this.newRow(e.tgid, e.kstartNs, this.unix(e.kstartNs || e.tsNs), parent, e.comm, false);
    row.ppid = e.parentTgid;
    row.uid = e.uid;
    return row;
  }

  onExec(e: ExecEvent): ProcessRow {
    this.events++;
    let row = this.live.get(e.tgid);
    // A row seeded from /proc knows its start time only to the clock tick (10 ms) and from the boot clock: treat it
    // as the same process within that resolution, then keep the kernel's exact value.
    if (row && row.seeded && e.kstartNs && Math.abs(row.kstartNs - e.kstartNs) < 2e7) row.kstartNs = e.kstartNs;
    if (!row || (row.kstartNs && e.kstartNs && row.kstartNs !== e.kstartNs)) {
      // exec of a process whose fork we did not see: it ran before capture started, or it joined the traced set at
      // this exec (`docker exec`'s process, moved into a traced container's cgroup by the runtime): only the first
      // is "already running"
      const start = this.unix(e.kstartNs || e.tsNs);
      row = this.newRow(e.tgid, e.kstartNs, start, this.live.get(e.ppid), e.comm, !e.kstartNs || start < this.createdNs);
      row.ppid = e.ppid;
    }
    const ts = this.unix(e.tsNs);
    // Secrets typed on a command line never reach the store (nor the in-memory row readers of a live capture see).
    const argv = redactArgv(e.argv, e.argvClipped);
    const exec: ExecRow = {
      id: this.store.nextId('execs'),
      processId: row.id,
      tsNs: ts,
      filename: e.exe,
      argv,
      cwd: e.cwd,
      ret: e.failed ? e.ret : 0,
      argvClipped: e.argvClipped,
    };
    // Every exec row is kept unless only some processes are (system-wide mode): hand it over now rather than hold
    // it on the JS heap until the tick (held rows outlived young-generation GC at high exec rates).
    if (this.hooks.persist) this.pendingExecs.push({ exec, row });
    else this.store.addExec(exec);
    if (!e.failed) {
      row.exe = e.exe;
      row.argv = argv;
      row.argvClipped = e.argvClipped;
      row.cwd = e.cwd;
      row.comm = e.comm;
      row.execNs = ts;
      row.uid = e.uid;
      // from the kernel: exact even when the process is gone before /proc could be read (container-labels.ts)
      if (e.nsTgid && e.nsTgid !== e.tgid) row.nsPid = e.nsTgid;
      this.hooks.onExec?.(row);
    } else if (row.cwd === null) {
      row.cwd = e.cwd;
    }
    this.dirty.add(row);
    return row;
  }

  onExit(e: ExitEvent): ProcessRow | undefined {
    this.events++;
    const row = this.live.get(e.tgid);
    if (!row) return undefined;
    const st = decodeWaitStatus(e.status);
    row.exitNs = this.unix(e.tsNs);
    row.exitCode = st.exitCode;
    row.exitSignal = st.signal;
    row.coreDumped = st.core;
    row.peakRssKb = e.maxRssKb || null;
    if (!row.execNs) row.comm = e.comm;
    this.live.delete(e.tgid);
    this.rememberExited(row);
    this.dirty.add(row);
    return row;
  }

  private rememberExited(row: ProcessRow): void {
    const now = Date.now();
    this.exited.delete(row.pid);
    this.exited.set(row.pid, { row, atMs: now });
    for (const [tgid, x] of this.exited) {
      if (now - x.atMs < EXITED_KEEP_MS && this.exited.size <= EXITED_KEEP_MAX) break;
      this.exited.delete(tgid);
    }
  }

  /** Write this row again at the next tick (a field set after its record: a container's name). */
  touch(row: ProcessRow): void {
    this.dirty.add(row);
  }

  /** A process that vanished without an exit record (the /proc poller of capture without BPF). */
  markGone(tgid: number, atNs: number): void {
    const row = this.live.get(tgid);
    if (!row) return;
    row.exitNs = atNs;
    this.live.delete(tgid);
    this.dirty.add(row);
  }

  /** tgids of every live process in the model. */
  liveTgids(): number[] {
    return [...this.live.keys()];
  }

  /** A process already running when capture began, read from /proc (system-wide mode, `record -p`). */
  seedFromProc(pid: number, bootTimeNs: number): ProcessRow | undefined {
    if (this.live.has(pid)) return this.live.get(pid);
    const info = readProc(pid);
    if (!info) return undefined;
    const parent = this.live.get(info.ppid);
    const kstart = info.startTicks * 1e7; // clock ticks (USER_HZ = 100) since boot → ns
    const row = this.newRow(pid, kstart, bootTimeNs + kstart, parent, info.comm, true);
    row.ppid = info.ppid;
    row.uid = info.uid;
    row.exe = info.exe;
    row.argv = info.argv;
    row.cwd = info.cwd;
    return row;
  }

  /** Write changed rows and exec records to the store (the caller flushes the store). */
  writeDirty(): void {
    const persist = this.hooks.persist;
    const written = new Set<number>();
    for (const row of this.dirty) {
      if (persist && !persist(row)) continue;
      this.store.putProcess(row);
      written.add(row.id);
    }
    this.dirty.clear();
    for (const { exec: e, row } of this.pendingExecs) {
      if (this.hooks.persistExec && !this.hooks.persistExec(e, row)) continue;
      if (!persist || written.has(e.processId) || this.persistedIds.has(e.processId)) this.store.addExec(e);
    }
    for (const id of written) this.persistedIds.add(id);
    this.pendingExecs.length = 0;
  }
}

interface ProcInfo {
  ppid: number;
  comm: string;
  startTicks: number;
  uid: number | null;
  exe: string | null;
  argv: string[];
  cwd: string | null;
}

function readProc(pid: number): ProcInfo | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    const ppid = Number(rest[1]);
    const startTicks = Number(rest[19]);
    const safe = <T>(f: () => T): T | null => {
      try {
        return f();
      } catch {
        return null;
      }
    };
    const argvRaw = safe(() => fs.readFileSync(`/proc/${pid}/cmdline`));
    const argv = argvRaw ? redactArgv(argvRaw.toString('utf8').split('\0').filter((s, i, a) => i < a.length - 1 || s !== '')) : [];
    const status = safe(() => fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    const uidLine = status?.split('\n').find((l) => l.startsWith('Uid:'));
    return {
      ppid,
      comm,
      startTicks,
      uid: uidLine ? Number(uidLine.split(/\s+/)[1]) : null,
      exe: safe(() => fs.readlinkSync(`/proc/${pid}/exe`)),
      argv,
      cwd: safe(() => fs.readlinkSync(`/proc/${pid}/cwd`)),
    };
  } catch {
    return null;
  }
}
