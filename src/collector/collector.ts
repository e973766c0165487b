/**
 * The collector: decodes records from the BPF capture, keeps the process model and the per-group decoders, and
 * writes everything through the store. It never draws or prints; readers see its work only through the store.
 *
 * Other probe groups (files, network, TLS) plug in as RecordHandlers for their range of record types.
 */
import type { RecordingWriter } from '../store/store';
import type { ProcessRow, SessionRow } from '../store/types';
import { recogniseAgent, loadAgentPatterns, type AgentPattern } from './process/agents';
import type { RawRecord, RecordBatch } from './bpf-capture';
import { decodeHeader, decodeProcessEventAt, type ProcessEvent, type RecordHeader } from './process/process-events';
import { CausalLinker, type CausalLinkReads } from './causal-linker';
import { ProcessTracker } from './process/process-tracker';
import { ContainerLabels } from './containers/container-labels';

/** What capture needs of the store: the writer, and the few reads of the causal linker (after each commit). */
export type CaptureStore = RecordingWriter & CausalLinkReads;

export interface CollectorContext {
  readonly store: RecordingWriter;
  readonly processes: ProcessTracker;
  /** CLOCK_MONOTONIC ns → Unix ns */
  unix(monoNs: number): number;
  /** Record lost data (also counted in the activity timeline). */
  loss(source: string, count: number, bytes: number, detail: string | null, processId?: number | null, connId?: number | null): void;
}

export interface RecordHandler {
  /** Record types [first, last] this handler decodes. */
  readonly types: readonly [number, number];
  handle(rec: RawRecord, h: RecordHeader, ctx: CollectorContext): void;
  /** Called on every tick before the store flush: write aggregated rows. */
  tick?(ctx: CollectorContext): void;
  /** A process exited: close what belonged to it. */
  onProcessExit?(row: ProcessRow, ctx: CollectorContext): void;
  /** End of capture: flush everything still open. */
  finish?(ctx: CollectorContext): void;
}

export interface CollectorOptions {
  clockOffsetNs: number;
  /** 'record': one session for the recorded command; 'system': one session per recognised agent process tree. */
  mode: 'record' | 'system';
  /** Title of the record session (the command line). */
  title?: string;
  /** System mode: a new agent process was recognised; trace it and its descendants. */
  onAgent?(tgid: number, kstartNs: number): void;
  agentPatterns?: AgentPattern[];
  /** System mode: whether a recognised agent process starts a session here (the monitor keeps one recording per user). */
  acceptAgent?(row: ProcessRow): boolean;
  /** System mode (`top -p/-c`): these processes are the agents, in place of the known agent names. */
  watch?: AgentWatch;
}

/** Processes to watch as if they were agents: by pid (running now) or by name (running now and started later). */
export interface AgentWatch {
  pids?: readonly number[];
  comm?: string;
}

export class Collector implements CollectorContext {
  readonly processes: ProcessTracker;
  private readonly handlers: RecordHandler[] = [];
  private readonly sessions = new Map<number, SessionRow>();
  private readonly dirtySessions = new Set<SessionRow>();
  private readonly patterns: AgentPattern[];
  private readonly lastKernelStats: Record<string, number> = {};
  recordSessionId: number | null = null;
  readonly linker: CausalLinker;
  /** The container of each process row (containers/container-labels.ts). */
  readonly containers: ContainerLabels;
  /** A process exec'd (after agent recognition): TLS probes for its binary hook in here. */
  onProcessExec?: (row: ProcessRow, isAgent: boolean) => void;
  /** A tool call's result arrived (its effects window closed): causal linking hooks in here. */
  onToolResult?: (toolCall: import('../store/types').ToolCallRow) => void;
  /** System mode: rows of processes whose children form a session of their own (`record` handed to the monitor). */
  private readonly handedSeeds = new Set<number>();
  /** System mode: sessions of startProcessSession (a launcher's pid that execs the command). */
  private readonly processSessions = new Set<number>();
  records = 0;
  malformed = 0;
  /** Records cut off at the end of a batch (should stay 0; reported as a loss if not). */
  truncatedRecords = 0;

