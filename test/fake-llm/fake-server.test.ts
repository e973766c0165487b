/**
 * The fake server with real clients, and the decoder over what the server saw on the wire: pairing of 200
 * concurrent HTTP/2 streams, live streaming progress, compression, and the CLI as a separate process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decompress as zstdDecompress } from 'fzstd';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl, fetchInChild, h1Session, h2Session } from './clients';
import { FINAL_TEXT, TOOL_COMMAND } from './replies';
import * as S from './scenarios';
import { startFakeLlmServer, type FakeLlmServer, type RecordedConnection } from './server';
import { zstdCompress } from './zstd-frame';
import { connectWs } from './ws-client';
import { newSink } from '../protocols/llm/fixture-util';
import { LlmPipeline } from '../../src/protocols/llm/llm-pipeline';
import type { LlmCall } from '../../src/protocols/llm/types';

function decodeConnection(conn: RecordedConnection) {
  const s = newSink();
  for (const c of conn.chunks) s.pipeline.pushChunk(`c${conn.id}`, { dir: c.dir, tsNs: c.tsNs, data: c.data, origLen: c.data.length }, { processId: 1, sessionId: 1 });
  s.pipeline.endConnection(`c${conn.id}`, (conn.chunks.at(-1)?.tsNs ?? 0) + 1);
  return s;
}

describe('fake LLM server', () => {
  let srv: FakeLlmServer;
  beforeAll(async () => {
    srv = await startFakeLlmServer({ eventDelayMs: 2 });
  });
  afterAll(async () => {
    await srv.close();
  });

  it('serves a two-turn tool-call script to a real HTTP/2 client and records the plaintext', async () => {
    const before = srv.connections.length;
    const bodies = await h2Session(srv, async (post) => {
      const r1 = await post('/v1/messages', S.anthropicTurn1(false), S.claudeHeaders());
      const m1 = JSON.parse(r1.body.toString());
      const tool = m1.content.find((b: { type: string }) => b.type === 'tool_use');
      expect(tool).toMatchObject({ name: 'Bash', input: { command: TOOL_COMMAND } });
      const r2 = await post('/v1/messages', S.anthropicTurn2(false, tool.id), S.claudeHeaders());
      return [m1, JSON.parse(r2.body.toString())];
    });
    expect(bodies[1].content[0].text).toBe(FINAL_TEXT);
    const conn = srv.connections[before]!;
    expect(conn.alpn).toBe('h2');
    expect(Buffer.concat(conn.chunks.filter((c) => c.dir === 0).map((c) => c.data)).subarray(0, 3).toString()).toBe('PRI');
  });

  it('pairs 200 concurrent HTTP/2 streams exactly (checked against what the server answered)', async () => {
    const before = srv.connections.length;
    const firstReq = srv.requests.length;
    await h2Session(srv, (post) =>
      Promise.all(Array.from({ length: 200 }, (_, i) => post('/v1/chat/completions', { model: `gpt-4o-mini`, messages: [{ role: 'user', content: `question number ${i} ${'x'.repeat(i * 13)}` }], stream: i % 2 === 0 }, {}))),
    );
    const d = decodeConnection(srv.connections[before]!);
    expect(d.losses).toEqual([]);
    expect(d.exchanges).toHaveLength(200);
    for (const ex of d.exchanges) {
      expect(ex.complete).toBe(true);
      const seq = Number(ex.respHeaders.find(([n]) => n === 'x-fake-llm-seq')![1]);
      // x-fake-llm-seq n is the server's n-th request: what it answered on this stream.
      const served = srv.requests[seq - 1];
      expect(seq - 1).toBeGreaterThanOrEqual(firstReq);
      expect(Buffer.from(ex.reqBody!).equals(served!.body)).toBe(true);
    }
    expect(d.calls).toHaveLength(200);
    expect(d.calls.filter((c) => c.call.streaming)).toHaveLength(100);
    for (const c of d.calls) expect(c.call.incomplete).toBe(false);
  });

  it('streams: progress reaches the sink before the response ends', async () => {
    const before = srv.connections.length;
    await h2Session(srv, (post) => post('/v1/messages', S.anthropicTurn1(true), S.claudeHeaders()));
    const calls: LlmCall[] = [];
    const progressTs: number[] = [];
    const conn = srv.connections[before]!;
    const p = new LlmPipeline({
      onExchange: () => undefined,
      onLlmCall: (call) => calls.push(call),
      onLoss: () => undefined,
      onLlmProgress: (pr) => progressTs.push(pr.tsNs),
    });
    for (const c of conn.chunks) p.pushChunk('x', { dir: c.dir, tsNs: c.tsNs, data: c.data, origLen: c.data.length }, { processId: 1, sessionId: 1 });
    p.endConnection('x', conn.chunks.at(-1)!.tsNs + 1);
    const call = calls[0]!;
    expect(progressTs.length).toBeGreaterThan(3);
    expect(new Set(progressTs).size).toBeGreaterThan(3);
    expect(progressTs[0]).toBe(call.firstTokenNs);
    expect(progressTs[0]!).toBeLessThan(call.endNs!);
  });

  it('decodes a zstd-compressed request body sent over HTTP/2 (as Codex does) and a 10 MB request', async () => {
    const before = srv.connections.length;
    const big = { ...(S.responsesTurn1(true) as object), input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'z'.repeat(10 * 1024 * 1024) }] }] };
    await h2Session(srv, async (post) => {
      const r = await post('/v1/responses', zstdCompress(Buffer.from(JSON.stringify(S.responsesTurn1(true)))), { ...S.codexHeaders(), 'content-encoding': 'zstd' });
      expect(r.status).toBe(200);
      const r2 = await post('/v1/responses', big, S.codexHeaders());
      expect(r2.status).toBe(200);
    });
    const d = decodeConnection(srv.connections[before]!);
    expect(d.losses).toEqual([]);
    expect(d.calls).toHaveLength(2);
    expect(d.calls[0]!.call).toMatchObject({ provider: 'openai-responses', requestModel: 'gpt-5-codex', incomplete: false, agent: 'codex' });
    expect(JSON.parse(d.calls[0]!.call.requestJson!).instructions).toBe('You are a coding agent. Use tools when needed.');
    expect(d.exchanges[1]!.reqBody!.length).toBe(Buffer.byteLength(JSON.stringify(big)));
    expect(d.calls[1]!.call.inputTokens).toBe(Math.ceil(Buffer.byteLength(JSON.stringify(big)) / 4));
  });

  it('serves the Responses WebSocket mode (as Codex uses it), and the pipeline decodes calls from its frames', async () => {
    for (const deflate of [false, true]) {
      const before = srv.connections.length;
      const ws = await connectWs(srv, '/v1/responses', S.codexHeaders(), deflate);
      const done = (m: string): boolean => JSON.parse(m).type === 'response.completed';
      const t1 = await ws.request(JSON.stringify({ type: 'response.create', ...(S.responsesTurn1(true) as object) }), done);
      const call = JSON.parse(t1.find((m) => JSON.parse(m).type === 'response.output_item.done' && JSON.parse(m).item.type === 'function_call')!).item;
      await ws.request(JSON.stringify({ type: 'response.create', ...(S.responsesTurn2(true, call.call_id) as object) }), done);
      await ws.close();
      const conn = srv.connections[before]!;
      const d = decodeConnection(conn);
      expect(d.losses).toEqual([]);
      expect(d.exchanges).toHaveLength(1);
      expect(d.exchanges[0]!.upgrade).toBe('websocket');
      expect(d.calls).toHaveLength(2);
      const [a, b] = d.calls;
      expect(a!.call).toMatchObject({ provider: 'openai-responses', streaming: true, agent: 'codex', stopReason: 'tool_calls', incomplete: false, exchangeSeq: d.exchanges[0]!.seq });
      expect(a!.toolCalls.map((t) => [t.callId, t.name])).toEqual([[call.call_id, 'shell']]);
      expect(b!.toolResults.map((r) => r.callId)).toEqual([call.call_id]);
      expect(b!.call).toMatchObject({ responseText: FINAL_TEXT, incomplete: false });
      expect(a!.call.inputTokens).toBe(Math.ceil(Buffer.byteLength(JSON.stringify(S.responsesTurn1(true))) / 4));
      expect(a!.call.firstTokenNs).toBeGreaterThanOrEqual(a!.call.startNs);
      const raw = Buffer.concat(conn.chunks.filter((c) => c.dir === 1).map((c) => c.data)).toString('latin1');
      expect(raw.includes('permessage-deflate')).toBe(deflate);
    }
  });

  it('compresses per Accept-Encoding: gzip, zstd, identity', async () => {
    await h1Session(srv, async (post) => {
      const g = await post('/v1/chat/completions', S.chatTurn1(false), { 'accept-encoding': 'gzip' });
      expect(g.headers['content-encoding']).toBe('gzip');
      expect(JSON.parse(gunzipSync(g.body).toString()).choices[0].message.tool_calls[0].function.name).toBe('shell');
      const z = await post('/v1/chat/completions', S.chatTurn1(false), { 'accept-encoding': 'zstd, gzip' });
      expect(z.headers['content-encoding']).toBe('zstd');
      expect(JSON.parse(Buffer.from(zstdDecompress(z.body)).toString()).model).toBe('gpt-4o-mini');
      const i = await post('/v1/chat/completions', S.chatTurn1(false), {});
      expect(i.headers['content-encoding']).toBeUndefined();
      expect(JSON.parse(i.body.toString()).usage.prompt_tokens).toBe(Math.ceil(Buffer.byteLength(JSON.stringify(S.chatTurn1(false))) / 4));
    });
  });

  it('answers each API through curl and fetch, with scripted errors', async () => {
    const gem = await curl(srv, '/v1beta/models/gemini-2.5-pro:generateContent', S.geminiTurn1(), '1.1');
    expect(JSON.parse(gem).candidates[0].content.parts.at(-1).functionCall).toEqual({ name: 'run_shell_command', args: { command: TOOL_COMMAND } });
    const resp = await fetchInChild(srv, '/v1/responses', S.responsesTurn2(false, 'call_1'));
    expect(JSON.parse(resp.text).output.at(-1).content[0].text).toBe(FINAL_TEXT);
    const err = await fetchInChild(srv, '/v1/messages', { ...(S.anthropicTurn1(false) as object), model: 'claude-error-500' });
    expect(err.status).toBe(500);
    expect(JSON.parse(err.text)).toEqual({ type: 'error', error: { type: 'api_error', message: 'Internal error in fake-llm (scripted).' } });
  });
});

describe('fake LLM server scripts', () => {
  it('lets a test script its own replies with exact usage', async () => {
    const srv2 = await startFakeLlmServer({
      script: ({ seq }) => ({ kind: 'text', text: `custom ${seq}`, thinking: null, usage: { input: 11, output: 22, cacheRead: 3, cacheWrite: 4, reasoning: 0 } }),
    });
    try {
      const out = JSON.parse(await curl(srv2, '/v1/messages', S.anthropicTurn1(false), '1.1'));
      expect(out.content[0].text).toBe('custom 1');
      expect(out.usage).toEqual({ input_tokens: 11, cache_creation_input_tokens: 4, cache_read_input_tokens: 3, output_tokens: 22 });
    } finally {
      await srv2.close();
    }
  });
});

describe('fake LLM server CLI', () => {
  it('runs as a separate process, prints its port and CA, and exits when stdin closes', async () => {
    const cli = join(__dirname, 'cli.ts');
    const tsx = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
    const child = spawn(tsx, [cli, '--encoding', 'identity'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`cli exited ${code}`)));
    });
    const info = JSON.parse(line) as { port: number; url: string; caCertPath: string; env: Record<string, string> };
    expect(existsSync(info.caCertPath)).toBe(true);
    expect(info.env.NODE_EXTRA_CA_CERTS).toBe(info.caCertPath);
    const out = await curl({ ...info, caBundlePath: '', requests: [], connections: [], close: async () => undefined } as FakeLlmServer, '/v1/messages', S.anthropicTurn1(false), '2');
    expect(JSON.parse(out).stop_reason).toBe('tool_use');
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.stdin.end();
    });
    expect(code).toBe(0);
  });
});
