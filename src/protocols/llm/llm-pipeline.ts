/**
 * LlmPipeline: the collector's one entry point from TLS plaintext to HTTP exchanges and LLM calls.
 *
 *   const p = new LlmPipeline(sink);
 *   p.pushChunk(connKey, { dir, tsNs, data, origLen }, { processId, sessionId, host });  // every captured chunk, in order
 *   p.endConnection(connKey, tsNs);                                                     // when the TLS connection closes
 *   p.endAll(tsNs);                                                                     // at shutdown: flushes open ones
 *
 * - connKey: any string unique per TLS connection (e.g. `${pid}:${sslPtr}:${firstTsNs}`). Chunks of one connection
 *   must arrive in capture order; connections are independent.
 * - dir: 0 = written by the traced process (request side), 1 = read by it (response side).
 * - origLen > data.length means the capture lost the tail of that buffer: the affected exchange is marked
 *   incomplete and the loss is reported through onLoss, never thrown.
 * - connMeta is remembered from the first chunk of a connection (later values only fill in a missing host).
 *
 * The sink receives, synchronously and in capture order:
 * - onExchange(exchange, meta): every finished HTTP exchange (complete or not), headers and URL already redacted.
 *   Assign the exchange row id here; onLlmCall for the same exchange follows right after it.
 * - onLlmCall(call, toolCalls, toolResults, meta): a model call decoded from that exchange (`call.exchangeSeq`
 *   = `exchange.seq`). toolResults are the results new in this request (link them to earlier tool calls by callId).
 *   Calls made over a WebSocket (OpenAI Responses WebSocket mode, used by Codex) arrive later, one per
 *   response.create, all with the exchangeSeq of the 101 upgrade exchange.
 * - onLoss({ source, count, bytes, detail, tsNs, connKey, processId }): data we could not decode or keep.
 * - onResponseHeaders / onLlmProgress (optional): live view of streaming responses as they arrive.
 *
 * Nothing here throws on bad input; a sink that throws is caught and reported as a loss ('pipeline:sink').
 */
import { HttpConnectionDecoder } from '../http/http-connection-decoder';
import type { HttpExchange, HttpLoss } from '../http/types';
import { startLlmCall, type LlmCallBuilder, type LlmProgress } from './llm-call-builder';
import type { LlmCall, LlmToolCall, LlmToolResult } from './types';
import { WsLlmTracker } from './ws-responses';

export interface ConnMeta {
  processId: number | null;
  sessionId: number | null;
  host?: string | null;
}

export interface ChunkIn {
  dir: 0 | 1;
  tsNs: number;
  data: Uint8Array;
  origLen: number;
}

export interface ExchangeMeta {
  connKey: string;
  processId: number | null;
  sessionId: number | null;
  /** Protocol recognised on the connection ('http/1.1' | 'h2'). */
  protocol: string | null;
}

export interface PipelineLoss {
  source: string;
  count: number;
  bytes: number;
  detail: string;
  tsNs: number;
  connKey: string;
  processId: number | null;
}

export interface LlmPipelineSink {
  onExchange(exchange: HttpExchange, meta: ExchangeMeta): void;
  onLlmCall(call: LlmCall, toolCalls: LlmToolCall[], toolResults: LlmToolResult[], meta: ExchangeMeta): void;
  onLoss(loss: PipelineLoss): void;
  onResponseHeaders?(exchange: HttpExchange, meta: ExchangeMeta): void;
  onLlmProgress?(progress: LlmProgress, meta: ExchangeMeta): void;
}

interface Conn {
  decoder: HttpConnectionDecoder;
  meta: ConnMeta;
  builders: Map<number, LlmCallBuilder>;
  ws: WsLlmTracker;
  exMeta: () => ExchangeMeta;
}

export class LlmPipeline {
  private readonly conns = new Map<string, Conn>();

  constructor(private readonly sink: LlmPipelineSink) {}

