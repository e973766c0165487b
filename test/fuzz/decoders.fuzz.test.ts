/**
 * Fuzzes the HTTP/1.1, HTTP/2, SSE and provider decoders with ≥100k mutated inputs each (seeded, time-capped):
 * nothing may throw out of the pipeline, no input may hang, no decoder error may be swallowed as an internal
 * loss, and memory must stay bounded.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HttpConnectionDecoder } from '../../src/protocols/http/http-connection-decoder';
import { LlmPipeline } from '../../src/protocols/llm/llm-pipeline';
import { SseParser } from '../../src/protocols/llm/sse';
import { fixtureNames, loadFixture } from '../protocols/llm/fixture-util';
import { fuzzConfig, mutate, randomSplit, runFuzz } from './fuzz-harness';

const cfg = fuzzConfig();
/** An input taking this long means a hang-like blow-up (liveness bound, not a performance target). */
const HANG_MS = 5000;

interface Conn {
  chunks: Array<{ dir: 0 | 1; data: Buffer }>;
}

const fixtures = fixtureNames().map(loadFixture);
const h1Conns: Conn[] = fixtures.filter((f) => f.alpn !== 'h2');
const h2Conns: Conn[] = fixtures.filter((f) => f.alpn === 'h2');

const HAND_H1: Conn[] = [
  {
    chunks: [
      { dir: 0, data: Buffer.from('POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n2\r\n:1\r\n1\r\n}\r\n0\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\n') },
      { dir: 1, data: Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\ndata: {"type":"ping"}\n\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n') },
    ],
  },
  {
    chunks: [
      { dir: 0, data: Buffer.from('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n') },
      { dir: 1, data: Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 33\r\n\r\n'), gzipSync('{"model":"x","choices":[]}')]) },
    ],
  },
];

/** Connection-level bytes per direction, mutated, then re-chunked with occasional "lost tail" chunks. */
function fuzzConnection(rnd: () => number, conns: Conn[], feed: (dir: 0 | 1, data: Uint8Array, origLen: number) => void): void {
  const conn = conns[Math.floor(rnd() * conns.length)]!;
  const other = conns[Math.floor(rnd() * conns.length)]!;
  const dirBytes = (c: Conn, d: 0 | 1): Buffer => Buffer.concat(c.chunks.filter((x) => x.dir === d).map((x) => x.data));
  // Keep the inputs small enough for 100k runs: a window from the start (where headers live) most of the time.
  // Whole connections up to 20 KB (every fake-server fixture); the real-agent ones are cut there too.
  const cut = (b: Buffer): Buffer => b.subarray(0, 1 + Math.floor(rnd() * (rnd() < 0.9 ? 2000 : 20_000)));
  const req = randomSplit(rnd, mutate(rnd, cut(dirBytes(conn, 0)), dirBytes(other, 0)));
  const resp = randomSplit(rnd, mutate(rnd, cut(dirBytes(conn, 1)), dirBytes(other, 1)));
  let i = 0;
  let j = 0;
  while (i < req.length || j < resp.length) {
    const takeReq = j >= resp.length || (i < req.length && rnd() < 0.5);
    const piece = takeReq ? req[i++]! : resp[j++]!;
    const lost = rnd() < 0.02 ? Math.floor(rnd() * 5000) : 0;
    feed(takeReq ? 0 : 1, piece, piece.length + lost);
  }
}

function checkMemory(): void {
  // Bounded memory: nothing the decoders keep may grow across 100k inputs (each input's state is dropped).
  expect(process.memoryUsage().heapUsed).toBeLessThan(1.5 * 1024 ** 3);
}

function pipelineRun(rnd: () => number, conns: Conn[]): void {
  const internal: string[] = [];
  let out = 0;
  const p = new LlmPipeline({
    onExchange: () => out++,
    onLlmCall: () => out++,
    onLoss: (l) => {
      if (l.source === 'http:internal' || l.source === 'pipeline:sink') internal.push(l.detail);
    },
    onLlmProgress: () => undefined,
  });
  let ts = 1;
  fuzzConnection(rnd, conns, (dir, data, origLen) => p.pushChunk('k', { dir, tsNs: ts++, data, origLen }, { processId: 1, sessionId: 1 }));
  p.endConnection('k', ts);
  if (internal.length > 0) throw new Error(`decoder error swallowed: ${internal[0]}`);
  if (p.openConnections !== 0) throw new Error('connection left open');
}

function decoderRun(rnd: () => number, conns: Conn[]): void {
  const d = new HttpConnectionDecoder({
    onExchange: (ex) => {
      // Everything emitted must be serialisable as a store row would be.
      JSON.stringify(ex.reqHeaders);
      JSON.stringify(ex.respHeaders);
    },
    onLoss: (l) => {
      if (l.source === 'http:internal') throw new Error(`decoder error swallowed: ${l.detail}`);
    },
  });
  let ts = 1;
  fuzzConnection(rnd, conns, (dir, data, origLen) => d.push({ dir, tsNs: ts++, data, origLen }));
  d.end(ts);
}

describe('fuzz', () => {
  it('HTTP/1.1 decoder', () => {
    const st = runFuzz('http1', cfg, (rnd) => decoderRun(rnd, [...h1Conns, ...HAND_H1]));
    expect(st.maxInputMs).toBeLessThan(HANG_MS);
    if (process.env.CI) expect(st.inputs).toBe(cfg.iterations);
    checkMemory();
  });

  it('HTTP/2 decoder (with HPACK)', () => {
    const st = runFuzz('http2', cfg, (rnd) => decoderRun(rnd, h2Conns));
    expect(st.maxInputMs).toBeLessThan(HANG_MS);
    if (process.env.CI) expect(st.inputs).toBe(cfg.iterations);
    checkMemory();
  });

  it('whole pipeline (HTTP/1.1 and HTTP/2 connections through to LLM calls)', () => {
    const st = runFuzz('pipeline', cfg, (rnd) => pipelineRun(rnd, [...h1Conns, ...h2Conns, ...HAND_H1]));
    expect(st.maxInputMs).toBeLessThan(HANG_MS);
    checkMemory();
  });

  it('SSE parser', () => {
    const bodies: Buffer[] = [];
    for (const f of fixtures) {
      const resp = Buffer.concat(f.chunks.filter((c) => c.dir === 1).map((c) => c.data));
      const i = resp.indexOf('data:');
      if (i >= 0) bodies.push(resp.subarray(i));
    }
    bodies.push(Buffer.from('event: a\r\ndata: x\r\n\r\n: c\rdata: y\r\rid: 1\ndata\n\n'));
    const st = runFuzz('sse', cfg, (rnd) => {
      const b = mutate(rnd, bodies[Math.floor(rnd() * bodies.length)]!.subarray(0, 4000), bodies[0]!);
      let n = 0;
      const p = new SseParser(() => n++);
      for (const piece of randomSplit(rnd, b)) p.push(piece);
      p.end();
      if (n > b.length) throw new Error('more events than bytes');
    });
    expect(st.maxInputMs).toBeLessThan(HANG_MS);
    if (process.env.CI) expect(st.inputs).toBe(cfg.iterations);
  });

  it('provider decoders on mutated response bodies', () => {
    // Valid HTTP framing around mutated bodies, so the provider codecs (not the HTTP layer) see the garbage.
    const cases: Array<{ req: Buffer; body: Buffer; ct: string }> = [];
    for (const f of fixtures) {
      const d = new HttpConnectionDecoder({
        onExchange: (ex) => {
          if (!ex.reqBody || !ex.respBody || !ex.path) return;
          const ct = ex.respHeaders.find(([n]) => n === 'content-type')?.[1] ?? 'application/json';
          const req = Buffer.concat([Buffer.from(`${ex.method} ${ex.path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${ex.reqBody.length}\r\n\r\n`), Buffer.from(ex.reqBody)]);
          cases.push({ req, body: Buffer.from(ex.respBody), ct });
        },
      });
      for (const c of f.chunks) d.push({ dir: c.dir, tsNs: c.tsNs, data: c.data, origLen: c.data.length });
      d.end(0);
    }
    expect(cases.length).toBeGreaterThan(8);
    // Response decoding is the target here: skip the 40-80 KB real-agent requests, whose responses have the same
    // shapes as the fake ones (they come from the same server) and would make each input parse 80 KB of JSON.
    const small = cases.filter((c) => c.req.length < 20_000);
    cases.length = 0;
    cases.push(...small);
    const st = runFuzz('providers', cfg, (rnd) => {
      const c = cases[Math.floor(rnd() * cases.length)]!;
      const body = mutate(rnd, c.body, cases[Math.floor(rnd() * cases.length)]!.body);
      const req = rnd() < 0.2 ? mutate(rnd, c.req, c.req) : c.req;
      let calls = 0;
      const p = new LlmPipeline({
        onExchange: () => undefined,
        onLlmCall: (call) => {
          calls++;
          JSON.stringify(call);
        },
        onLoss: (l) => {
          if (l.source === 'http:internal' || l.source === 'pipeline:sink') throw new Error(l.detail);
        },
      });
      p.pushChunk('k', { dir: 0, tsNs: 1, data: req, origLen: req.length }, { processId: 1, sessionId: 1 });
      const head = Buffer.from(`HTTP/1.1 ${rnd() < 0.9 ? 200 : 429} OK\r\nContent-Type: ${c.ct}\r\nContent-Length: ${body.length}\r\n\r\n`);
      for (const piece of randomSplit(rnd, Buffer.concat([head, body]))) p.pushChunk('k', { dir: 1, tsNs: 2, data: piece, origLen: piece.length }, { processId: 1, sessionId: 1 });
      p.endConnection('k', 3);
      void calls;
    });
    expect(st.maxInputMs).toBeLessThan(HANG_MS);
    if (process.env.CI) expect(st.inputs).toBe(cfg.iterations);
    checkMemory();
  });
});
