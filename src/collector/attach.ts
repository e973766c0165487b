/**
 * Attach a capture to processes that already run: `record -p PID` (that process and its descendants) and
 * `record -c COMM` (processes with that name and their descendants, running now and from now on).
 *
 * Order matters, because a traced process's children are added by the kernel at fork but a process forked before
 * its parent was traced is not: each target is added to the kernel's traced set first, then /proc is scanned again
 * for children until a scan finds nothing new. A child that is already in the traced set when the scan reaches it
 * was added by the kernel at fork — its fork record is on its way, so it is not seeded twice.
 *
 * For -c, new processes are caught in the kernel: the file group's task_rename hook (exec renames the task before
 * sched_process_exec fires) adds a process taking a filtered name to the traced set, so its exec record and all
 * its activity are captured without the collector racing the process.
 */
import fs from 'node:fs';
import { CaptureError, type BpfCapture } from './bpf-capture';
import type { Collector } from './collector';
import { bootTimeNs } from './files/process-for';

export class AttachError extends CaptureError {}

/** The kernel's comm is 15 bytes plus NUL; longer names are compared on their first 15 bytes, as pgrep does. */
export const COMM_MAX = 15;
const RESCANS = 8;

export interface AttachResult {
  /** pids attached (targets and descendants found in /proc), in parent-first order */
  pids: number[];
}

interface ProcEntry {
  pid: number;
  ppid: number;
  comm: string;
}

/** Every process in /proc with its parent and name (threads are not listed at the top level). */
export function listProcesses(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of fs.readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      out.push({ pid: Number(name), ppid: Number(stat.slice(close + 2).split(' ')[1]), comm: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // exited while we listed
    }
  }
  return out;
}

export class Attacher {
  private readonly attached = new Set<number>();

  constructor(private readonly capture: BpfCapture, private readonly collector: Collector) {}

  /** Trace pid and its descendants. Throws AttachError when pid does not exist or is agentsight itself. */
  attachPid(pid: number): AttachResult {
    if (pid === process.pid) throw new AttachError(`-p ${pid}: that is agentsight itself`);
    if (!fs.existsSync(`/proc/${pid}/stat`)) throw new AttachError(`-p ${pid}: no such process`);
    // a thread id names its process: trace the thread group
    const tgid = Number(/^Tgid:\s*(\d+)/m.exec(readOr(`/proc/${pid}/status`))?.[1] ?? pid);
    return this.attachTrees([tgid]);
  }

  /**
   * Trace processes named comm (running now and from now on) and their descendants. Returns those running now.
   * Needs the file group (its task_rename hook holds the comm filter).
   */
  watchComm(comm: string): AttachResult {
    const name = Buffer.from(comm, 'utf8').subarray(0, COMM_MAX);
    if (name.length === 0) throw new AttachError('-c: empty process name');
    if (!this.capture.loadedGroups.includes('file')) throw new AttachError('-c needs the file probe group (bpf/.output/file.bpf.o); run `make bpf`');
    const key = Buffer.alloc(16);
    name.copy(key);
    // any uid (bpf/file.h COMM_FILTER_ANY_UID)
    this.capture.host.mapUpdate('comm_filter', key, Buffer.from([0xff, 0xff, 0xff, 0xff]));
    const want = name.toString('utf8');
    const roots = listProcesses().filter((p) => p.comm === want && p.pid !== process.pid).map((p) => p.pid);
    return this.attachTrees(roots);
  }

  private attachTrees(roots: number[]): AttachResult {
    const order: number[] = [];
    const add = (pid: number) => {
      if (this.attached.has(pid)) return;
      this.attached.add(pid);
      if (this.inKernelSet(pid)) return; // traced at fork by the kernel (or by -c at exec): its record is coming
      this.capture.addTraced(pid);
      order.push(pid);
    };
    for (const r of roots) add(r);
    const wanted = new Set(roots);
    for (let i = 0; i < RESCANS; i++) {
      const procs = listProcesses();
      const children = new Map<number, number[]>();
      for (const p of procs) {
        const list = children.get(p.ppid);
        if (list) list.push(p.pid);
        else children.set(p.ppid, [p.pid]);
      }
      const before = order.length;
      const queue = [...wanted];
      while (queue.length > 0) {
        const pid = queue.shift()!;
        for (const c of children.get(pid) ?? []) {
          if (c === process.pid || wanted.has(c)) continue;
          wanted.add(c);
          add(c);
          queue.push(c);
        }
      }
      if (order.length === before && i > 0) break;
    }
    // Seed the process model parent-first so each child links to its parent's row.
    const boot = bootTimeNs();
    for (const pid of order) {
      const row = this.collector.processes.seedFromProc(pid, boot);
      /*
       * /proc start times are boot-time ticks (10 ms), the kernel's task start_time is CLOCK_MONOTONIC ns: they never
       * match, and the process model would take the next exec record for a new process. 0 = identity unknown.
       */
      if (!row) continue;
      row.kstartNs = 0;
      // Agent recognition and TLS probes on the file it runs, as its exec would have had: without them an attached
      // agent's own TLS (node, Bun, a Rust binary) is not decrypted, only counted.
      this.collector.adopt(row);
    }
    return { pids: order };
  }

