/**
 * Regenerates test/fixtures/llm/*.json: runs real clients against the fake server and saves each connection's
 * server-side plaintext. Run: npx tsx test/fake-llm/make-fixtures.ts
 * The fixtures are committed; tests read them without a server. Each file notes how it was made.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { curl, fetchInChild, h1Session, h2Session } from './clients';
import { saveConnectionFixture, startFakeLlmServer, type FakeLlmOptions, type FakeLlmServer } from './server';
import * as S from './scenarios';
import { connectWs } from './ws-client';

const OUT = join(__dirname, '..', 'fixtures', 'llm');

async function withServer(name: string, opts: FakeLlmOptions, note: string, run: (srv: FakeLlmServer) => Promise<void>): Promise<void> {
  const srv = await startFakeLlmServer(opts);
  try {
    await run(srv);
    await new Promise((r) => setTimeout(r, 100));
    srv.connections.forEach((c, i) => {
      const file = join(OUT, srv.connections.length === 1 ? `${name}.json` : `${name}-${i + 1}.json`);
      saveConnectionFixture(c, file, note);
    });
  } finally {
    await srv.close();
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  // Anthropic, streaming, two turns (tool call, then tool result → text) on one HTTP/2 connection, no compression.
  await withServer('anthropic-stream-h2', { encoding: 'identity' }, 'node:http2 client; Claude Code headers; turn 1 tool_use, turn 2 text', async (srv) => {
    await h2Session(srv, async (post) => {
      await post('/v1/messages?beta=true', S.anthropicTurn1(true, true), S.claudeHeaders());
      await post('/v1/messages?beta=true', S.anthropicTurn2(true, 'toolu_fake000001'), S.claudeHeaders());
    });
  });
  // Anthropic non-streaming over HTTP/1.1 keep-alive with gzip, plus count_tokens and a scripted 429.
  await withServer('anthropic-json-h1-gzip', { encoding: 'gzip' }, 'node:https keep-alive; turn 1, turn 2, count_tokens, 429', async (srv) => {
    await h1Session(srv, async (post) => {
      await post('/v1/messages', S.anthropicTurn1(false, true), { ...S.claudeHeaders(), 'accept-encoding': 'gzip' });
      await post('/v1/messages', S.anthropicTurn2(false, 'toolu_fake000001'), { ...S.claudeHeaders(), 'accept-encoding': 'gzip' });
      await post('/v1/messages/count_tokens', { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }, { ...S.claudeHeaders(), 'accept-encoding': 'gzip' });
      await post('/v1/messages', { ...(S.anthropicTurn1(false) as object), model: 'claude-error-429' }, { ...S.claudeHeaders(), 'accept-encoding': 'gzip' });
    });
  });
  // OpenAI Chat streaming via fetch (undici, HTTP/1.1, gzip) — one connection per child process.
  await withServer('openai-chat-stream-fetch', { encoding: 'gzip' }, 'fetch (undici) in a child process; stream with include_usage and a tool call', async (srv) => {
    await fetchInChild(srv, '/v1/chat/completions', S.chatTurn1(true), { authorization: S.SECRETS.openaiKey });
  });
  // OpenAI Chat non-streaming turn 2 + a 500 over curl HTTP/2.
  await withServer('openai-chat-curl-h2', { encoding: 'auto' }, 'curl --http2 --compressed (zstd chosen); turn 2 JSON', async (srv) => {
    await curl(srv, '/v1/chat/completions', S.chatTurn2(false, 'call_fake000001'), '2', ['--compressed', '-H', `authorization: ${S.SECRETS.openaiKey}`]);
  });
  await withServer('openai-chat-500-h1', { encoding: 'identity' }, 'curl --http1.1; scripted 500', async (srv) => {
    await curl(srv, '/v1/chat/completions', { ...(S.chatTurn1(false) as object), model: 'gpt-error-500' }, '1.1', ['-H', `authorization: ${S.SECRETS.openaiKey}`]);
  });
  // OpenAI Responses (Codex shape): streaming over HTTP/2 with zstd, two turns.
  await withServer('openai-responses-stream-h2-zstd', { encoding: 'zstd' }, 'node:http2; Codex headers; turn 1 function_call, turn 2 text; zstd stored-block stream', async (srv) => {
    await h2Session(srv, async (post) => {
      await post('/v1/responses', S.responsesTurn1(true), { ...S.codexHeaders(), 'accept-encoding': 'zstd' });
      await post('/v1/responses', S.responsesTurn2(true, 'call_fake000001'), { ...S.codexHeaders(), 'accept-encoding': 'zstd' });
    });
  });
  await withServer('openai-responses-json-h1-zstd', { encoding: 'zstd' }, 'node:https; non-streaming Responses; zstd CLI-compressed body', async (srv) => {
    await h1Session(srv, async (post) => {
      await post('/v1/responses', S.responsesTurn1(false), { ...S.codexHeaders(), 'accept-encoding': 'zstd' });
    });
  });
  // Gemini: streaming SSE via curl HTTP/2 (key in URL), and non-streaming over HTTP/1.1.
  await withServer('gemini-stream-curl-h2', { encoding: 'identity' }, 'curl --http2; streamGenerateContent?alt=sse with ?key=', async (srv) => {
    await curl(srv, `/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=${S.SECRETS.googleKey}`, S.geminiTurn1(), '2', ['-H', `user-agent: ${S.geminiHeaders()['user-agent']}`]);
  });
  await withServer('gemini-json-h1-gzip', { encoding: 'gzip' }, 'node:https; generateContent turn 2 with functionResponse', async (srv) => {
    await h1Session(srv, async (post) => {
      await post('/v1beta/models/gemini-2.5-flash:generateContent', S.geminiTurn2(), { ...S.geminiHeaders(), 'accept-encoding': 'gzip' });
    });
  });
  // OpenAI Responses over the WebSocket mode Codex prefers: plain and with permessage-deflate.
  for (const deflate of [false, true]) {
    await withServer(deflate ? 'openai-responses-ws-deflate' : 'openai-responses-ws', {}, `WebSocket client over node:tls; Codex headers; two response.create turns${deflate ? '; permessage-deflate' : ''}`, async (srv) => {
      const ws = await connectWs(srv, '/v1/responses', S.codexHeaders(), deflate);
      const done = (m: string): boolean => JSON.parse(m).type === 'response.completed';
      await ws.request(JSON.stringify({ type: 'response.create', ...(S.responsesTurn1(true) as object) }), done);
      await ws.request(JSON.stringify({ type: 'response.create', ...(S.responsesTurn2(true, 'call_fake000001') as object) }), done);
      await ws.close();
    });
  }
  let total = 0;
  for (const f of readdirSync(OUT)) total += statSync(join(OUT, f)).size;
  process.stdout.write(`fixtures written to ${OUT}: ${readdirSync(OUT).length} files, ${total} bytes\n`);
}

void main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
