/**
 * Decode throughput of the HTTP/SSE/LLM layer (goal: ≥ 50 MB/s of captured plaintext).
 *
 * Inputs are built here in the wire formats the fixtures show (Anthropic SSE events, HTTP/1.1 chunked,
 * HTTP/2 frames with HPACK), so the bench runs from dist/ without test files. Each figure is the best of five
 * timed runs over the same bytes; MB = 10^6 bytes of plaintext pushed.
 */
import { HttpConnectionDecoder } from '../protocols/http/http-connection-decoder';
import { huffmanEncode } from '../protocols/http/hpack-decoder';
import { LlmPipeline } from '../protocols/llm/llm-pipeline';
import { SseParser } from '../protocols/llm/sse';
import * as zlib from 'node:zlib';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  detail: string;
}

function anthropicSse(textDeltas: number): Buffer {
  const ev: string[] = [];
  const sse = (name: string, data: unknown): void => {
    ev.push(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  sse('message_start', { type: 'message_start', message: { id: 'msg_bench', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [], stop_reason: null, usage: { input_tokens: 1200, cache_creation_input_tokens: 0, cache_read_input_tokens: 30000, output_tokens: 1 } } });
  sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  for (let i = 0; i < textDeltas; i++) sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: `token ${i} of a long streamed answer, ` } });
  sse('content_block_stop', { type: 'content_block_stop', index: 0 });
  sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: textDeltas } });
  sse('message_stop', { type: 'message_stop' });
  return Buffer.from(ev.join(''));
}

const REQUEST_BODY = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5-20250929', max_tokens: 4096, stream: true, messages: [{ role: 'user', content: 'x'.repeat(40_000) }] }));

