/**
 * The BPF side of a capture, seen from TypeScript: loads every probe group's object, attaches each program on its
 * own (so one refused program type leaves the rest working — this kernel refuses kprobes and fentry, for example),
 * manages the traced set, and turns native batches into records for the decoders.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AGENTSIGHT_CFG, STATS, STAT_MAX } from './decode/layout';
import { missingRequirement } from './system-requirements';
import { startupMark } from './startup-trace';
import { BPF_OBJECT_DIR, bpfObjectPath, loadAddon, NativeMissingError, type DeliveryStats, type NativeBpfHost, type YieldOptions } from '../native/addon';

export interface CaptureOptions {
  /** Emit process events for every process (system-wide `top`), not only the traced tree. */
  allProcesses: boolean;
  /** Size of the process/file/network ring (power of two). */
  eventRingBytes?: number;
  /** Size of the TLS payload ring (power of two). */
  tlsRingBytes?: number;
  /** MCP stdio payload ring (pipe.bpf.c): whole JSON-RPC messages; default 64 MiB. */
  pipeRingBytes?: number;
  /** Pending bytes before the kernel wakes the consumer. */
  wakeupBytes?: number;
  /** Probe groups to load (bpf/<name>.bpf.c). Default: every object that was built. */
  groups?: string[];
}

export interface ProgramStatus {
  object: string;
  name: string;
  section: string;
  attached: boolean;
  error?: string;
}

/** One record of a batch: its bytes (a view into the batch) and the ring it came from. */
export interface RawRecord {
  ring: number;
  bytes: Uint8Array;
  view: DataView;
}

/**
 * One native batch: packed records, each [u32 len][u32 ring][len bytes][pad to 8]. `view` covers the whole
 * ArrayBuffer (bytes starts at its offset 0).
 */
export interface RecordBatch {
  bytes: Buffer;
  view: DataView;
  /** Records in the batch, as counted by the native packer. */
  records?: number;
}

export class CaptureError extends Error {}

/*
 * 2 MiB, not more: a BPF program's bpf_ringbuf_output writes into ring memory the consumer last read one lap ago. With
 * 16 MiB that memory was cold and every record paid its cache misses (file capture: 1.22 -> 0.91-0.95 µs of BPF time
 * per record with 2 MiB or 1 MiB, tar bench, kernel accounting). The poll thread drains the ring at normal priority
 * into user-space batches, so 2 MiB is ~150 ms of the heaviest file workload measured (~14 MB/s); overflow is
 * counted (`ringbuf:events`), and `record --ring-bytes` raises it.
 */
const DEFAULT_EVENT_RING = 2 << 20;
const DEFAULT_TLS_RING = 64 << 20;
/**
 * MCP over stdio (bpf/pipe.bpf.c). 64 MiB as for TLS: with 16 MiB, a burst of 64 one-MiB JSON-RPC messages written
 * back to back lost 49 of them to a full ring (src/bench/mcp-bench.ts); losses are counted (`ringbuf:pipe`).
 */
const DEFAULT_PIPE_RING = 64 << 20;
// Waking the consumer per record made a syscall-heavy traced program 2.4-4x slower; one wakeup per 64 KiB kept
// it near 1.3x (the poll thread's 10 ms timeout picks up the rest).
const DEFAULT_WAKEUP = 64 << 10;

/** Probe groups in load order: `process` first because it creates the shared_* maps the others reuse. */
const GROUP_ORDER = ['process', 'file', 'net', 'tls', 'pipe'];

/**
 * Programs a group can do without: typed tracepoints of optional kernel features (a kernel without io_uring has no
 * io_uring_complete to attach to, and cannot run io_uring either). When a group fails to load, it is loaded again
 * without these; they then show as not attached, with the first load's error.
 */
const OPTIONAL_PROGRAMS: Readonly<Record<string, readonly string[]>> = {
  file: ['handle_io_uring_complete', 'handle_io_uring_submit_req'],
};

