/**
 * Trace and span ids derived from the recording, never random: exporting a file twice, or streaming it live and
 * exporting it later, gives the same ids, so a backend deduplicates instead of showing two copies.
 *
 * A recording is named by what `record` writes first (meta start_ns and hostname): two recordings never share both.
 * Rows are named by their table and store id, which the collector assigns once and never changes.
 */
import crypto from 'node:crypto';
import type { RecordingReader } from '../../store/store';

/** What a span stands for: one row of one table, or the session's root. */
export type SpanSubject = 'session' | 'llm_call' | 'tool_call' | 'process';

/** The recording's identity for id derivation. */
export function recordingKey(reader: RecordingReader): string {
  const meta = reader.info().meta;
  return `${meta['start_ns'] ?? ''}|${meta['hostname'] ?? ''}|${meta['command'] ?? ''}`;
}

/**
 * service.instance.id of one recording's telemetry: its cumulative metrics are one writer's streams, so two exports
 * of the same recording (record --otel, then report otel) write the same series, and two recordings never do.
 */
export function recordingInstanceId(key: string): string {
  const h = hex(`instance|${key}`, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function hex(parts: string, bytes: number): string {
  let h = crypto.createHash('sha256').update(parts).digest('hex').slice(0, bytes * 2);
  // All-zero ids are invalid in OTLP; a 2^-64 chance, but one that would lose a span.
  if (/^0+$/.test(h)) h = h.slice(0, -1) + '1';
  return h;
}

/** 16-byte trace id of one session of the recording. */
export function traceId(key: string, sessionId: number): string {
  return hex(`agentsight/trace|${key}|${sessionId}`, 16);
}

/** 8-byte span id of one row (or of a session's root span). */
export function spanId(key: string, subject: SpanSubject, rowId: number): string {
  return hex(`agentsight/span|${key}|${subject}|${rowId}`, 8);
}
