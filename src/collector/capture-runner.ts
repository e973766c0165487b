/**
 * A running capture: BPF capture + collector + the commit timer, with the one shutdown path that guarantees every
 * record the kernel produced is decoded, counted and committed before the recording is finalised.
 */
import type { SqliteStore } from '../store/sqlite-store';
import { BpfCapture, type CaptureOptions } from './bpf-capture';
import { Collector, type CollectorOptions, type RecordHandler } from './collector';
import { defaultHandlers } from './handlers';
import { DEFAULT_HOLD_TIMEOUT_MS } from './tls/exec-hold';
import { TlsAttacher, type AttachReport } from './tls/tls-attacher';

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

export interface RunnerOptions extends CaptureOptions {
  mode: CollectorOptions['mode'];
  title?: string;
  /** Commit interval. */
  tickMs?: number;
  /** Extra record handlers (files, network, TLS) built once the capture exists. */
  handlers?: (capture: BpfCapture, collector: Collector) => RecordHandler[];
  /** What TLS discovery found for a notable file (the recorded program, an agent …). */
  onTlsReport?: (r: AttachReport) => void;
  /** TLS discovery cache directory. */
  tlsCacheDir?: string;
}

export class CaptureRunner {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  private constructor(readonly capture: BpfCapture, readonly collector: Collector, readonly tls: TlsAttacher) {}

  static start(store: SqliteStore, opts: RunnerOptions): CaptureRunner {
    const capture = BpfCapture.open(opts);
    let runner: CaptureRunner | undefined;
    const collector = new Collector(store, {
      clockOffsetNs: capture.clockOffsetNs,
      mode: opts.mode,
      title: opts.title,
      onAgent: (tgid, kstart) => capture.addTraced(tgid, kstart),
    });
    for (const h of (opts.handlers ?? defaultHandlers)(capture, collector)) collector.addHandler(h);
    store.putMeta('capture_programs', JSON.stringify(capture.programs));
    store.putMeta('clock_offset_ns', String(capture.clockOffsetNs));
    const tls = new TlsAttacher(capture, collector, { cacheDir: opts.tlsCacheDir, onReport: opts.onTlsReport });
    // New binaries of traced processes get their TLS probes as they appear (system mode: agent families only).
    collector.onProcessExec = (row, isAgent) => {
      tls.onExec(row, isAgent, opts.mode === 'record' || row.sessionId !== null);
    };
    runner = new CaptureRunner(capture, collector, tls);
    capture.start((batch) => collector.onBatch(batch));
    runner.timer = setInterval(() => runner!.tick(), opts.tickMs ?? 200);
    runner.timer.unref();
    return runner;
  }

  private counters(): Record<string, number> {
    const k = this.capture.kernelStats();
    const d = this.capture.deliveryStats();
    return { ...k, 'queue:js': d.droppedRecords, 'decode:batch-truncated': this.collector.truncatedRecords };
  }

  tick(): void {
    this.collector.recordCounters(this.counters());
    this.collector.tick();
  }

  /**
   * Stop capturing; resolves once every delivered batch has been applied and committed. The kernel side is released
   * too, unless keepOpen: then the probes' links are still being destroyed in the background (seconds: see
   * native/bpf-host.cc DestroyLinks) while the caller finishes its own work, and close() waits for that. With
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
    this.collector.recordCounters(this.counters());
    this.recordExecHold();
    this.collector.finish(Date.now() * 1e6);
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
