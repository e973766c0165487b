/**
 * The OpenTelemetry GenAI semantic conventions this exporter follows (semconv gen-ai, development status, as of
 * v1.41): provider names, metric names and their advised bucket boundaries. Values come from the conventions' text;
 * docs/otel.md lists every attribute exported.
 */
import type { LlmCallRow } from '../../store/types';

/** Our provider ids (src/protocols/llm/types.ts) → gen_ai.provider.name's well-known values; unknown ones are left out. */
export const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  anthropic: 'anthropic',
  'openai-chat': 'openai',
  'openai-responses': 'openai',
  // The Gemini API (AI Studio); Vertex AI would be gcp.vertex_ai, told apart by its host.
  gemini: 'gcp.gemini',
};

/** gen_ai.provider.name of a call, or null when the conventions have no value for it. */
export function providerName(call: Pick<LlmCallRow, 'provider' | 'host'>): string | null {
  if (call.provider === 'gemini' && call.host !== null && /aiplatform\.googleapis\.com/.test(call.host)) return 'gcp.vertex_ai';
  return PROVIDER_NAMES[call.provider] ?? null;
}

/** server.address and server.port of a call's host ("api.anthropic.com", "127.0.0.1:8443"); HTTPS port by default. */
export function serverOf(host: string | null): { address: string; port: number } | null {
  if (!host) return null;
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(host);
  if (!m) return null;
  return { address: m[1]!, port: m[2] ? Number(m[2]) : 443 };
}

export const METRIC_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_TIME_TO_FIRST_CHUNK = 'gen_ai.client.operation.time_to_first_chunk';

/** gen_ai.client.token.usage's advised boundaries: powers of 4 from 1 to 4^13. */
export const TOKEN_BUCKETS: readonly number[] = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

/** gen_ai.client.operation.duration's (and time_to_first_chunk's) advised boundaries in seconds: 0.01 doubling to 81.92. */
export const DURATION_BUCKETS: readonly number[] = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

/** error.type of a failed call: the HTTP status, else what the capture knows; null when it succeeded. */
export function callErrorType(call: Pick<LlmCallRow, 'httpStatus' | 'error' | 'incomplete'>): string | null {
  if (call.httpStatus !== null && call.httpStatus >= 400) return String(call.httpStatus);
  // Low cardinality, as the conventions ask: the free-text error goes to the status description.
  if (call.incomplete) return 'incomplete';
  if (call.error) return '_OTHER';
  return null;
}
