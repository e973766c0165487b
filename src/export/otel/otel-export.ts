/**
 * One export of a recording to OTLP: the span model's ready spans not sent yet go to the pipeline, each chat span's
 * call to the metrics. `report otel` steps once and finishes; `record --otel` steps on a timer while recording and
 * finishes after the recording's end, so both send the same spans with the same ids.
 */
import type { RecordingReader } from '../../store/store';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { recordingInstanceId, recordingKey } from './ids';
import { GenAiMetrics } from './metrics';
import type { OtelConfig } from './otlp-config';
import { OtlpPipeline, type PipelineStats } from './pipeline';
import { SCOPE, toReadableSpan } from './readable-span';
import { buildSpans } from './span-model';

export interface OtelExportOptions {
  /** --otel-content: prompts and responses in the spans. */
  content: boolean;
  /** How long one failing batch is retried outside a flush (ms). */
  giveUpMs?: number;
}

export interface OtelExportResult extends PipelineStats {
  spans: number;
  traces: number;
  calls: number;
}

export class OtelExport {
  private readonly sent = new Set<string>();
  private readonly traceIds = new Set<string>();
  private readonly pipeline: OtlpPipeline;
  /** Made at the first step: the recording's identity (key, start) is read then. */
  private metrics: GenAiMetrics | null = null;
  private resource: Resource | null = null;
  private key: string | null = null;

  constructor(private readonly reader: RecordingReader, private readonly cfg: OtelConfig, private readonly opts: OtelExportOptions) {
    this.pipeline = new OtlpPipeline(cfg, opts.giveUpMs);
  }

  /**
   * Queue the spans that are ready and not sent yet. settledBeforeNs: live export (rows that ended after it wait);
   * undefined: the recording is finished and every span goes. Returns how many were queued.
   */
  step(settledBeforeNs?: number): number {
    // The key needs the recording's start meta, written before capture starts; read it once.
    if (this.key === null) {
      this.key = recordingKey(this.reader);
      // The variables' service.instance.id, when set, wins (merge: the argument's attributes take precedence).
      this.resource = resourceFromAttributes({ 'service.instance.id': recordingInstanceId(this.key) }).merge(this.cfg.resource);
      const info = this.reader.info();
      const started = Number(info.meta['start_ns']);
      this.metrics = new GenAiMetrics(this.resource, Number.isFinite(started) && started > 0 ? started : (info.startNs ?? 0));
    }
    const metrics = this.metrics!;
    const spans = buildSpans(this.reader, { key: this.key, content: this.opts.content, settledBeforeNs, sent: this.sent });
    const fresh = spans.filter((s) => s.ready && !this.sent.has(s.spanId));
    for (const s of fresh) {
      this.sent.add(s.spanId);
      this.traceIds.add(s.traceId);
      if (s.call) metrics.record(s.spanId, s.call);
    }
    if (fresh.length > 0) this.pipeline.addSpans(fresh.map((s) => toReadableSpan(s, this.resource!, SCOPE)));
    return fresh.length;
  }

  /** Queue the metrics' cumulative totals (nothing when no call was recorded). */
  async sendMetrics(): Promise<void> {
    if (this.metrics && this.metrics.calls > 0) this.pipeline.addMetrics(await this.metrics.collect());
  }

  /** Send the rest (a final step, the metrics) and wait, retrying until deadlineMs (Date.now() time). */
  async finish(deadlineMs: number): Promise<OtelExportResult> {
    this.step();
    await this.sendMetrics();
    await this.pipeline.flush(deadlineMs);
    await this.pipeline.shutdown();
    await this.metrics?.shutdown();
    return { ...this.pipeline.stats, spans: this.sent.size, traces: this.traceIds.size, calls: this.metrics?.calls ?? 0 };
  }

  /** Spans queued and not delivered yet. */
  pending(): number {
    return this.pipeline.pendingSpans();
  }

  /** Shorten the retries of a flush under way (a signal asked to stop). */
  hurry(deadlineMs: number): void {
    void this.pipeline.flush(deadlineMs);
  }
}

/** The closing line of an export, and whether anything was lost. */
export function exportSummary(r: OtelExportResult, url: string): { line: string; lost: boolean } {
  const lost = r.spansLost > 0 || r.metricExportsLost > 0;
  const metrics = r.calls > 0 ? `, metrics of ${r.calls} model call${r.calls === 1 ? '' : 's'}` : '';
  const base = `${r.spansSent} of ${r.spans} span${r.spans === 1 ? '' : 's'} in ${r.traces} trace${r.traces === 1 ? '' : 's'}${metrics} to ${url}`;
  if (!lost) return { line: `exported ${base}${r.retries > 0 ? ` (${r.retries} retried)` : ''}`, lost };
  const what = [r.spansLost > 0 ? `${r.spansLost} spans` : null, r.metricExportsLost > 0 ? 'the metrics' : null].filter(Boolean).join(' and ');
  return { line: `otel export INCOMPLETE: ${what} NOT delivered (${r.lastError ?? 'export failed'}); exported ${base}`, lost };
}
