/**
 * `agentsight report otel [--db FILE] [--otel-content]`: send a saved recording to an OTLP/HTTP endpoint (the
 * standard OTEL_* variables, otlp-config.ts) as one trace per agent session plus the GenAI metrics. SIGTERM and
 * SIGINT do not cut the export short: what is queued is still delivered (retries bounded by SIGNAL_GRACE_MS); a second
 * signal stops at once, and what was not delivered is said. Exit 0 when everything arrived, 1 when something did not.
 */
import type { RecordingReader } from '../../store/store';
import { exportSummary, OtelExport } from './otel-export';
import { otelConfig, type OtelConfig } from './otlp-config';

/** After a signal: how long retries may still go on. */
export const SIGNAL_GRACE_MS = 30_000;
/** Without a signal: how long a failing endpoint is retried before the rest is given up. */
export const REPORT_GIVE_UP_MS = 120_000;

export interface ReportOtelIo {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

export function reportOtelConfig(reader: RecordingReader, env: NodeJS.ProcessEnv): OtelConfig {
  const meta = reader.info().meta;
  return otelConfig(env, { hostName: meta['hostname'], version: meta['agentsight_version'] ?? 'unknown' });
}

export async function runReportOtel(reader: RecordingReader, io: ReportOtelIo, opts: { content: boolean }): Promise<number> {
  const cfg = reportOtelConfig(reader, io.env as NodeJS.ProcessEnv);
  // Spans are sent once and never updated: what is still open in a recording being made ends at its last moment here.
  if (reader.recordingState().state === 'recording') {
    io.err('agentsight: note: this recording is still being made; spans still open end at its last recorded moment (export it again when it has finished: same ids)\n');
  }
  const exp = new OtelExport(reader, cfg, { content: opts.content, giveUpMs: REPORT_GIVE_UP_MS });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      io.err(`agentsight: ${sig}: delivering the ${exp.pending()} spans still queued before stopping\n`);
      exp.hurry(Date.now() + SIGNAL_GRACE_MS);
    } else {
      io.err(`agentsight: ${sig} again: stopping now; ${exp.pending()} spans NOT delivered\n`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const r = await exp.finish(Date.now() + REPORT_GIVE_UP_MS);
    const { line, lost } = exportSummary(r, cfg.tracesUrl);
    (lost ? io.err : io.out)(`${lost ? 'agentsight: ' : ''}${line}\n`);
    return lost ? 1 : 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
