/**
 * `record --otel`: stream the recording to OTLP while it is made. Every STEP_MS the spans whose rows ended at least
 * SETTLE_MS ago are sent (a tool call's processes and links are usually in by then, so a span goes once, as a later
 * `report otel` of the file gives it); the metrics every METRICS_MS; the session roots and everything left after the
 * recording's end, with a bounded flush. Same ids as `report otel` (ids.ts).
 */
import type { RecordingReader } from '../../store/store';
import { exportSummary, OtelExport } from './otel-export';
import { otelConfig, type OtelConfig } from './otlp-config';

const STEP_MS = 2000;
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
  return {
    start(reader) {
      exp = new OtelExport(reader, cfg, { content: opts.content });
      timer = setInterval(() => {
        try {
          exp!.step((Date.now() - SETTLE_MS) * 1e6);
          if (Date.now() - lastMetrics >= METRICS_MS) {
            lastMetrics = Date.now();
            void exp!.sendMetrics();
          }
        } catch {
          // a step that cannot read this time (store busy or failed) is tried again; the final one reads everything
        }
      }, STEP_MS);
      timer.unref();
    },
    async finish() {
      if (timer) clearInterval(timer);
      if (!exp) return null;
      const r = await exp.finish(Date.now() + FINAL_FLUSH_MS);
      return exportSummary(r, cfg.tracesUrl);
    },
  };
}