  constructor(readonly store: CaptureStore, private readonly opts: CollectorOptions) {
    // Watching given processes replaces recognising agents: the view shows those alone, as `record -p/-c` records.
    this.patterns = opts.watch ? [] : (opts.agentPatterns ?? loadAgentPatterns());
    this.linker = new CausalLinker(store);
    this.onToolResult = (t) => this.linker.enqueue(t);
    // A recording reads the container of each root process; live `top` (every process on the machine) only its agents'.
    this.containers = new ContainerLabels((row) => this.processes.touch(row), { probeRoots: opts.mode === 'record', askDocker: true });
    this.processes = new ProcessTracker(store, opts.clockOffsetNs, {
      onNewRow: (row, parent) => {
        this.containers.onNewRow(row, parent);
        if (parent && this.handedSeeds.has(parent.id)) this.seedChild(row);
        // The launcher's pid became a session's root at the monitor's answer; the fork records of children it started
        // before (the bin script's readlink) may be applied only after that: they are not part of the session.
        if (parent && parent.sessionId !== null && this.processSessions.has(parent.sessionId) && row.startNs < this.sessions.get(parent.sessionId)!.startNs) row.sessionId = null;
      },
      sessionForRoot: (row) => (opts.mode === 'record' ? this.recordSessionId : null),
      onExec: (row) => this.onExec(row),
      // System-wide capture sees every process on the machine; only agents' process families are kept.
      persist: opts.mode === 'system' ? (row) => row.sessionId !== null && !this.handedSeeds.has(row.id) : undefined,
      // The launcher's own execs (the bin script's sh, the launcher) came before its session: only the command's.
      persistExec: (exec, row) => !(row.sessionId !== null && this.processSessions.has(row.sessionId) && exec.tsNs < this.sessions.get(row.sessionId)!.startNs),
    });
    if (opts.mode === 'record') {
      const s: SessionRow = {
        id: store.nextId('sessions'),
        agent: null,
        externalId: null,
        rootProcessId: null,
        title: opts.title ?? '',
        startNs: Date.now() * 1e6,
        endNs: null,
      };
      this.recordSessionId = s.id;
      this.sessions.set(s.id, s);
      this.dirtySessions.add(s);
    }
  }

  addHandler(h: RecordHandler): void {
    this.handlers.push(h);
  }

  unix(monoNs: number): number {
    return monoNs + this.opts.clockOffsetNs;
  }

  session(id: number): SessionRow | undefined {
    return this.sessions.get(id);
  }

  /** Mark a session changed (e.g. the LLM layer named its agent). */
  touchSession(s: SessionRow): void {
    this.dirtySessions.add(s);
  }

  loss(source: string, count: number, bytes: number, detail: string | null, processId: number | null = null, connId: number | null = null): void {
    if (count <= 0 && bytes <= 0) return;
    const ts = Date.now() * 1e6;
    this.store.addLoss({ id: this.store.nextId('losses'), tsNs: ts, source, processId, connId, count, bytes, detail });
    this.store.addActivity(ts, { losses: count });
  }

  /**
   * System mode: the processes `seed` starts from now on are one session (titled `title`), `record -- CMD` handed to
   * a running monitor; the seed itself (the `record` process) is not part of it. Its first child is the session's
   * root, and the session ends when that child exits.
   */
  startSeedSession(seed: ProcessRow, title: string): SessionRow {
    const s: SessionRow = { id: this.store.nextId('sessions'), agent: null, externalId: null, rootProcessId: null, title, startNs: Date.now() * 1e6, endNs: null };
    this.sessions.set(s.id, s);
    this.dirtySessions.add(s);
    seed.sessionId = s.id;
    this.handedSeeds.add(seed.id);
    return s;
  }

