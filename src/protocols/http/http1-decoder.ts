/**
 * HTTP/1.1 connection decoder: pairs requests with responses in connection order (which is what HTTP/1.1
 * guarantees, pipelining included), decides body framing from method and status (HEAD, 1xx, 204, 304, 101),
 * and stops at protocol switches.
 */
import { redactHeaders, redactUrl } from './redact';
import { BodyCollector } from './body-collector';
import { addError, headerValue, newExchange } from './exchange';
import { Http1MessageParser, type Framing, type Http1Head } from './http1-message-parser';
import type { HttpDecoderEvents, HttpExchange } from './types';
import { parseWsExtensions, WebSocketDirection, type WsMessage } from './websocket-decoder';

interface Pending {
  ex: HttpExchange;
  reqBody: BodyCollector | null;
  respBody: BodyCollector | null;
  /** Set when the exchange was already emitted (response before request end). */
  emitted: boolean;
  /** Bytes were lost or the stream was cut: the exchange cannot be complete. */
  damaged: boolean;
}

/** Pipelined requests waiting for responses beyond this are finished as incomplete (bounded memory). */
const MAX_QUEUED = 1000;

export class Http1Decoder {
  private readonly queue: Pending[] = [];
  /** The request currently being received (also in queue until its response ends). */
  private reqCur: Pending | null = null;
  /** The response currently being received. */
  private respCur: Pending | null = null;
  private readonly reqParser: Http1MessageParser;
  private readonly respParser: Http1MessageParser;
  private ended = false;
  /** WebSocket decoders (client, server) after a 101 to websocket. */
  private ws: [WebSocketDirection, WebSocketDirection] | null = null;

  constructor(
    private readonly events: HttpDecoderEvents,
    private readonly nextSeq: () => number,
    /** true when capture began mid-connection: both directions wait for a message start. */
    midStream: boolean,
  ) {
    this.reqParser = new Http1MessageParser('request', {
      onHead: (h, ts) => this.onRequestHead(h, ts),
      onBody: (d, ts) => this.reqCur?.reqBody?.push(d, ts),
      onEnd: (ts) => this.onRequestEnd(ts),
      onError: (m, ts) => this.onParseError('request', m, ts),
      onSkipped: (n, ts) => this.loss('http:desync', n, 'request bytes skipped while out of sync', ts),
      onBodyLost: (n) => this.reqCur?.reqBody?.lose(n),
      onTunnelData: (d, ts) => this.ws?.[0].push(d, ts),
    });
    this.respParser = new Http1MessageParser('response', {
      onHead: (h, ts) => this.onResponseHead(h, ts),
      onBody: (d, ts) => this.respCur?.respBody?.push(d, ts),
      onEnd: (ts) => this.onResponseEnd(ts),
      onError: (m, ts) => this.onParseError('response', m, ts),
      onSkipped: (n, ts) => this.loss('http:desync', n, 'response bytes skipped while out of sync', ts),
      onBodyLost: (n) => this.respCur?.respBody?.lose(n),
      onTunnelData: (d, ts) => this.ws?.[1].push(d, ts),
    });
    if (midStream) {
      this.reqParser.startDesynced();
      this.respParser.startDesynced();
    }
  }

  push(dir: 0 | 1, data: Uint8Array, tsNs: number, lost: number): void {
    if (this.ended) return;
    const p = dir === 0 ? this.reqParser : this.respParser;
    p.push(data, tsNs);
    if (lost > 0 && this.ws) {
      this.ws[dir].lose(lost);
      return;
    }
    if (lost > 0) {
      const cur = dir === 0 ? this.reqCur : this.respCur;
      if (cur) cur.damaged = true;
      if (cur) addError(cur.ex, `capture lost ${lost} ${dir === 0 ? 'request' : 'response'} bytes`);
      p.lose(lost, tsNs);
    }
  }