/** Loads begun ahead of open() by BpfCapture.preload: the host, what it was asked, and what open() needs of it. */
interface Preload {
  key: string;
  addon: ReturnType<typeof loadAddon>;
  host: NativeBpfHost;
  groups: string[];
  cfg: Buffer;
  ringBytes: Record<string, number>;
}

let preloaded: Preload | null = null;

export class BpfCapture {
  readonly programs: ProgramStatus[] = [];
  readonly loadedGroups: string[] = [];
  /** Unix ns − CLOCK_MONOTONIC ns: add to a BPF timestamp to get wall time. */
  readonly clockOffsetNs: number;
  private started = false;
  private closed = false;

  private constructor(readonly host: NativeBpfHost, clockOffsetNs: number) {
    this.clockOffsetNs = clockOffsetNs;
  }

  /**
   * Start loading the probe groups now, on native threads, all at once: `record` calls this before it loads its own
   * modules and creates the recording, which then happens while the kernel verifies the programs; open() with the
   * same options takes the result. Nothing happens (open() reports why later) when a requirement is missing. The
   * kernel objects belong to this process alone, like open()'s: an exit frees them.
   */
  static preload(opts: CaptureOptions): void {
    if (preloaded !== null || missingRequirement() !== null) return;
    try {
      preloaded = startLoads(opts);
    } catch {
      preloaded = null; // open() loads again and says why
      return;
    }
    // Never opened (record stopped at a bad argument): the loading threads are joined before the process exits.
    process.once('exit', joinUnusedPreload);
  }

  static open(opts: CaptureOptions): BpfCapture {
    let pre = preloaded;
    preloaded = null;
    process.off('exit', joinUnusedPreload);
    if (pre !== null && pre.key !== loadKey(opts)) {
      pre.host.close();
      pre = null;
    }
    if (pre === null) {
      // A kernel without BTF or tracefs would fail deep inside libbpf: say what is missing in one line instead.
      const missing = missingRequirement();
      if (missing !== null) throw new NativeMissingError(missing);
      startupMark('system requirements checked');
      pre = startLoads(opts);
    }
    const { addon, host, groups, cfg, ringBytes } = pre;
    const cap = new BpfCapture(host, Number(addon.clockOffsetNs()));
    try {
      const parallel = host.loadFinish();
      startupMark(`load ${groups.join(', ')} (in parallel: maps, verifier)`);
      for (const [i, group] of groups.entries()) {
        const optional = OPTIONAL_PROGRAMS[group] ?? [];
        let firstError: string | null = null;
        const done = parallel[i];
        const res = done !== undefined && !('error' in done) ? done : (() => {
          // Failed with the others (or busy: EAGAIN): alone, retried, and with libbpf's log for the error.
          try {
            return loadWithRetry(() => host.load(bpfObjectPath(group), cfg, { ringBytes }));
          } catch (err) {
            if (optional.length === 0) throw err;
            firstError = oneLine(err);
            return loadWithRetry(() => host.load(bpfObjectPath(group), cfg, { ringBytes, disable: [...optional] }));
          }
        })();
        cap.loadedGroups.push(group);
        for (const p of res.programs) {
          // uprobes are attached per binary by the TLS layer; lazy_* programs only when a feature needs them.
          if (p.section.startsWith('uprobe') || p.section.startsWith('uretprobe') || p.name.startsWith('lazy_')) {
            cap.programs.push({ object: group, name: p.name, section: p.section, attached: false });
            continue;
          }
          if (firstError !== null && optional.includes(p.name)) {
            cap.programs.push({ object: group, name: p.name, section: p.section, attached: false, error: `not loaded: ${firstError}` });
            continue;
          }
          try {
            host.attach(p.name);
            cap.programs.push({ object: group, name: p.name, section: p.section, attached: true });
          } catch (err) {
            cap.programs.push({ object: group, name: p.name, section: p.section, attached: false, error: oneLine(err) });
          }
        }
      }
    } catch (err) {
      host.close();
      throw new CaptureError(explainLoadFailure(err));
    }
    startupMark('attached');
    if (!cap.programs.some((p) => p.object === 'process' && p.attached)) {
      const why = cap.programs.find((p) => p.error)?.error ?? 'unknown reason';
      host.close();
      throw new CaptureError(`cannot attach process tracepoints: ${why}`);
    }
    return cap;
  }