  /**
   * System mode: `row` is about to become the command of `record -- CMD` (the launcher, native/record-launcher.c,
   * execs it in place): it is the root of a new session titled `title`, which ends when it exits, as an agent's does.
   */
  startProcessSession(row: ProcessRow, title: string): SessionRow {
    const s: SessionRow = { id: this.store.nextId('sessions'), agent: null, externalId: null, rootProcessId: row.id, title, startNs: Date.now() * 1e6, endNs: null };
    this.sessions.set(s.id, s);
    this.dirtySessions.add(s);
    row.sessionId = s.id;
    this.processSessions.add(s.id);
    this.processes.touch(row);
    return s;
  }

  /** The seed's children from now on are not part of its session (the command ended). */
  endSeedSession(seed: ProcessRow): void {
    this.handedSeeds.delete(seed.id);
    seed.sessionId = null;
  }

  private seedChild(row: ProcessRow): void {
    const s = row.sessionId !== null ? this.sessions.get(row.sessionId) : undefined;
    if (s && s.rootProcessId === null) {
      s.rootProcessId = row.id;
      this.dirtySessions.add(s);
    }
  }

  /** A process found in /proc at start: recognise it as an agent like an exec would. */
  adopt(row: import('../store/types').ProcessRow): void {
    this.onExec(row);
  }

  private onExec(row: import('../store/types').ProcessRow): void {
    this.containers.fromScope(row);
    const agent = this.watched(row) ?? recogniseAgent(row.exe, row.argv, this.patterns);
    try {
      this.recognised(row, agent);
    } finally {
      this.onProcessExec?.(row, agent !== null);
    }
  }

  /** The session label of a watched process (its name), or null. A name matches the kernel's 15-byte comm too. */
  private watched(row: ProcessRow): string | null {
    const w = this.opts.watch;
    if (!w) return null;
    const name = row.comm || (row.argv[0] ?? '').split('/').pop() || 'process';
    if (w.pids?.includes(row.pid)) return name;
    if (w.comm !== undefined) {
      const base = (row.exe ?? '').split('/').pop();
      if (row.comm === w.comm.slice(0, 15) || base === w.comm || (row.argv[0] ?? '').split('/').pop() === w.comm) return w.comm;
    }
    return null;
  }

  private recognised(row: ProcessRow, agent: string | null): void {
    if (this.opts.mode === 'record') {
      const s = this.recordSessionId !== null ? this.sessions.get(this.recordSessionId) : undefined;
      if (s && agent && !s.agent) {
        s.agent = agent;
        this.dirtySessions.add(s);
      }
      if (s && s.rootProcessId === null && row.sessionId === s.id) {
        s.rootProcessId = row.id;
        this.dirtySessions.add(s);
      }
      return;
    }
    if (!agent || (this.opts.acceptAgent && !this.opts.acceptAgent(row))) return;
    const parentSession = row.sessionId !== null ? this.sessions.get(row.sessionId) : undefined;
    if (parentSession) return; // a child of an agent already tracked (e.g. node running claude's script)
    const s: SessionRow = {
      id: this.store.nextId('sessions'),
      agent,
      externalId: null,
      rootProcessId: row.id,
      title: `${agent} ${row.cwd ?? ''}`.trim(),
      startNs: row.execNs ?? row.startNs,
      endNs: null,
    };
    this.sessions.set(s.id, s);
    this.dirtySessions.add(s);
    row.sessionId = s.id;
    this.containers.label(row);
    this.opts.onAgent?.(row.pid, row.kstartNs);
  }