  end(tsNs: number): void {
    if (this.ended) return;
    this.ended = true;
    this.reqParser.close(tsNs);
    // A read-until-close response ends normally here; anything else still open was cut short.
    this.respParser.close(tsNs);
    for (const p of [...this.queue]) {
      if (p.emitted) continue;
      p.damaged = true;
      addError(p.ex, p.ex.responseDone ? 'connection closed before request end' : 'connection closed before response end');
      this.emit(p, tsNs);
    }
    this.queue.length = 0;
  }

  private onRequestHead(head: Http1Head, tsNs: number): Framing {
    const [method, target] = head.startLine;
    const ex = newExchange(this.nextSeq(), 'http/1.1', null, tsNs);
    ex.method = method;
    ex.path = redactUrl(target);
    ex.reqHeaders = redactHeaders(head.headers);
    ex.host = headerValue(head.headers, 'host');
    const te = headerValue(head.headers, 'transfer-encoding');
    const p: Pending = { ex, reqBody: null, respBody: null, emitted: false, damaged: false };
    if (this.queue.length >= MAX_QUEUED) {
      // Responses are not being seen (one-sided capture?): finish the oldest rather than grow without bound.
      const old = this.queue.shift()!;
      old.damaged = true;
      addError(old.ex, 'no response seen');
      this.emit(old, tsNs);
      this.loss('http:unanswered', 0, `more than ${MAX_QUEUED} requests waiting for responses`, tsNs);
    }
    this.queue.push(p);
    this.reqCur = p;
    if (method === 'CONNECT') return { kind: 'none' };
    if (te && /chunked/i.test(te)) {
      p.reqBody = new BodyCollector(headerValue(head.headers, 'content-encoding'), null);
      return { kind: 'chunked' };
    }
    const cl = parseContentLength(headerValue(head.headers, 'content-length'));
    if (cl === 'bad') {
      addError(ex, 'bad content-length');
      return { kind: 'none' };
    }
    if (cl && cl > 0) {
      p.reqBody = new BodyCollector(headerValue(head.headers, 'content-encoding'), null);
      return { kind: 'length', length: cl };
    }
    return { kind: 'none' };
  }

  private onRequestEnd(tsNs: number): void {
    const p = this.reqCur;
    if (!p) return;
    this.reqCur = null;
    p.ex.requestDone = true;
    if (p.reqBody) {
      p.ex.reqBody = p.reqBody.finish(tsNs);
      if (p.reqBody.error) addError(p.ex, `request body: ${p.reqBody.error}`);
    }
    if (!p.emitted) this.events.onRequest?.(p.ex);
  }

  private onResponseHead(head: Http1Head, tsNs: number): Framing {
    const status = Number(head.startLine[1]);
    let p = this.queue.find((q) => !q.ex.responseDone && !q.emitted) ?? null;
    if (!p) {
      // Capture started after the request went out, or the peer answered without one.
      const ex = newExchange(this.nextSeq(), 'http/1.1', null, tsNs);
      addError(ex, 'request not captured');
      p = { ex, reqBody: null, respBody: null, emitted: false, damaged: true };
      this.queue.push(p);
    }
    const ex = p.ex;
    if (ex.firstByteNs === null) ex.firstByteNs = tsNs;
    if (status >= 100 && status < 200 && status !== 101) return { kind: 'interim' };
    ex.status = status;
    ex.respHeaders = redactHeaders(head.headers);
    this.respCur = p;
    this.events.onResponseHeaders?.(ex);
    if (status === 101) {
      ex.upgrade = (headerValue(head.headers, 'upgrade') ?? 'unknown').toLowerCase();
      this.reqParser.enterTunnel();
      if (ex.upgrade === 'websocket') {
        const ext = parseWsExtensions(headerValue(head.headers, 'sec-websocket-extensions'));
        const onMsg = (m: WsMessage): void => this.events.onWebSocketMessage?.(ex, m);
        const onErr = (why: string, bytes: number): void => this.loss('ws:decode', bytes, why, tsNs);
        this.ws = [new WebSocketDirection(0, ext.client, onMsg, onErr), new WebSocketDirection(1, ext.server, onMsg, onErr)];
      }
      return { kind: 'tunnel' };
    }
    if (ex.method === 'CONNECT' && status >= 200 && status < 300) {
      ex.upgrade = 'connect';
      this.reqParser.enterTunnel();
      return { kind: 'tunnel' };
    }
    if (ex.method === 'HEAD' || status === 204 || status === 304) return { kind: 'none' };
    const onData = (d: Uint8Array, ts: number): void => this.events.onResponseData?.(ex, d, ts);
    p.respBody = new BodyCollector(headerValue(head.headers, 'content-encoding'), onData);
    const te = headerValue(head.headers, 'transfer-encoding');
    if (te && /chunked/i.test(te)) return { kind: 'chunked' };
    const cl = parseContentLength(headerValue(head.headers, 'content-length'));
    if (cl === 'bad') {
      addError(ex, 'bad content-length');
      return { kind: 'eof' };
    }
    if (cl !== null) return { kind: 'length', length: cl };
    return { kind: 'eof' };
  }

