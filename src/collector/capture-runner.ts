/**
 * A running capture: BPF capture + collector + the commit timer, with the one shutdown path that guarantees every
 * record the kernel produced is decoded, counted and committed before the recording is finalised.
 */
import { isSqliteFailure } from '../store/errors';
import { META_HEARTBEAT, META_STORE_FAILED, META_STORE_FAILED_NS, recorderIdentity } from '../store/recording-state';
import { BpfCapture, type CaptureOptions, type RecordBatch } from './bpf-capture';
import { Collector, type CollectorOptions, type RecordHandler } from './collector';
import { defaultHandlers } from './handlers';
import type { CaptureStore } from './collector';
import { DEFAULT_HOLD_TIMEOUT_MS } from './tls/exec-hold';
import { TlsAttacher, type AttachReport } from './tls/tls-attacher';

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

/** The heartbeat's cadence when nothing else changes (see commit). */
const HEARTBEAT_MS = 1000;
/**
 * The commit interval after a commit that found nothing new (no record, no counter moved): the heartbeat's own
 * cadence. Live `top` on a quiet machine woke 5 times a second to read 16 loss counters and commit nothing
 * (BENCHMARKS.md, "Live `top` at rest"); the first batch to arrive brings back tickMs at once.
 */
const QUIET_TICK_MS = HEARTBEAT_MS;

export interface RunnerOptions extends CaptureOptions {
  mode: CollectorOptions['mode'];
  title?: string;
  /** System mode: the agent table, and which recognised agents start a session (CollectorOptions). */
  agentPatterns?: CollectorOptions['agentPatterns'];
  acceptAgent?: CollectorOptions['acceptAgent'];
  /** System mode: watch these processes as the agents (`top -p/-c`). */
  watch?: CollectorOptions['watch'];
  /** Commit interval. */
  tickMs?: number;
  /** Extra record handlers (files, network, TLS) built once the capture exists. */
  handlers?: (capture: BpfCapture, collector: Collector) => RecordHandler[];
  /** What TLS discovery found for a notable file (the recorded program, an agent …). */
  onTlsReport?: (r: AttachReport) => void;
  /** TLS discovery cache directory. */
  tlsCacheDir?: string;
  /**
   * The store could not write (disk full, I/O error, file removed): from then on records are counted, not stored,
   * and the capture goes on. Called once, on the collector's thread.
   */
  onStoreFailure?: (failure: StoreFailure) => void;
}

export interface StoreFailure {
  /** SQLite's result code (SQLITE_FULL, SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED …) and message. */
  code: string;
  message: string;
  atNs: number;
}

/** Records that could not be stored after the store failed: one loss row at the end (StoreFailure). */
export const STORE_FAILED_LOSS = 'store:failed';

export class CaptureRunner {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly tickMs: number;
  /** The timer runs at QUIET_TICK_MS: the last commit found nothing new and no batch has arrived since. */
  private quiet = false;
  private lastCommitMs = Date.now();
  private lastHeartbeatMs = 0;
  /** Collector records and native counters as of the last successful commit. */
  private recordsAtCommit = 0;
  private countersAtCommit: Record<string, number> = {};
  private onStoreFailure?: (failure: StoreFailure) => void;
  /** Set once the store has failed to write; records are then only counted (unstoredRecords). */
  storeFailure: StoreFailure | null = null;
  /** Records applied but rolled back by the failed commit, plus every record received after it. */
  unstoredRecords = 0;

  private constructor(readonly capture: BpfCapture, readonly collector: Collector, readonly tls: TlsAttacher, private readonly store: CaptureStore, tickMs: number) {
    this.tickMs = tickMs;
  }

