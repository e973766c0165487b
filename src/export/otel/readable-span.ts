/**
 * SpanRecord → the SDK's ReadableSpan, which the OTLP exporters encode. The spans are built from the recording, not
 * from a live tracer: ids, parents and times are ours, and the SDK only serialises them.
 */
import { SpanKind, SpanStatusCode, TraceFlags, type HrTime, type SpanContext } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { SpanRecord } from './span-model';

/** Unix ns (a JS number, 256 ns resolution at today's epoch) → [s, ns]. */
export function hrTime(ns: number): HrTime {
  const s = Math.floor(ns / 1e9);
  return [s, Math.max(0, Math.min(999_999_999, Math.round(ns - s * 1e9)))];
}

export const SCOPE = { name: 'agentsight', version: '1' } as const;

export function toReadableSpan(r: SpanRecord, resource: Resource, scope: { name: string; version?: string }): ReadableSpan {
  const ctx: SpanContext = { traceId: r.traceId, spanId: r.spanId, traceFlags: TraceFlags.SAMPLED };
  const parent: SpanContext | undefined = r.parentSpanId ? { traceId: r.traceId, spanId: r.parentSpanId, traceFlags: TraceFlags.SAMPLED } : undefined;
  const attributes = r.errorType !== null ? { ...r.attributes, 'error.type': r.errorType } : r.attributes;
  return {
    name: r.name,
    kind: r.kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL,
    spanContext: () => ctx,
    parentSpanContext: parent,
    startTime: hrTime(r.startNs),
    endTime: hrTime(r.endNs),
    duration: hrTime(r.endNs - r.startNs),
    // Unset on success (the conventions: instrumentations leave it unset), ERROR with a description on failure.
    status: r.errorType !== null ? { code: SpanStatusCode.ERROR, message: r.errorMessage ?? r.errorType } : { code: SpanStatusCode.UNSET },
    attributes,
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
