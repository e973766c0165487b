/**
 * The native addon's surface, typed once, and its loader. The C++ side (native/addon.cc) only sees values the
 * TypeScript wrapper (bpf-session.ts) has validated.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ProgramInfo {
  name: string;
  section: string;
  loaded: boolean;
}

export interface LoadResult {
  name: string;
  programs: ProgramInfo[];
}

export interface DeliveryStats {
  /** records JS has received (counted on its thread, so also batches handed on before a hold began) */
  deliveredRecords: number;
  /** records the poll thread has handed on to JS (none while a hold lasts) */
  releasedRecords: number;
  deliveredBatches: number;
  droppedBatches: number;
  droppedRecords: number;
  droppedBytes: number;
  queuedBytes: number;
  /** The collector's threads run at nice 19 right now (see setYield). */
  yielding: boolean;
  /** Times the backlog passed the high mark and the collector went back to normal priority. */
  yieldCatchups: number;
  /** Times an exec of a not yet handled file sent the collector back to normal priority (see watchExecs). */
  execBoosts: number;
  /** Batches are being held on the poll thread while the machine is busy (see setYield). */
  holding: boolean;
  /** Times holding started, and ms spent holding (periods that have ended). */
  holds: number;
  /** Batches kept back by a hold, released in order afterwards. */
  heldBatches: number;
  heldMs: number;
  /** Times the oldest uncommitted batch reached durableMs and the collector stopped yielding to commit it. */
  ageBoosts: number;
  /** Times normal priority was not enough and the collector ran above the workload (nice -10) to commit. */
  urgentBoosts: number;
  /** The largest age, in ms, the oldest uncommitted batch reached (what a kill -9 at the worst moment loses). */
  maxUncommittedMs: number;
}

export interface YieldOptions {
  /** Backlog bytes past which the collector catches up at normal priority, and where it yields again. */
  highBytes?: number;
  lowBytes?: number;
  /** A child pid whose exit ends the yielding. */
  untilExitOf?: number;
  /**
   * Hold batches (no JS work at all) while other processes use at least this share of all CPUs (default 0.25; 0: never
   * hold), while the oldest uncommitted batch is younger than holdMaxMs (default 250).
   */
  holdBusy?: number;
  holdMaxMs?: number;
  /** Age of the oldest uncommitted batch at which the collector stops yielding until it has committed (default 400; at 8/5 of it the collector runs above the workload). */
  durableMs?: number;
}

export interface NativeBpfHost {
  load(objPath: string, cfg: Buffer, opts?: { disable?: string[]; ringBytes?: Record<string, number> }): LoadResult;
  /** Load every object at once, each on a thread of its own (shared_* maps created first); loadFinish() waits. */
  loadStart(objPaths: string[], cfg: Buffer, opts?: { ringBytes?: Record<string, number> }): void;
  /** The loads of loadStart, in its order: a result, or why the object failed (then load() it alone for the log). */
  loadFinish(): Array<LoadResult | { error: string }>;
  attach(program: string): number;
  attachUprobe(program: string, binary: string, fileOffset: number, retprobe: boolean, pid: number): number;
  detach(link: number): void;
  mapUpdate(map: string, key: Buffer, value: Buffer): void;
  mapDelete(map: string, key: Buffer): boolean;
  mapLookup(map: string, key: Buffer, valueSize: number): Buffer | null;
  percpuSums(map: string, entries: number): number[];
  start(
    onBatch: (batch: ArrayBuffer, records: number) => void,
    opts?: { batchBytes?: number; batchRecords?: number; pollMs?: number; queueCapBytes?: number },
  ): void;
  /** Stop reading the rings; with unlink (default) the links are destroyed in the background from now on. */
  stop(unlink?: boolean): void;
  close(): void;
  /** Release the kernel side without waiting for it (a forked child does the teardown): before process exit. */
  handOff(): boolean;
  stats(): DeliveryStats;
  /** Yield the CPU to the traced program while the backlog is small (native/yield-policy.cc Round, HoldDecision). */
  setYield(on: boolean, opts?: YieldOptions): void;
  /** Suspend yielding while a batch holding an exec of a file not yet passed to knownExe() waits for JS. */
  watchExecs(on: boolean): void;
  /** This exec'd file has been handled (its TLS probes, if any, are attached). */
  knownExe(path: string): void;
  /**
   * Hold traced processes at the exec of a file not yet in exec_handled of at least minBytes, until released (JS) or
   * timeoutMs has passed (the guard process, native/exec-guard.h). false: no hold (no guard could be started).
   */
  execHold(minBytes: number, timeoutMs: number): boolean;
  /** Hold nothing more and continue every process still held; returns how many. */
  execHoldStop(): number;
  /** Everything JS has applied so far is committed (call right after a successful commit: see durableMs). */
  committed(): void;
  /** CLOCK_MONOTONIC ns before which every kernel record has been applied by JS or counted as dropped (0n: not yet). */
  appliedThroughNs(): bigint;
}

export interface NativeAddon {
  BpfHost: new () => NativeBpfHost;
  clockOffsetNs(): bigint;
  monotonicNs(): bigint;
  setLogEcho(on: boolean): void;
  /** Exit now with this status, after node's stdio reset and nothing else; false when that reset cannot be found. */
  exitNow(code: number): boolean;
  /** The kernel's record of who connected a unix socket (SO_PEERCRED), or null. */
  peerCred(fd: number): { pid: number; uid: number; gid: number } | null;
  eventHeaderSize: number;
}

/** Repository / package root (dist/native/addon.js → ../..). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

export const BPF_OBJECT_DIR = path.join(PACKAGE_ROOT, 'bpf', '.output');

export class NativeMissingError extends Error {}

let cached: NativeAddon | undefined;

/** The addon if this process has loaded it, without loading it (~30 ms). */
export function loadedAddon(): NativeAddon | undefined {
  return cached;
}

export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const candidates = [
    path.join(PACKAGE_ROOT, 'build', 'Release', 'agentsight.node'),
    path.join(PACKAGE_ROOT, 'build', 'Debug', 'agentsight.node'),
  ];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new NativeMissingError(`no native addon (tried ${candidates.join(', ')}); run \`make setup\` in ${PACKAGE_ROOT}`);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = require(found) as NativeAddon;
  } catch (err) {
    // The addon links libbpf and libelf dynamically (Debian's static libbpf is not position-independent).
    const lib = /(lib[\w.+-]+\.so[\d.]*): cannot open shared object file/.exec(String((err as Error).message));
    const pkg: Record<string, string> = { 'libbpf.so.1': 'libbpf1', 'libelf.so.1': 'libelf1', 'libz.so.1': 'zlib1g' };
    if (lib) throw new NativeMissingError(`the native addon needs ${lib[1]}${pkg[lib[1]!] ? ` (Debian/Ubuntu: apt install ${pkg[lib[1]!]})` : ''}`);
    throw new NativeMissingError(`the native addon ${found} does not load: ${String((err as Error).message).split('\n')[0]}`);
  }
  return cached;
}

export function bpfObjectPath(name: string): string {
  const p = path.join(BPF_OBJECT_DIR, `${name}.bpf.o`);
  if (!fs.existsSync(p)) throw new NativeMissingError(`no BPF object ${p}; run \`make setup\` in ${PACKAGE_ROOT}`);
  return p;
}
