/**
 * The GenAI client metrics of the recorded model calls: gen_ai.client.token.usage and
 * gen_ai.client.operation.duration (required by the conventions), and gen_ai.client.operation.time_to_first_chunk for
 * streamed calls, as histograms with the conventions' bucket boundaries. Each call is recorded once (by span id);
 * collect() gives the cumulative totals, which the pipeline sends.
 *
 * The points' times are the recording's, not the export's: start = the recording's start, time = the end of the last
 * call counted. So the same calls give the same point whenever they are sent — `report otel` of a file that
 * `record --otel` already streamed repeats the stream's last points instead of adding a second series' worth — and
 * the series (resource with the recording's service.instance.id, ids.ts) is the recording's alone.
 */
import type { Attributes, HrTime } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { LlmCallRow } from '../../store/types';
import { callErrorType, DURATION_BUCKETS, METRIC_OPERATION_DURATION, METRIC_TIME_TO_FIRST_CHUNK, METRIC_TOKEN_USAGE, providerName, serverOf, TOKEN_BUCKETS } from './conventions';
import { SCOPE } from './readable-span';

/** A reader that only collects when asked: the pipeline decides when to send, and retries what failed. */
class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export class GenAiMetrics {
  private readonly reader = new OnDemandReader();
  private readonly provider: MeterProvider;
  private readonly tokens;
  private readonly duration;
  private readonly firstChunk;
  private readonly seen = new Set<string>();
  /** End of the last call counted (ns): the time of every point. */
  private lastEndNs = 0;
  /** Calls recorded. */
  calls = 0;

  /** startNs: the recording's start, the start of every cumulative point. */
  constructor(resource: Resource, private readonly startNs: number) {
    this.provider = new MeterProvider({ resource, readers: [this.reader] });
    const meter = this.provider.getMeter(SCOPE.name, SCOPE.version);
    this.tokens = meter.createHistogram(METRIC_TOKEN_USAGE, {
      unit: '{token}',
      description: 'Number of input and output tokens used.',
      advice: { explicitBucketBoundaries: [...TOKEN_BUCKETS] },
    });
    this.duration = meter.createHistogram(METRIC_OPERATION_DURATION, {
      unit: 's',
      description: 'GenAI operation duration.',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    });
    this.firstChunk = meter.createHistogram(METRIC_TIME_TO_FIRST_CHUNK, {
      unit: 's',
      description: 'Time to receive the first chunk of a streamed response.',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    });
  }

  /** Record one model call (once per key: a span id). */
  record(key: string, c: LlmCallRow): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.calls++;
    this.lastEndNs = Math.max(this.lastEndNs, c.endNs ?? c.firstTokenNs ?? c.startNs);
    const a: Attributes = { 'gen_ai.operation.name': 'chat' };
    const provider = providerName(c);
    if (provider) a['gen_ai.provider.name'] = provider;
    if (c.requestModel) a['gen_ai.request.model'] = c.requestModel;
    if (c.responseModel) a['gen_ai.response.model'] = c.responseModel;
    const server = serverOf(c.host);
    if (server) {
      a['server.address'] = server.address;
      a['server.port'] = server.port;
    }
    // Inputs count cached prompt tokens, as gen_ai.usage.input_tokens does (span-model.ts).
    if (c.inputTokens !== null) this.tokens.record(c.inputTokens, { ...a, 'gen_ai.token.type': 'input' });
    if (c.outputTokens !== null) this.tokens.record(c.outputTokens, { ...a, 'gen_ai.token.type': 'output' });
    const errorType = callErrorType(c);
    if (c.endNs !== null) this.duration.record((c.endNs - c.startNs) / 1e9, errorType ? { ...a, 'error.type': errorType } : a);
    if (c.streaming && c.firstTokenNs !== null) this.firstChunk.record((c.firstTokenNs - c.startNs) / 1e9, a);
  }

  /** The cumulative totals so far, stamped with the recording's times. */
  async collect(): Promise<ResourceMetrics> {
    const { resourceMetrics } = await this.reader.collect();
    const startTime = hrTime(this.startNs);
    const endTime = hrTime(Math.max(this.lastEndNs, this.startNs));
    return {
      ...resourceMetrics,
      scopeMetrics: resourceMetrics.scopeMetrics.map((sm) => ({
        ...sm,
        metrics: sm.metrics.map((m) => ({ ...m, dataPoints: m.dataPoints.map((d) => ({ ...d, startTime, endTime })) }) as typeof m),
      })),
    };
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

function hrTime(ns: number): HrTime {
  const sec = Math.floor(ns / 1e9);
  return [sec, Math.round(ns - sec * 1e9)];
}
