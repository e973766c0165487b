/**
 * A local OTLP/HTTP receiver for the export tests: decodes protobuf requests with the OTel proto definitions
 * (./proto, protobufjs) and JSON ones as they are, into one normalised shape. It can refuse with a status for a
 * while (a collector restarting) and hold responses (a slow collector).
 */
import http from 'node:http';
import path from 'node:path';
import protobuf from 'protobufjs';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  resource: Record<string, unknown>;
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  points: Array<{ attributes: Record<string, unknown>; startNs: string; timeNs: string; count: number; sum: number; explicitBounds: number[]; bucketCounts: number[] }>;
  resource: Record<string, unknown>;
}

type Obj = Record<string, any>;

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(__dirname, 'proto', target.replace(/^.*?(opentelemetry\/proto\/)/, '$1'));
root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto']);
const TraceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const MetricsRequest = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');

function value(v: Obj | undefined): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v['stringValue'];
  if ('intValue' in v) return Number(v['intValue']);
  if ('doubleValue' in v) return Number(v['doubleValue']);
  if ('boolValue' in v) return v['boolValue'];
  if ('arrayValue' in v) return ((v['arrayValue'] as Obj)['values'] ?? []).map(value);
  return undefined;
}

function attrs(list: Obj[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv['key'], value(kv['value'])]));
}

const hexOf = (x: unknown, proto: boolean): string => (proto ? Buffer.from(String(x ?? ''), 'base64').toString('hex') : String(x ?? ''));

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Spans per accepted trace request. */
  readonly spansPerRequest: number[] = [];
  /** Every metrics request, in arrival order (cumulative: the last one holds the totals). */
  readonly metricRequests: ReceivedMetric[][] = [];
  /** Status of every response sent, in order, per path. */
  readonly responses: Array<{ path: string; status: number; contentType: string; atMs: number }> = [];
  private server = http.createServer((req, res) => void this.handle(req, res));
  private refuseUntil = 0;
  private refuseMs = 0;
  private refuseStatus = 503;
  /** Each response waits this long (a slow collector). */
  holdMs = 0;
  /** Called when a request arrives (before it is answered). */
  onRequest: ((path: string) => void) | null = null;
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  /**
   * Answer every request with `status` for `ms` from the first request on (not from now: the exporter's start-up
   * time on a loaded machine must not eat the window).
   */
  refuseFor(ms: number, status = 503): void {
    this.refuseStatus = status;
    this.refuseMs = ms;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const p = req.url ?? '';
    const ct = String(req.headers['content-type'] ?? '');
    this.onRequest?.(p);
    if (this.refuseMs > 0) {
      this.refuseUntil = Date.now() + this.refuseMs;
      this.refuseMs = 0;
    }
    if (this.holdMs > 0) await new Promise((r) => setTimeout(r, this.holdMs));
    if (Date.now() < this.refuseUntil) {
      this.responses.push({ path: p, status: this.refuseStatus, contentType: ct, atMs: Date.now() });
      res.writeHead(this.refuseStatus).end();
      return;
    }
    const proto = ct.includes('protobuf');
    try {
      if (p === '/v1/traces') this.addTraces(proto ? (TraceRequest.toObject(TraceRequest.decode(body), { longs: String, bytes: String }) as Obj) : JSON.parse(body.toString()), proto);
      else if (p === '/v1/metrics') this.addMetrics(proto ? (MetricsRequest.toObject(MetricsRequest.decode(body), { longs: String, bytes: String }) as Obj) : JSON.parse(body.toString()));
    } catch (err) {
      this.responses.push({ path: p, status: 400, contentType: ct, atMs: Date.now() });
      res.writeHead(400).end(String(err));
      return;
    }
    this.responses.push({ path: p, status: 200, contentType: ct, atMs: Date.now() });
    res.writeHead(200, { 'content-type': proto ? 'application/x-protobuf' : 'application/json' }).end(proto ? Buffer.alloc(0) : '{}');
  }

  private addTraces(req: Obj, proto: boolean): void {
    const before = this.spans.length;
    this.addSpans(req, proto);
    this.spansPerRequest.push(this.spans.length - before);
  }

  private addSpans(req: Obj, proto: boolean): void {
    for (const rs of req['resourceSpans'] ?? []) {
      const resource = attrs(rs['resource']?.['attributes']);
      for (const ss of rs['scopeSpans'] ?? []) {
        for (const s of ss['spans'] ?? []) {
          this.spans.push({
            traceId: hexOf(s['traceId'], proto),
            spanId: hexOf(s['spanId'], proto),
            parentSpanId: hexOf(s['parentSpanId'], proto),
            name: s['name'],
            kind: Number(typeof s['kind'] === 'string' ? { SPAN_KIND_INTERNAL: 1, SPAN_KIND_CLIENT: 3 }[s['kind'] as string] : s['kind']),
            startNs: BigInt(s['startTimeUnixNano']),
            endNs: BigInt(s['endTimeUnixNano']),
            attributes: attrs(s['attributes']),
            status: { code: Number(typeof s['status']?.['code'] === 'string' ? { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 }[s['status']['code'] as string] : s['status']?.['code'] ?? 0), message: s['status']?.['message'] },
            resource,
          });
        }
      }
    }
  }

  private addMetrics(req: Obj): void {
    const out: ReceivedMetric[] = [];
    for (const rm of req['resourceMetrics'] ?? []) {
      const resource = attrs(rm['resource']?.['attributes']);
      for (const sm of rm['scopeMetrics'] ?? []) {
        for (const m of sm['metrics'] ?? []) {
          const points = (m['histogram']?.['dataPoints'] ?? []).map((d: Obj) => ({
            attributes: attrs(d['attributes']),
            startNs: String(d['startTimeUnixNano']),
            timeNs: String(d['timeUnixNano']),
            count: Number(d['count']),
            sum: Number(d['sum']),
            explicitBounds: (d['explicitBounds'] ?? []).map(Number),
            bucketCounts: (d['bucketCounts'] ?? []).map(Number),
          }));
          out.push({ name: m['name'], unit: m['unit'], points, resource });
        }
      }
    }
    this.metricRequests.push(out);
  }
}