  private onResponseEnd(tsNs: number): void {
    const p = this.respCur;
    if (!p) return;
    this.respCur = null;
    p.ex.responseDone = true;
    if (p.respBody) {
      p.ex.respBody = p.respBody.finish(tsNs);
      if (p.respBody.error) addError(p.ex, `response body: ${p.respBody.error}`);
      if (p.respBody.droppedBytes > 0) this.loss('http:body', p.respBody.droppedBytes, p.respBody.error ?? '', tsNs);
    }
    if (p.reqBody && p.reqBody.droppedBytes > 0) this.loss('http:body', p.reqBody.droppedBytes, p.reqBody.error ?? '', tsNs);
    if (!p.ex.requestDone && !p.damaged) {
      p.damaged = true;
      addError(p.ex, 'response before request end');
    }
    this.emit(p, tsNs);
    const i = this.queue.indexOf(p);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private onParseError(side: 'request' | 'response', msg: string, tsNs: number): void {
    const cur = side === 'request' ? this.reqCur : this.respCur;
    this.loss('http:parse', 1, `${side}: ${msg}`, tsNs);
    if (cur) {
      cur.damaged = true;
      addError(cur.ex, `${side} parse error: ${msg}`);
      if (side === 'request') this.reqCur = null;
      else {
        this.respCur = null;
        this.emit(cur, tsNs);
        const i = this.queue.indexOf(cur);
        if (i >= 0) this.queue.splice(i, 1);
      }
    }
    // Once the response stream lost sync, requests already queued can no longer be paired reliably: finish them.
    if (side === 'response') {
      for (const q of [...this.queue]) {
        if (q === this.reqCur) continue;
        q.damaged = true;
        addError(q.ex, 'response stream lost sync');
        this.emit(q, tsNs);
      }
      this.queue.length = 0;
      if (this.reqCur) this.queue.push(this.reqCur);
    }
  }

  private emit(p: Pending, tsNs: number): void {
    if (p.emitted) return;
    p.emitted = true;
    const ex = p.ex;
    if (p.reqBody && !ex.requestDone) ex.reqBody = p.reqBody.finish(tsNs);
    if (p.respBody && !ex.responseDone) ex.respBody = p.respBody.finish(tsNs);
    ex.endNs = tsNs;
    const dropped = (p.reqBody?.droppedBytes ?? 0) + (p.respBody?.droppedBytes ?? 0);
    ex.complete = ex.requestDone && ex.responseDone && !p.damaged && dropped === 0;
    this.events.onExchange(ex);
  }

  private loss(source: string, bytes: number, detail: string, tsNs: number): void {
    this.events.onLoss?.({ source, count: 1, bytes, detail, tsNs });
  }
}

function parseContentLength(v: string | null): number | null | 'bad' {
  if (v === null) return null;
  // Repeated identical values ("12, 12") are allowed by RFC 9110 §8.6.
  const vals = v.split(',').map((s) => s.trim());
  if (!vals.every((x) => /^\d{1,15}$/.test(x)) || !vals.every((x) => x === vals[0])) return 'bad';
  return Number(vals[0]);
}