function http1Exchange(sse: Buffer, gzip = false): { req: Buffer; resp: Buffer } {
  const req = Buffer.concat([
    Buffer.from(`POST /v1/messages?beta=true HTTP/1.1\r\nhost: api.anthropic.com\r\nuser-agent: claude-cli/2.0.14 (external, cli)\r\nx-api-key: sk-ant-bench\r\ncontent-type: application/json\r\ncontent-length: ${REQUEST_BODY.length}\r\n\r\n`),
    REQUEST_BODY,
  ]);
  // Chunked like a real streaming server: one chunk per ~20 events.
  const parts: Buffer[] = [Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n${gzip ? 'content-encoding: gzip\r\n' : ''}transfer-encoding: chunked\r\n\r\n`)];
  // One gzip stream cut into 4 KB HTTP chunks, decoded as the chunks arrive.
  const pieces: Buffer[] = [];
  if (gzip) {
    const all = zlib.gzipSync(sse, { level: 6 });
    for (let i = 0; i < all.length; i += 4096) pieces.push(all.subarray(i, i + 4096));
  } else for (let i = 0; i < sse.length; i += 4096) pieces.push(sse.subarray(i, i + 4096));
  for (const piece of pieces) {
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return { req, resp: Buffer.concat(parts) };
}

function splitInto(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

function timeBest(runs: number, fn: () => void): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (s < best) best = s;
  }
  return best;
}

// ---- HTTP/2 input: many concurrent streams ----

function int(v: number, prefixBits: number, flags: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (v < max) return [flags | v];
  const out = [flags | max];
  v -= max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function hpackBlock(headers: Array<[string, string]>): Buffer {
  const out: number[] = [];
  for (const [n, v] of headers) {
    const hn = [...huffmanEncode(n)];
    const hv = [...huffmanEncode(v)];
    out.push(0x40, ...int(hn.length, 7, 0x80), ...hn, ...int(hv.length, 7, 0x80), ...hv);
  }
  return Buffer.from(out);
}

function frame(type: number, flags: number, sid: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(sid, 5);
  return Buffer.concat([h, payload]);
}

function h2Connection(streams: number, sse: Buffer): { client: Buffer[]; server: Buffer[] } {
  const client: Buffer[] = [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(4, 0, 0, Buffer.alloc(0))];
  const server: Buffer[] = [frame(4, 0, 0, Buffer.alloc(0))];
  for (let i = 0; i < streams; i++) {
    const sid = 1 + 2 * i;
    const h = hpackBlock([
      [':method', 'POST'],
      [':scheme', 'https'],
      [':authority', 'api.openai.com'],
      [':path', '/v1/responses'],
      ['content-type', 'application/json'],
      ['authorization', 'Bearer sk-bench'],
      ['user-agent', 'codex_cli_rs/0.46.0'],
    ]);
    client.push(frame(1, 0x4, sid, h));
  }
  const body = Buffer.from(JSON.stringify({ model: 'gpt-5-codex', input: [{ type: 'message', role: 'user', content: 'y'.repeat(8000) }] }));
  for (let off = 0; off < body.length; off += 16384) {
    for (let i = 0; i < streams; i++) {
      const piece = body.subarray(off, off + 16384);
      client.push(frame(0, off + 16384 >= body.length ? 0x1 : 0, 1 + 2 * i, piece));
    }
  }
  for (let i = 0; i < streams; i++) server.push(frame(1, 0x4, 1 + 2 * i, hpackBlock([[':status', '200'], ['content-type', 'text/event-stream']])));
  // Interleave DATA frames of all streams, 16 KB each, like a busy multiplexed connection.
  for (let off = 0; off < sse.length; off += 16384) {
    for (let i = 0; i < streams; i++) {
      const last = off + 16384 >= sse.length;
      server.push(frame(0, last ? 0x1 : 0, 1 + 2 * i, sse.subarray(off, off + 16384)));
    }
  }
  return { client, server };
}

export async function runDecodeBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const sse = anthropicSse(20_000); // ~2.4 MB of SSE
  const mb = (n: number): number => n / 1e6;

  // 1. SSE parser alone, 16 KB pushes.
  {
    const pieces = splitInto(sse, 16384);
    let events = 0;
    const s = timeBest(5, () => {
      const p = new SseParser(() => events++);
      for (const x of pieces) p.push(x);
      p.end();
    });
    results.push({ name: 'decode.sse-parser', value: mb(sse.length) / s, unit: 'MB/s', detail: `${(sse.length / 1e6).toFixed(1)} MB Anthropic SSE in 16 KB pushes` });
  }

  // 2. Full pipeline: HTTP/1.1 chunked Anthropic stream → exchange → LLM call.
  {
    const { req, resp } = http1Exchange(sse);
    const reqPieces = splitInto(req, 16384);
    const respPieces = splitInto(resp, 16384);
    let calls = 0;
    const total = req.length + resp.length;
    const s = timeBest(5, () => {
      const p = new LlmPipeline({ onExchange: () => undefined, onLlmCall: () => calls++, onLoss: () => undefined });
      let ts = 1;
      for (const x of reqPieces) p.pushChunk('b', { dir: 0, tsNs: ts++, data: x, origLen: x.length }, { processId: 1, sessionId: 1 });
      for (const x of respPieces) p.pushChunk('b', { dir: 1, tsNs: ts++, data: x, origLen: x.length }, { processId: 1, sessionId: 1 });
      p.endConnection('b', ts);
    });
    if (calls === 0) throw new Error('bench: no LLM call decoded');
    results.push({ name: 'decode.llm-sse-http1', value: mb(total) / s, unit: 'MB/s', detail: `Anthropic streaming call over HTTP/1.1 chunked, ${(total / 1e6).toFixed(1)} MB, 16 KB chunks, full pipeline` });
  }

  // 2b. The same call gzip-compressed (Claude Code and Codex ask for compressed streams).
  {
    const { req, resp } = http1Exchange(sse, true);
    const reqPieces = splitInto(req, 16384);
    const respPieces = splitInto(resp, 16384);
    let textLen = 0;
    const total = req.length + resp.length;
    const s = timeBest(5, () => {
      const p = new LlmPipeline({ onExchange: () => undefined, onLlmCall: (c) => (textLen = c.responseText?.length ?? 0), onLoss: () => undefined });
      let ts = 1;
      for (const x of reqPieces) p.pushChunk('g', { dir: 0, tsNs: ts++, data: x, origLen: x.length }, { processId: 1, sessionId: 1 });
      for (const x of respPieces) p.pushChunk('g', { dir: 1, tsNs: ts++, data: x, origLen: x.length }, { processId: 1, sessionId: 1 });
      p.endConnection('g', ts);
    });
    if (textLen === 0) throw new Error('bench: gzip call not decoded');
    results.push({
      name: 'decode.llm-sse-http1-gzip',
      value: mb(req.length + sse.length) / s,
      unit: 'MB/s',
      detail: `gzip'd Anthropic stream, ${(total / 1e6).toFixed(2)} MB captured = ${((req.length + sse.length) / 1e6).toFixed(1)} MB decoded; figure is decoded MB/s (captured: ${(mb(total) / s).toFixed(1)} MB/s)`,
    });
  }

  // 3. HTTP/2 with 100 concurrent streams, HTTP layer only and full pipeline.
  {
    const small = anthropicSse(1000); // ~120 KB per stream
    const { client, server } = h2Connection(100, small);
    const total = [...client, ...server].reduce((n, b) => n + b.length, 0);
    const c = Buffer.concat(client);
    const sv = Buffer.concat(server);
    const cPieces = splitInto(c, 16384);
    const sPieces = splitInto(sv, 16384);
    let exchanges = 0;
    const sHttp = timeBest(5, () => {
      const d = new HttpConnectionDecoder({ onExchange: () => exchanges++ });
      let ts = 1;
      for (const x of cPieces) d.push({ dir: 0, tsNs: ts++, data: x, origLen: x.length });
      for (const x of sPieces) d.push({ dir: 1, tsNs: ts++, data: x, origLen: x.length });
      d.end(ts);
    });
    if (exchanges === 0) throw new Error('bench: no h2 exchange decoded');
    results.push({ name: 'decode.h2-100-streams', value: mb(total) / sHttp, unit: 'MB/s', detail: `HTTP/2, 100 interleaved streams, ${(total / 1e6).toFixed(1)} MB, HTTP layer only` });
    let calls = 0;
    const sFull = timeBest(5, () => {
      const p = new LlmPipeline({ onExchange: () => undefined, onLlmCall: () => calls++, onLoss: () => undefined });
      let ts = 1;
      for (const x of cPieces) p.pushChunk('h', { dir: 0, tsNs: ts++, data: x, origLen: x.length }, { processId: 1, sessionId: 1 });
      for (const x of sPieces) p.pushChunk('h', { dir: 1, tsNs: ts++, data: x, origLen: x.length }, { processId: 1, sessionId: 1 });
      p.endConnection('h', ts);
    });
    results.push({ name: 'decode.llm-h2-100-streams', value: mb(total) / sFull, unit: 'MB/s', detail: `same HTTP/2 input through the full LLM pipeline (${calls / 5} calls per run)` });
  }
  return results;
}

if (require.main === module) {
  void runDecodeBench().then((r) => {
    for (const x of r) process.stdout.write(`${x.name}\t${x.value.toFixed(1)} ${x.unit}\t${x.detail}\n`);
  });
}