  /** Trace this process and, from now on, its descendants (kstartNs: its kernel start time, for identity). */
  addTraced(tgid: number, kstartNs = 0): void {
    const k = Buffer.alloc(4);
    k.writeUInt32LE(tgid);
    const v = Buffer.alloc(8);
    v.writeBigUInt64LE(BigInt(kstartNs));
    this.host.mapUpdate('shared_traced', k, v);
  }

  /** Children of this process are traced; the process itself is not (agentsight's own `record`). */
  addSeed(tgid: number): void {
    const k = Buffer.alloc(4);
    k.writeUInt32LE(tgid);
    this.host.mapUpdate('shared_seeds', k, Buffer.from([1]));
  }

  removeSeed(tgid: number): void {
    const k = Buffer.alloc(4);
    k.writeUInt32LE(tgid);
    this.host.mapDelete('shared_seeds', k);
  }

  /** Deliver every native batch as it arrives; Collector.onBatch splits it into records. */
  start(onBatch: (batch: RecordBatch) => void, opts?: { pollMs?: number; batchRecords?: number }): void {
    this.started = true;
    this.host.start(
      // A Buffer view (no copy): decoders use its native string methods; one DataView serves the whole batch.
      (ab, records) => onBatch({ bytes: Buffer.from(ab), view: new DataView(ab), records }),
      { pollMs: opts?.pollMs ?? 10, batchRecords: opts?.batchRecords ?? 4096 },
    );
  }

  /** In-kernel loss/clip counters summed over CPUs, by name. */
  kernelStats(): Record<string, number> {
    const sums = this.host.percpuSums('shared_stats', STAT_MAX);
    const out: Record<string, number> = {};
    STATS.forEach((name, i) => (out[name] = sums[i] ?? 0));
    return out;
  }

  /**
   * Let the traced program have the CPU first: while on, the collector's threads run at nice 19 and only the poll
   * thread (which drains the kernel rings) keeps its priority; a backlog past 64 MiB brings the collector back to
   * normal priority until it has caught up (native/yield-policy.cc Round). Turn it on only after the traced
   * command is spawned: a child forked from a yielding thread would inherit nice 19. With `untilExitOf` (a child's
   * pid) the poll thread ends the yielding as soon as that child exits, so the recording finishes at full speed even
   * while this thread is still waiting for CPU to handle the exit. While the rest of the machine is busy, batches are
   * even held back from this thread (no decoding, no SQLite) until it is quiet or the command exits: on this machine
   * kind any CPU the collector uses slows the traced program, SCHED_IDLE or not (native/yield-policy.cc HoldDecision).
   */
  yieldToWorkload(on: boolean, opts?: YieldOptions): void {
    this.host.setYield(on, opts);
  }

  deliveryStats(): DeliveryStats {
    return this.host.stats();
  }

  /** Every batch applied so far is committed to the store: the age bound of native/poll-thread.cc UpdateDurability. */
  committed(): void {
    if (this.started) this.host.committed();
  }

  /**
   * Unix ns before which every record the kernel made has been applied (or counted as dropped): a commit made now is
   * complete up to here. Null before the first poll round. Rows of what happened after it may be in the commit too.
   */
  appliedThroughNs(): number | null {
    if (!this.started) return null;
    const mono = this.host.appliedThroughNs();
    return mono === 0n ? null : Number(mono) + this.clockOffsetNs;
  }

  /**
   * Stop polling: every record already in the rings is delivered before this returns (queued callbacks run after).
   * The links are destroyed in the background from now on, unless `unlink: false` (for handOff).
   */
  stop(opts: { unlink?: boolean } = {}): void {
    if (this.started) this.host.stop(opts.unlink ?? true);
    this.started = false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    this.host.close();
  }