  /**
   * Decode and apply one native batch. Process records are decoded in place (offsets into the batch); records of
   * the other groups are handed to their handler as a RawRecord. Activity is counted per second of event time and
   * added to the store once per run of events in the same second rather than once per event.
   */
  onBatch(batch: RecordBatch): void {
    const { bytes, view } = batch;
    const end = bytes.length;
    let sec = -1;
    let secTs = 0; // an event time inside `sec` (sec * 1e9 need not be exact as a double)
    let secEvents = 0;
    let off = 0;
    while (off + 8 <= end) {
      const len = view.getUint32(off, true);
      const ring = view.getUint32(off + 4, true);
      const at = off + 8;
      if (at + len > end) {
        this.truncatedRecords++; // the native packer never does this; counted rather than assumed
        break;
      }
      off = at + ((len + 7) & ~7);
      this.records++;
      if (len < 24) {
        this.malformed++;
        continue;
      }
      const type = view.getUint16(at, true);
      if (type < 16) {
        const e = decodeProcessEventAt(bytes, view, at, len);
        if (!e) {
          this.malformed++;
          continue;
        }
        this.applyProcessEvent(e);
        const ts = this.unix(e.tsNs);
        const s = Math.floor(ts / 1e9);
        if (s !== sec) {
          if (secEvents > 0) this.store.addActivity(secTs, { procEvents: secEvents });
          sec = s;
          secTs = ts;
          secEvents = 0;
        }
        secEvents++;
        continue;
      }
      const rec: RawRecord = { ring, bytes: bytes.subarray(at, at + len), view: new DataView(view.buffer, at, len) };
      const h = decodeHeader(rec.view);
      const handler = this.handlers.find((x) => h.type >= x.types[0] && h.type <= x.types[1]);
      if (handler) handler.handle(rec, h, this);
      else this.malformed++;
    }
    if (secEvents > 0) this.store.addActivity(secTs, { procEvents: secEvents });
  }

  private applyProcessEvent(e: ProcessEvent): void {
    if (e.kind === 'fork') this.processes.onFork(e);
    else if (e.kind === 'exec') this.processes.onExec(e);
    else {
      const row = this.processes.onExit(e);
      if (row) for (const x of this.handlers) x.onProcessExit?.(row, this);
      if (row && this.opts.mode === 'system' && row.sessionId !== null) {
        const s = this.sessions.get(row.sessionId);
        if (s && s.rootProcessId === row.id) {
          s.endNs = row.exitNs;
          this.dirtySessions.add(s);
        }
      }
    }
  }

  /** Turn cumulative kernel/native counters into loss rows (deltas since the last call). */
  recordCounters(counters: Record<string, number>): void {
    for (const [name, value] of Object.entries(counters)) {
      const prev = this.lastKernelStats[name] ?? 0;
      if (value > prev) {
        const isLoss = !name.endsWith(':clipped') || name.startsWith('tls');
        // Clipped argv/paths are kept (marked clipped) rather than lost; they are counted all the same.
        this.loss(name, value - prev, 0, isLoss ? null : 'kept, clipped');
        this.lastKernelStats[name] = value;
      }
    }
  }

  /** The loss rows made from counters after these values were never committed (the store failed): make them again. */
  rewindCounters(committed: Readonly<Record<string, number>>): void {
    for (const k of Object.keys(this.lastKernelStats)) this.lastKernelStats[k] = committed[k] ?? 0;
  }

  /** Write what changed and commit. */
  tick(): void {
    if (this.malformed > 0) {
      this.loss('decode:malformed', this.malformed, 0, 'records that did not decode');
      this.malformed = 0;
    }
    for (const h of this.handlers) h.tick?.(this);
    this.processes.writeDirty();
    for (const s of this.dirtySessions) this.store.putSession(s);
    this.dirtySessions.clear();
    this.store.flush();
    // Links read the rows just committed.
    this.linker.tick();
    this.store.flush();
  }

  /** End of capture: close the record session. */
  finish(endNs: number): void {
    for (const h of this.handlers) h.finish?.(this);
    this.tick();
    this.linker.finish(endNs);
    if (this.recordSessionId !== null) {
      const s = this.sessions.get(this.recordSessionId);
      if (s) {
        s.endNs = endNs;
        this.dirtySessions.add(s);
      }
    }
    this.tick();
  }
}
