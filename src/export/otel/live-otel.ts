/**
 * `record --otel`: stream the recording to OTLP while it is made. Every STEP_MS (or more, see STEP_COST_FACTOR) the spans whose rows ended at least
 * SETTLE_MS ago are sent (a tool call's processes and links are usually in by then, so a span goes once, as a later
 * `report otel` of the file gives it); the metrics every METRICS_MS; the session roots and everything left after the
 * recording's end, with a bounded flush. Same ids as `report otel` (ids.ts).
 */
import type { RecordingReader } from '../../store/store';
import { exportSummary, OtelExport } from './otel-export';
import { otelConfig, type OtelConfig } from './otlp-config';

const STEP_MS = 2000;
/**
 * A step re-reads the recording's calls, tool calls, links and processes: ~0.1-0.6 s for 2000 calls on a loaded
 * 2-core machine (src/bench/otel-bench.ts). The next step waits at least STEP_COST_FACTOR times the last one's cost,
 * so the stream never takes more than ~5% of a core from the recording, however long it gets.
 */
const STEP_COST_FACTOR = 20;
const SETTLE_MS = 3000;
const METRICS_MS = 10_000;
/** After the recording ends: how long delivery may still be retried. */
export const FINAL_FLUSH_MS = 30_000;

export interface LiveOtel {
  /** Start streaming from the recording (the store being written, read through its reader side). */
  start(reader: RecordingReader): void;
  /** After the recording's end (finalised): send the rest; the closing line, and whether something was lost. */
  finish(): Promise<{ line: string; lost: boolean } | null>;
}

/** Validate the OTEL_* variables before anything is recorded (throws OtelConfigError), then stream on start(). */
export function prepareLiveOtel(env: NodeJS.ProcessEnv, opts: { content: boolean; hostName: string; version: string }): LiveOtel {
  const cfg: OtelConfig = otelConfig(env, { hostName: opts.hostName, version: opts.version });
  let exp: OtelExport | null = null;
  let timer: NodeJS.Timeout | null = null;
  let lastMetrics = Date.now();
  let finished = false;
  return {
    start(reader) {
      exp = new OtelExport(reader, cfg, { content: opts.content });
      const tick = () => {
        const t0 = Date.now();
        try {
          exp!.step((t0 - SETTLE_MS) * 1e6);
          if (t0 - lastMetrics >= METRICS_MS) {
            lastMetrics = t0;
            void exp!.sendMetrics();
          }
        } catch {
          // a step that cannot read this time (store busy or failed) is tried again; the final one reads everything
        }
        if (!finished) schedule(Math.max(STEP_MS, (Date.now() - t0) * STEP_COST_FACTOR));
      };
      const schedule = (ms: number) => {
        timer = setTimeout(tick, ms);
        timer.unref();
      };
      schedule(STEP_MS);
    },
    async finish() {
      finished = true;
      if (timer) clearTimeout(timer);
      if (!exp) return null;
      const r = await exp.finish(Date.now() + FINAL_FLUSH_MS);
      return exportSummary(r, cfg.tracesUrl);
    },
  };
}