  /**
   * For a process about to exit: release the kernel side without waiting for it (native/hand-off.h; the
   * probes' teardown takes seconds of kernel waiting, done by a forked child after this process has gone).
   */
  handOff(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop({ unlink: false });
    this.host.handOff();
  }
}

function joinUnusedPreload(): void {
  preloaded?.host.close();
  preloaded = null;
}

/** What decides the loads: open() takes a preload only when asked the same. */
function loadKey(opts: CaptureOptions): string {
  return JSON.stringify([opts.allProcesses, opts.eventRingBytes, opts.tlsRingBytes, opts.pipeRingBytes, opts.wakeupBytes, opts.groups]);
}

/** The addon opened, a host made, and every probe group's object loading on a native thread of its own. */
function startLoads(opts: CaptureOptions): Preload {
  const addon = loadAddon();
  const host = new addon.BpfHost();
  startupMark('addon opened');
  const cfg = Buffer.alloc(AGENTSIGHT_CFG.size);
  cfg.writeUInt32LE(process.pid, AGENTSIGHT_CFG.fields.self_tgid[0]);
  cfg.writeUInt32LE(opts.allProcesses ? 1 : 0, AGENTSIGHT_CFG.fields.all_processes[0]);
  cfg.writeUInt32LE(opts.wakeupBytes ?? DEFAULT_WAKEUP, AGENTSIGHT_CFG.fields.wakeup_bytes[0]);
  const available = fs.existsSync(BPF_OBJECT_DIR)
    ? fs.readdirSync(BPF_OBJECT_DIR).filter((f) => f.endsWith('.bpf.o')).map((f) => f.slice(0, -'.bpf.o'.length))
    : [];
  // Only the product's probe groups by default (bench.bpf.o is loaded by the benchmark alone).
  const wanted = opts.groups ?? available.filter((g) => GROUP_ORDER.includes(g));
  const ordered = [...GROUP_ORDER.filter((g) => wanted.includes(g)), ...wanted.filter((g) => !GROUP_ORDER.includes(g))];
  if (!ordered.includes('process')) ordered.unshift('process');
  // `process` is always tried (its absence is the error open() reports); the others only when built.
  const groups = ordered.filter((g) => g === 'process' || available.includes(g));
  const ringBytes = {
    shared_events: opts.eventRingBytes ?? DEFAULT_EVENT_RING,
    tls_events: opts.tlsRingBytes ?? DEFAULT_TLS_RING,
    pipe_events: opts.pipeRingBytes ?? DEFAULT_PIPE_RING,
  };
  // A missing object fails to open on its thread; open() then loads it alone, which names what to do.
  host.loadStart(groups.map((g) => path.join(BPF_OBJECT_DIR, `${g}.bpf.o`)), cfg, { ringBytes });
  return { key: loadKey(opts), addon, host, groups, cfg, ringBytes };
}

/**
 * Program loads have been seen to fail with EAGAIN while another BPF load is in progress on the machine (two
 * captures starting together); a short retry gets through.
 */
function loadWithRetry<T>(load: () => T): T {
  for (let attempt = 0; ; attempt++) {
    try {
      return load();
    } catch (err) {
      if (attempt >= 10 || !/Resource temporarily unavailable/.test(String((err as Error).message))) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200 * (attempt + 1));
    }
  }
}

function oneLine(err: unknown): string {
  return String((err as Error).message ?? err).split('\n').filter(Boolean).slice(0, 2).join(' ').trim();
}

function explainLoadFailure(err: unknown): string {
  const msg = oneLine(err);
  if (/Operation not permitted|EPERM/.test(msg)) {
    return `${msg} — loading BPF programs needs root (CAP_BPF, CAP_PERFMON; uprobes also CAP_SYS_ADMIN)`;
  }
  return msg;
}
