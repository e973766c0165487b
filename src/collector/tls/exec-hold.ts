/**
 * The exec hold, seen from TypeScript: a traced process that execs a file not yet handled in this capture (and big
 * enough to hold a TLS stack) is stopped by the kernel before its first instruction (bpf/process.bpf.c hold_exec);
 * this side marks files handled, continues each held process once its file's probes are attached, and accounts for
 * how long each was held. A guard process (native/exec-guard.h) continues what this side cannot: a process held past
 * the bound, or every held process once the collector is gone.
 */
import fs from 'node:fs';
import { EXEC_HOLD } from '../decode/layout';
import type { NativeBpfHost } from '../../native/addon';
import { loadAddon } from '../../native/addon';

/*
 * The smallest file held: a TLS stack linked in statically (BoringSSL, aws-lc, rustls, OpenSSL) is ~1-2 MB of code on
 * its own, and every agent binary measured is 90-300 MB; dynamically linked programs get their TLS from libssl, which
 * is probed before anything runs. Small tools (coreutils, bash, git's helpers) are never stopped.
 */
export const DEFAULT_HOLD_MIN_BYTES = 4 << 20;
/*
 * How long a process may stay held: discovery of an unseen 300 MB binary takes 0.35-0.6 s on a quiet machine, but
 * 2-5.5 s was measured for Codex here at load average ~20 (six engineers on 2 cores), and 5 s let one go early.
 * Past this the guard continues it (its first TLS calls may then go unseen: counted as tls:before-attach); a
 * collector that is hung or stopped delays the traced program by at most this much.
 */
export const DEFAULT_HOLD_TIMEOUT_MS = 10_000;

/** process.h exec_hold_ctl_index */
const CTL = { minBytes: 0, notHeld: 1, timeouts: 2, orphaned: 3 } as const;

export interface ExecHoldFigures {
  /** Processes held and continued by the collector once their probes were in. */
  held: number;
  totalMs: number;
  maxMs: number;
  /** Execs of unhandled big files that could not be held (job control, ptrace, a failure): probes may come late. */
  notHeld: number;
  /** Continued by the guard after the bound, probes possibly not yet attached. */
  timeouts: number;
  /** Continued when the capture ended (by the collector) or the collector was gone (by the guard). */
  atStop: number;
}

export class ExecHold {
  readonly enabled: boolean;
  private held = 0;
  private totalMs = 0;
  private maxMs = 0;
  private atStop = 0;
  private stopped = false;
  /** When each renewed process was stopped (exec_held then holds the renewal time). */
  private readonly stoppedAt = new Map<number, bigint>();
  private readonly monotonicNs = loadAddon().monotonicNs;

  constructor(private readonly host: NativeBpfHost, opts: { minBytes?: number; timeoutMs?: number } = {}) {
    const min = opts.minBytes ?? DEFAULT_HOLD_MIN_BYTES;
    let on = false;
    try {
      on = min > 0 && host.execHold(min, opts.timeoutMs ?? DEFAULT_HOLD_TIMEOUT_MS);
    } catch {
      on = false; // an older process object without the maps: no hold, probes as before
    }
    this.enabled = on;
  }

  /** This file's probes are in (or it has none): its next execs are not held. */
  markHandled(path: string): void {
    if (!this.enabled) return;
    try {
      const st = fs.statSync(path, { bigint: true });
      this.markKey(kernelDev(st.dev), st.ino);
    } catch {
      /* gone: nothing to mark */
    }
  }

  private markKey(dev: bigint, ino: bigint): void {
    const k = Buffer.alloc(16);
    k.writeBigUInt64LE(dev, 0);
    k.writeBigUInt64LE(ino, 8);
    try {
      this.host.mapUpdate('exec_handled', k, Buffer.from([1]));
    } catch {
      /* map full: that file is held again at its next exec, which costs a cache lookup */
    }
  }

  /**
   * The collector has picked up this held exec and is about to run discovery: the guard's bound starts again from
   * now, so a collector that got its batch late on a busy machine still gets the whole bound for the analysis. Once
   * only (the entry's time is what is renewed), so a process is held at most twice the bound.
   */
  renew(tgid: number): void {
    if (!this.enabled) return;
    const k = Buffer.alloc(4);
    k.writeUInt32LE(tgid);
    const v = this.host.mapLookup('exec_held', k, EXEC_HOLD.size);
    if (!v) return;
    this.stoppedAt.set(tgid, v.readBigUInt64LE(EXEC_HOLD.fields.ts_ns[0]));
    v.writeBigUInt64LE(this.monotonicNs(), EXEC_HOLD.fields.ts_ns[0]);
    try {
      this.host.mapUpdate('exec_held', k, v);
    } catch {
      /* the guard took it meanwhile */
    }
  }

  /**
   * Continue this process if we hold it (its file's probes are attached, or discovery gave up): returns the ms it was
   * held, or null when it was not held by us (or the guard already continued it). Only processes in exec_held are
   * signalled, so one stopped by someone else is left alone.
   */
  release(tgid: number, kstartNs?: number): number | null {
    if (!this.enabled) return null;
    const k = Buffer.alloc(4);
    k.writeUInt32LE(tgid);
    const f = EXEC_HOLD.fields;
    const v = this.host.mapLookup('exec_held', k, EXEC_HOLD.size);
    if (!v) return null;
    const tsNs = this.stoppedAt.get(tgid) ?? v.readBigUInt64LE(f.ts_ns[0]);
    this.stoppedAt.delete(tgid);
    const kstart = Number(v.readBigUInt64LE(f.kstart_ns[0]));
    // Another process under a reused pid: leave the entry for its own exec record (or the guard). Within a clock tick
    // it is the same process (a row seeded from /proc knows its start to 10 ms: process-tracker.ts).
    if (kstartNs && kstart && Math.abs(kstartNs - kstart) >= 2e7) return null;
    this.markKey(v.readBigUInt64LE(f['file.dev'][0]), v.readBigUInt64LE(f['file.ino'][0]));
    // Whoever deletes the entry continues the process: if the guard took it first, it has sent the SIGCONT.
    if (!this.host.mapDelete('exec_held', k)) return null;
    try {
      process.kill(tgid, 'SIGCONT');
    } catch {
      /* already gone */
    }
    const ms = Number(this.monotonicNs() - tsNs) / 1e6;
    this.held++;
    this.totalMs += ms;
    this.maxMs = Math.max(this.maxMs, ms);
    return ms;
  }

  /** End of capture: hold nothing more, continue whatever is still held. */
  stop(): void {
    if (!this.enabled || this.stopped) return;
    this.stopped = true;
    this.atStop += this.host.execHoldStop();
  }

  figures(): ExecHoldFigures {
    const ctl = (i: number): number => {
      if (!this.enabled) return 0;
      const k = Buffer.alloc(4);
      k.writeUInt32LE(i);
      const v = this.host.mapLookup('exec_hold_ctl', k, 8);
      return v ? Number(v.readBigUInt64LE(0)) : 0;
    };
    return {
      held: this.held,
      totalMs: this.totalMs,
      maxMs: this.maxMs,
      notHeld: ctl(CTL.notHeld),
      timeouts: ctl(CTL.timeouts),
      atStop: this.atStop + ctl(CTL.orphaned),
    };
  }
}

/** stat's st_dev (glibc's encoding) → the kernel's dev_t (major << 20 | minor), as in inode->i_sb->s_dev. */
export function kernelDev(stDev: bigint): bigint {
  const major = (stDev >> 8n) & 0xfffn;
  const minor = (stDev & 0xffn) | ((stDev >> 12n) & 0xfff00n);
  return (major << 20n) | minor;
}