  /** Number of connections currently open (for memory checks). */
  get openConnections(): number {
    return this.conns.size;
  }

  pushChunk(connKey: string, chunk: ChunkIn, connMeta: ConnMeta): void {
    let c = this.conns.get(connKey);
    if (!c) {
      c = this.open(connKey, connMeta);
      this.conns.set(connKey, c);
    } else if (!c.meta.host && connMeta.host) c.meta.host = connMeta.host;
    c.decoder.push(chunk);
  }

  endConnection(connKey: string, tsNs: number): void {
    const c = this.conns.get(connKey);
    if (!c) return;
    this.conns.delete(connKey);
    c.decoder.end(tsNs);
    const m = c.exMeta();
    for (const r of c.ws.end(tsNs)) {
      try {
        this.sink.onLlmCall(r.call, r.toolCalls, r.toolResults, m);
      } catch (err) {
        this.safeLoss({ source: 'pipeline:sink', count: 1, bytes: 0, detail: `llm call: ${(err as Error).message}`, tsNs, connKey, processId: c.meta.processId });
      }
    }
  }

  endAll(tsNs: number): void {
    for (const k of [...this.conns.keys()]) this.endConnection(k, tsNs);
  }

  private open(connKey: string, connMeta: ConnMeta): Conn {
    const meta: ConnMeta = { processId: connMeta.processId, sessionId: connMeta.sessionId, host: connMeta.host ?? null };
    const builders = new Map<number, LlmCallBuilder>();
    const exMeta = (): ExchangeMeta => ({ connKey, processId: meta.processId, sessionId: meta.sessionId, protocol: decoder.protocol });
    const guard = (what: string, tsNs: number, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        this.safeLoss({ source: 'pipeline:sink', count: 1, bytes: 0, detail: `${what}: ${(err as Error).message}`, tsNs, connKey, processId: meta.processId });
      }
    };
    const decoder: HttpConnectionDecoder = new HttpConnectionDecoder({
      onResponseHeaders: (ex) => {
        guard('response headers', ex.firstByteNs ?? ex.startNs, () => {
          if (ex.requestDone) {
            const b = startLlmCall(ex, meta.host ?? null, (p) => this.sink.onLlmProgress?.(p, exMeta()));
            if (b) builders.set(ex.seq, b);
          }
          this.sink.onResponseHeaders?.(ex, exMeta());
        });
      },
      onResponseData: (ex, data, tsNs) => {
        const b = builders.get(ex.seq);
        if (b) guard('response data', tsNs, () => b.onData(data, tsNs));
      },
      onExchange: (ex) => {
        const tsNs = ex.endNs ?? ex.startNs;
        let b = builders.get(ex.seq) ?? null;
        builders.delete(ex.seq);
        const m = exMeta();
        guard('exchange', tsNs, () => this.sink.onExchange(ex, m));
        guard('llm call', tsNs, () => {
          // Exchanges whose request finished after the response started get their builder now.
          if (!b) b = startLlmCall(ex, meta.host ?? null);
          if (!b) return;
          const r = b.finish(ex);
          this.sink.onLlmCall(r.call, r.toolCalls, r.toolResults, m);
        });
      },
      onLoss: (l: HttpLoss) => this.safeLoss({ ...l, connKey, processId: meta.processId }),
      onWebSocketMessage: (ex, msg) => {
        guard('websocket message', msg.tsNs, () => {
          const r = ws.onMessage(ex, msg);
          if (r) this.sink.onLlmCall(r.call, r.toolCalls, r.toolResults, exMeta());
        });
      },
    });
    const ws = new WsLlmTracker(() => meta.host ?? null, (p) => this.sink.onLlmProgress?.(p, exMeta()));
    return { decoder, meta, builders, ws, exMeta };
  }

  private safeLoss(l: PipelineLoss): void {
    try {
      this.sink.onLoss(l);
    } catch {
      // A sink that cannot take a loss report has nowhere left to report to.
    }
  }
}
