/**
 * What the standard OpenTelemetry variables ask for: the protocol per signal, the resource. Endpoints, headers,
 * timeouts and TLS files are read by the OTLP exporters themselves (OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]ENDPOINT,
 * …_HEADERS, …_TIMEOUT, …_CERTIFICATE), so they mean here what they mean everywhere; a malformed one is refused here
 * in one line rather than discovered by the exporter.
 */
import { detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export class OtelConfigError extends Error {}

const PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json'];

function protocolFor(env: NodeJS.ProcessEnv, signal: 'TRACES' | 'METRICS'): OtlpProtocol {
  const name = env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] ? `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL` : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const v = (env[name] ?? '').trim() || 'http/protobuf';
  if (!PROTOCOLS.includes(v)) throw new OtelConfigError(`${name}=${v} is not supported (use http/protobuf or http/json)`);
  return v as OtlpProtocol;
}

export interface OtelConfig {
  traces: OtlpProtocol;
  metrics: OtlpProtocol;
  /** Where spans go, for messages (the exporter resolves the same variables). */
  tracesUrl: string;
  metricsUrl: string;
  resource: Resource;
}

function endpoint(env: NodeJS.ProcessEnv, signal: 'TRACES' | 'METRICS', suffix: string): string {
  const specific = env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim();
  const general = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  const url = specific || (general ? general.replace(/\/+$/, '') + '/' + suffix : `http://localhost:4318/${suffix}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OtelConfigError(`${specific ? `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT` : 'OTEL_EXPORTER_OTLP_ENDPOINT'}: not a URL: '${url}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new OtelConfigError(`OTLP endpoint must be http:// or https://, got '${url}'`);
  return url;
}

/** The configuration from the environment; `host` and `version` fill the resource where the variables do not. */
export function otelConfig(env: NodeJS.ProcessEnv, defaults: { hostName?: string; version: string }): OtelConfig {
  const traces = protocolFor(env, 'TRACES');
  const metrics = protocolFor(env, 'METRICS');
  const tracesUrl = endpoint(env, 'TRACES', 'v1/traces');
  const metricsUrl = endpoint(env, 'METRICS', 'v1/metrics');
  // envDetector reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; they win over our defaults.
  const base = resourceFromAttributes({
    'service.name': 'agentsight',
    'service.version': defaults.version,
    ...(defaults.hostName ? { 'host.name': defaults.hostName } : {}),
  });
  const resource = base.merge(detectResources({ detectors: [envDetector] }));
  return { traces, metrics, tracesUrl, metricsUrl, resource };
}
