/**
 * Sends spans and metrics over OTLP/HTTP with the OpenTelemetry exporters, and makes sure nothing is dropped on the
 * way. The exporters retry 429/502/503/504 and network errors by themselves, but only within one export timeout
 * (10 s by default, five attempts) and never a 500; after that their batch is gone. Here a batch that failed
 * for any reason but a refusal (4xx other than 408/429) stays at the head of the queue and is sent again with
 * backoff (1 s doubling to 30 s) until it goes through or the give-up time passes; what is given up is counted,
 * and said by the caller. One export at a time, in order, batches of up to MAX_BATCH spans.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { OtelConfig } from './otlp-config';

/** Spans per export request: the SDK's BatchSpanProcessor default. */
export const MAX_BATCH = 512;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

export interface PipelineStats {
  spansSent: number;
  spansLost: number;
  metricExports: number;
  metricExportsLost: number;
  /** Export attempts that failed and were tried again. */
  retries: number;
  /** The last failure, for the closing line. */
  lastError: string | null;
}

interface Exporter<T> {
  export(items: T, cb: (r: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

type Job = { kind: 'spans'; spans: ReadableSpan[] } | { kind: 'metrics'; metrics: ResourceMetrics };

/** A refusal will not change by sending again: the batch is counted lost at once. */
function isRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && code >= 400 && code < 500 && code !== 408 && code !== 429;
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: string } | undefined;
  const code = typeof e?.code === 'number' ? `HTTP ${e.code}` : typeof e?.code === 'string' ? e.code : null;
  const msg = e?.message?.split('\n')[0] ?? String(err);
  return code && !msg.includes(code) ? `${code} ${msg}`.trim() : msg || 'export failed';
}

export class OtlpPipeline {
  readonly stats: PipelineStats = { spansSent: 0, spansLost: 0, metricExports: 0, metricExportsLost: 0, retries: 0, lastError: null };
  private readonly traces: Exporter<ReadableSpan[]>;
  private readonly metrics: Exporter<ResourceMetrics>;
  private readonly queue: Job[] = [];
  private running: Promise<void> | null = null;
  private backoffTimer: NodeJS.Timeout | null = null;
  private wakeBackoff: (() => void) | null = null;
  /** While flushing, retries continue only until this moment (ms); then what is left is lost. */
  private deadlineMs = Infinity;

  /** giveUpMs: how long one batch is retried before it is counted lost (outside a flush). */
  constructor(cfg: OtelConfig, private readonly giveUpMs = 300_000) {
    this.traces = cfg.traces === 'http/json' ? new JsonTraceExporter() : new ProtoTraceExporter();
    this.metrics = cfg.metrics === 'http/json' ? new JsonMetricExporter() : new ProtoMetricExporter();
  }

  /** Queue spans (in batches) for sending. */
  addSpans(spans: readonly ReadableSpan[]): void {
    for (let i = 0; i < spans.length; i += MAX_BATCH) this.queue.push({ kind: 'spans', spans: spans.slice(i, i + MAX_BATCH) });
    this.kick();
  }

  /** Queue one metrics export (cumulative totals: a later one supersedes an unsent earlier one). */
  addMetrics(metrics: ResourceMetrics): void {
    for (let i = this.queue.length - 1; i >= 1; i--) if (this.queue[i]!.kind === 'metrics') this.queue.splice(i, 1);
    this.queue.push({ kind: 'metrics', metrics });
    this.kick();
  }

  /** Spans waiting to be sent (the head batch included while it is retried). */
  pendingSpans(): number {
    return this.queue.reduce((n, j) => n + (j.kind === 'spans' ? j.spans.length : 0), 0);
  }

  /**
   * Send everything queued; retries go on until `deadlineMs` (a Date.now() time), then what is left is counted lost.
   * Resolves when the queue is empty.
   */
  async flush(deadlineMs: number): Promise<void> {
    this.deadlineMs = Math.min(this.deadlineMs, deadlineMs);
    this.kick();
    // Stop waiting out a backoff that would end after the deadline: try once more now, then give up.
    const remaining = deadlineMs - Date.now();
    const wake = setTimeout(() => this.wakeBackoff?.(), Math.max(0, remaining));
    wake.unref();
    try {
      while (this.running) await this.running;
    } finally {
      clearTimeout(wake);
    }
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled([this.traces.shutdown(), this.metrics.shutdown()]);
  }

  private kick(): void {
    if (this.running || this.queue.length === 0) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const job = this.queue[0]!;
      const firstTry = Date.now();
      let backoff = FIRST_BACKOFF_MS;
      for (;;) {
        const r = await this.send(job);
        if (r.code === ExportResultCode.SUCCESS) {
          if (job.kind === 'spans') this.stats.spansSent += job.spans.length;
          else this.stats.metricExports++;
          break;
        }
        this.stats.lastError = describe(r.error);
        const now = Date.now();
        const giveUp = Math.min(firstTry + this.giveUpMs, this.deadlineMs);
        if (isRefusal(r.error) || now >= giveUp) {
          if (job.kind === 'spans') this.stats.spansLost += job.spans.length;
          else this.stats.metricExportsLost++;
          break;
        }
        this.stats.retries++;
        await this.sleep(Math.min(backoff, Math.max(0, giveUp - now)));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
      this.queue.shift();
    }
  }

  private send(job: Job): Promise<ExportResult> {
    return new Promise((resolve) => {
      try {
        if (job.kind === 'spans') this.traces.export(job.spans, resolve);
        else this.metrics.export(job.metrics, resolve);
      } catch (error) {
        resolve({ code: ExportResultCode.FAILED, error: error as Error });
      }
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeBackoff = () => {
        if (this.backoffTimer) clearTimeout(this.backoffTimer);
        this.backoffTimer = null;
        this.wakeBackoff = null;
        resolve();
      };
      this.backoffTimer = setTimeout(() => this.wakeBackoff?.(), ms);
    });
  }
}