  private inKernelSet(pid: number): boolean {
    const k = Buffer.alloc(4);
    k.writeUInt32LE(pid);
    return this.capture.host.mapLookup('shared_traced', k, 8) !== null;
  }
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export interface WaitOptions {
  /** Stop after this long. */
  durationMs?: number;
  /** Stop once no traced process is alive (-p, and -c when no new process may come is the caller's choice). */
  untilExit: boolean;
  /** Check interval. */
  pollMs?: number;
}

/**
 * Wait until the attached processes have all exited, the duration passed, or SIGINT/SIGTERM/SIGHUP arrived.
 * Resolves with what ended the wait.
 */
export function waitForTargets(collector: Collector, opts: WaitOptions): Promise<'exited' | 'duration' | 'signal'> {
  return new Promise((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const done = (why: 'exited' | 'duration' | 'signal') => {
      for (const t of timers) clearTimeout(t);
      for (const s of signals) process.off(s, onSignal);
      resolve(why);
    };
    const onSignal = () => done('signal');
    for (const s of signals) process.on(s, onSignal);
    if (opts.durationMs !== undefined) timers.push(setTimeout(() => done('duration'), opts.durationMs));
    if (opts.untilExit) {
      const check = setInterval(() => {
        if (collector.processes.liveCount() === 0) done('exited');
      }, opts.pollMs ?? 200);
      timers.push(check);
    }
  });
}

/** What `record -p/-c` asks for (the fields of RecordOptions this module reads). */
export interface AttachRequest {
  pid?: number[];
  comm?: string;
  /** --container (containers/container-scope.ts): like -c, new processes may come until --duration or a signal */
  container?: string;
  /** seconds */
  duration?: number;
}

/** Human title of an attach-only recording. */
export function attachTitle(req: AttachRequest): string {
  const parts = [
    ...(req.pid ?? []).map((p) => `-p ${p}`),
    ...(req.comm !== undefined ? [`-c ${req.comm}`] : []),
    ...(req.container !== undefined ? [`--container ${req.container}`] : []),
  ];
  return `attach ${parts.join(' ')}`.trim();
}

/** Attach a running capture to the -p/-c targets; returns the pids attached now. */
export function attachFromOptions(runner: { capture: BpfCapture; collector: Collector }, req: AttachRequest): number[] {
  const a = new Attacher(runner.capture, runner.collector);
  const pids: number[] = [];
  for (const p of req.pid ?? []) pids.push(...a.attachPid(p).pids);
  if (req.comm !== undefined) pids.push(...a.watchComm(req.comm).pids);
  return pids;
}

/**
 * The attach-only recording's "child exit": -p alone ends when the attached tree has exited; -c keeps waiting for
 * new processes of that name until --duration or a signal. Exit status 0 (nothing of ours ran).
 */
/** How an attach-only recording ended, for an honest closing line: the targets are not ours to have "exited 0". */
export interface AttachEnd {
  code: number;
  signal: null;
  error?: Error;
  ended: 'exited' | 'duration' | 'signal';
  /** Traced processes still alive when recording stopped. */
  stillRunning: number;
}

export async function waitAttached(collector: Collector, req: AttachRequest): Promise<AttachEnd> {
  const ended = await waitForTargets(collector, {
    durationMs: req.duration !== undefined ? req.duration * 1000 : undefined,
    untilExit: req.comm === undefined && req.container === undefined,
  });
  return { code: 0, signal: null, ended, stillRunning: collector.processes.liveCount() };
}

/** "every traced process exited", "stopped at --duration, 3 processes still running", … */
export function attachEndText(end: Pick<AttachEnd, 'ended' | 'stillRunning'>): string {
  const running = end.stillRunning === 1 ? '1 process still running' : `${end.stillRunning} processes still running`;
  if (end.ended === 'exited') return 'every traced process exited';
  return `${end.ended === 'duration' ? 'stopped at --duration' : 'stopped by a signal'}${end.stillRunning > 0 ? `, ${running}` : ''}`;
}
