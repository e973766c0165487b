/**
 * CPU% and RSS of every live traced process about once a second, stored as ResourceSampleRows. Runs on the
 * collector's tick (no timer of its own) and reads /proc, so it costs nothing in the kernel. The first sample of a
 * process averages its CPU over its life so far; later ones cover the interval since the previous sample.
 * Exit-time peak RSS comes from the exit record (ProcessRow.peakRssKb).
 */
import fs from 'node:fs';
import type { CollectorContext, RecordHandler } from '../collector';
import { cpuPercent, CLOCK_TICKS, readProcSample } from './proc-stat';

const DEFAULT_INTERVAL_NS = 1e9;

interface Prev {
  startTicks: number;
  cpuTicks: number;
  atNs: number;
}

export class ResourceSampler implements RecordHandler {
  /** No record types: a tick-only handler. */
  readonly types = [-1, -1] as const;
  private readonly prev = new Map<number, Prev>();
  private lastNs = 0;
  samples = 0;

  constructor(
    private readonly opts: {
      intervalNs?: number;
      /** Sample only processes of a session (system-wide mode traces agent trees, not every process). */
      sessionsOnly?: boolean;
    } = {},
  ) {}

  handle(): void {}

  tick(ctx: CollectorContext): void {
    const now = Date.now() * 1e6;
    if (now - this.lastNs < (this.opts.intervalNs ?? DEFAULT_INTERVAL_NS) * 0.95) return;
    this.lastNs = now;
    // The model already knows every traced process: no listing of /proc (system-wide, that was a readdir and a lookup
    // per process of the machine every second, with no agent running). Only the rows sampled read /proc.
    const rows: Array<{ pid: number; id: number }> = [];
    for (const row of ctx.processes.liveRows()) {
      if (this.opts.sessionsOnly && row.sessionId === null) continue;
      rows.push({ pid: row.pid, id: row.id });
    }
    const seen = new Set<number>();
    const uptimeNs = rows.length > 0 ? readUptimeNs() : null;
    for (const { pid, id } of rows) {
      const s = readProcSample(pid);
      if (!s) continue;
      seen.add(pid);
      const p = this.prev.get(pid);
      let cpu: number;
      if (p && p.startTicks === s.startTicks) cpu = cpuPercent(s.cpuTicks - p.cpuTicks, now - p.atNs);
      else cpu = uptimeNs !== null ? cpuPercent(s.cpuTicks, uptimeNs - (s.startTicks / CLOCK_TICKS) * 1e9) : 0;
      this.prev.set(pid, { startTicks: s.startTicks, cpuTicks: s.cpuTicks, atNs: now });
      ctx.store.addResourceSample({ processId: id, tsNs: now, cpuPct: Math.round(cpu * 10) / 10, rssKb: s.rssKb });
      this.samples++;
    }
    for (const pid of this.prev.keys()) if (!seen.has(pid)) this.prev.delete(pid);
  }
}

function readUptimeNs(): number | null {
  try {
    return Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1e9;
  } catch {
    return null;
  }
}