  static start(store: CaptureStore, opts: RunnerOptions): CaptureRunner {
    const capture = BpfCapture.open(opts);
    let runner: CaptureRunner | undefined;
    const collector = new Collector(store, {
      clockOffsetNs: capture.clockOffsetNs,
      mode: opts.mode,
      title: opts.title,
      agentPatterns: opts.agentPatterns,
      acceptAgent: opts.acceptAgent,
      watch: opts.watch,
      onAgent: (tgid, kstart) => capture.addTraced(tgid, kstart),
    });
    for (const h of (opts.handlers ?? defaultHandlers)(capture, collector)) collector.addHandler(h);
    store.putMeta('capture_programs', JSON.stringify(capture.programs));
    store.putMeta('clock_offset_ns', String(capture.clockOffsetNs));
    // Who records, so a reader can tell a recording in progress from one whose recorder is gone (recording-state.ts).
    for (const [k, v] of Object.entries(recorderIdentity())) store.putMeta(k, v);
    const tls = new TlsAttacher(capture, collector, { cacheDir: opts.tlsCacheDir, onReport: opts.onTlsReport });
    // New binaries of traced processes get their TLS probes as they appear (system mode: agent families only).
    collector.onProcessExec = (row, isAgent) => {
      tls.onExec(row, isAgent, opts.mode === 'record' || row.sessionId !== null);
    };
    runner = new CaptureRunner(capture, collector, tls, store, opts.tickMs ?? 200);
    runner.onStoreFailure = opts.onStoreFailure;
    capture.start((batch) => runner!.onBatch(batch));
    runner.arm(runner.tickMs);
    return runner;
  }

  private arm(ms: number): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), ms);
    this.timer.unref();
  }

  private counters(): Record<string, number> {
    const k = this.capture.kernelStats();
    const d = this.capture.deliveryStats();
    return { ...k, 'queue:js': d.droppedRecords, 'decode:batch-truncated': this.collector.truncatedRecords };
  }

  /**
   * Apply one batch. A commit is due every tickMs: the timer does it, and so does a batch arriving late — a busy
   * JS thread runs queued batches back to back and its timers late, and what is not committed dies with the process
   * (the age bound of native/poll-thread.cc UpdateDurability counts on commits while batches arrive).
   */
  private onBatch(batch: RecordBatch): void {
    if (this.quiet && !this.stopped) {
      this.quiet = false;
      this.arm(this.tickMs);
    }
    if (this.storeFailure) {
      this.unstoredRecords += batch.records ?? 0;
      this.capture.committed(); // nothing left to commit: no reason to stop yielding for it
      return;
    }
    try {
      this.collector.onBatch(batch);
    } catch (err) {
      if (!isSqliteFailure(err)) throw err;
      this.fail(err);
      this.unstoredRecords += batch.records ?? 0;
      return;
    }
    if (Date.now() - this.lastCommitMs >= this.tickMs) this.tick();
  }

  tick(): void {
    if (this.stopped) return;
    // After a failure nothing is committed, and nothing waits to be: the age bound has nothing to hurry.
    if (this.storeFailure) this.capture.committed();
    else this.commit();
  }

  private commit(): void {
    const counters = this.counters();
    const now = Date.now();
    try {
      this.collector.recordCounters(counters);
      // Where a recording whose recorder dies stops: not this commit's time but the moment before which every record
      // the kernel made is in it (the poll thread's mark), so a reader never takes held or queued records for
      // recorded ones, however late the commit. At most once a second when nothing else changed (an idle agent
      // would otherwise commit 5 times a second for nothing). Half a tick early: quiet ticks come every HEARTBEAT_MS
      // by the timer's clock, which may be a millisecond short by Date.now().
      const through = this.capture.appliedThroughNs();
      if (through !== null && (this.collector.records !== this.recordsAtCommit || now - this.lastHeartbeatMs >= HEARTBEAT_MS - this.tickMs / 2)) {
        this.store.putMeta(META_HEARTBEAT, String(through));
        this.lastHeartbeatMs = now;
      }
      this.collector.tick();
    } catch (err) {
      if (!isSqliteFailure(err)) throw err;
      this.fail(err);
      return;
    }
    const quiet = this.collector.records === this.recordsAtCommit && sameCounters(counters, this.countersAtCommit);
    this.lastCommitMs = now;
    this.recordsAtCommit = this.collector.records;
    this.countersAtCommit = counters;
    this.capture.committed();
    if (quiet !== this.quiet && !this.stopped) {
      this.quiet = quiet;
      this.arm(quiet ? QUIET_TICK_MS : this.tickMs);
    }
  }

  /** The store failed: say so once, drop what it could not take, and count from here instead of storing. */
  fail(err: Error & { code: string }): void {
    if (this.storeFailure) return;
    this.storeFailure = { code: err.code, message: err.message.split('\n')[0]!, atNs: Date.now() * 1e6 };
    this.unstoredRecords += this.collector.records - this.recordsAtCommit;
    try {
      this.store.abandonPending();
    } catch {
      // the rollback of a failed commit may fail too (file gone); nothing of it was committed either way
    }
    this.collector.rewindCounters(this.countersAtCommit);
    this.capture.committed();
    this.onStoreFailure?.(this.storeFailure);
  }

  /**
   * After a store failure, at the end: write the little that says what happened — loss rows (the records not stored,
   * the counters since the last commit), the failure and the given meta (end time, exit status) — in one small
   * transaction, then leave WAL mode if there is room. Call after freeing space (see SpaceReserve). False: nothing
   * could be written.
   */
  salvage(meta: Record<string, string>): boolean {
    const failure = this.storeFailure;
    if (!failure) return false;
    try {
      this.store.abandonPending();
      this.collector.recordCounters(this.counters());
      // At the failure's time (the timeline shows where the recording stopped holding what happened).
      const detail = `${failure.code}: ${failure.message}`;
      if (this.unstoredRecords > 0) {
        this.store.addLoss({ id: this.store.nextId('losses'), tsNs: failure.atNs, source: STORE_FAILED_LOSS, processId: null, connId: null, count: this.unstoredRecords, bytes: 0, detail });
        this.store.addActivity(failure.atNs, { losses: this.unstoredRecords });
      }
      this.store.putMeta(META_STORE_FAILED, detail);
      this.store.putMeta(META_STORE_FAILED_NS, String(failure.atNs));
      // The loss rows just made are part of the recording: its end is not before them.
      const end = { ...meta };
      if (end['end_ns'] !== undefined) end['end_ns'] = String(Math.max(Number(end['end_ns']), Date.now() * 1e6));
      for (const [k, v] of Object.entries(end)) this.store.putMeta(k, v);
      this.store.flush();
    } catch {
      try {
        this.store.abandonPending();
      } catch {
        // nothing more to do
      }
      return false;
    }
    this.store.finalizeAfterFailure();
    return true;
  }


  /**
   * Stop capturing; resolves once every delivered batch has been applied and committed. The kernel side is released
   * too, unless keepOpen: then the probes' links are still being destroyed in the background (seconds: see
   * native/loader.cc DestroyLinks) while the caller finishes its own work, and close() waits for that. With
   * handOff (and keepOpen) nothing is released yet: close({ handOff: true }) leaves that to a child process.
   */
  async stop(opts: { keepOpen?: boolean; handOff?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.capture.stop({ unlink: !opts.handOff });
    // Batches the poll thread queued before it stopped arrive as callbacks on this thread: let them run.
    for (let i = 0; i < 10_000 && this.capture.deliveryStats().queuedBytes > 0; i++) {
      await new Promise((r) => setImmediate(r));
    }
    if (!this.storeFailure) {
      try {
        this.collector.recordCounters(this.counters());
        this.recordExecHold();
        this.collector.finish(Date.now() * 1e6);
        this.capture.committed();
      } catch (err) {
        if (!isSqliteFailure(err)) throw err;
        this.fail(err);
      }
    }
    if (!opts.keepOpen) this.capture.close();
  }

  /**
   * What the exec hold did (meta exec_hold), and the processes it let go before their probes were in (losses). Execs
   * not held (notHeld: another process group, ptrace) are a risk, not a loss: most such programs make no TLS call, and
   * a TLS connection without plaintext is what counts as the loss.
   */
  private recordExecHold(): void {
    const f = this.tls.finish();
    if (!f) return;
    this.collector.store.putMeta('exec_hold', JSON.stringify({ ...f, totalMs: round1(f.totalMs), maxMs: round1(f.maxMs) }));
    this.collector.loss('tls:before-attach', f.timeouts, 0, `held past ${DEFAULT_HOLD_TIMEOUT_MS / 1000} s at exec: continued before its TLS probes were attached`);
  }

  /**
   * Release the kernel side (after stop({ keepOpen: true })). With handOff, for a process about to exit: without
   * waiting for it (see BpfCapture.handOff).
   */
  close(opts: { handOff?: boolean } = {}): void {
    if (opts.handOff) this.capture.handOff();
    else this.capture.close();
  }
}

function sameCounters(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
