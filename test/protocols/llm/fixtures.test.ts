/**
 * Decodes the committed fixtures (server-side plaintext of real clients talking to the fake server) and checks
 * every field against the fake server's documented rules (test/fake-llm/replies.ts): token counts are derived
 * from the request bytes seen here, not copied from the decoder.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINAL_TEXT, THINKING_TEXT, TOOL_COMMAND, toolInput } from '../../fake-llm/replies';
import { CLAUDE_SESSION, CODEX_SESSION, SECRETS } from '../../fake-llm/scenarios';
import { decodeFixture, FIXTURE_DIR, fixtureNames, loadFixture, newSink, type Decoded } from './fixture-util';

const inTok = (d: Decoded, i: number): number => Math.ceil(d.exchanges[i]!.reqBody!.length / 4);
const callsOf = (d: Decoded) => d.calls.map((c) => c.call);

describe('LLM fixtures', () => {
  it('has fixtures, small in total', () => {
    const names = fixtureNames();
    expect(names.every((n) => n.endsWith('.json'))).toBe(true);
    expect(names.length).toBeGreaterThanOrEqual(9);
    const total = names.reduce((n, f) => n + statSync(join(FIXTURE_DIR, f)).size, 0);
    expect(total).toBeLessThan(2 * 1024 * 1024);
  });

  it('never lets a secret out of the decoder', () => {
    for (const n of fixtureNames()) {
      const d = decodeFixture(loadFixture(n));
      const out = JSON.stringify({ ex: d.exchanges.map((e) => ({ h: e.reqHeaders, r: e.respHeaders, p: e.path })), calls: callsOf(d) });
      for (const s of Object.values(SECRETS)) expect(out).not.toContain(s.replace('Bearer ', ''));
    }
  });

  it('Anthropic streaming over HTTP/2: tool call, then text after the tool result', () => {
    const d = decodeFixture(loadFixture('anthropic-stream-h2'));
    expect(d.losses).toEqual([]);
    expect(d.calls).toHaveLength(2);
    const [a, b] = d.calls;
    const x1 = inTok(d, 0);
    expect(a!.call).toMatchObject({
      provider: 'anthropic',
      endpoint: '/v1/messages',
      streaming: true,
      requestModel: 'claude-sonnet-4-5-20250929',
      responseModel: 'claude-sonnet-4-5-20250929',
      systemPrompt: 'You are a coding agent. Use tools when needed.',
      responseText: 'I will run a command.',
      stopReason: 'tool_use',
      inputTokens: x1 + Math.min(x1, 100),
      outputTokens: 12,
      cacheReadTokens: 0,
      cacheWriteTokens: Math.min(x1, 100),
      httpStatus: 200,
      error: null,
      incomplete: false,
      agent: 'claude-code',
      agentSessionId: CLAUDE_SESSION,
    });
    expect(a!.toolCalls.map((t) => [t.callId, t.name, JSON.parse(t.inputJson)])).toEqual([['toolu_fake000001', 'Bash', { command: TOOL_COMMAND }]]);
    expect(a!.call.costUsd).toBeGreaterThan(0);
    expect(a!.call.firstTokenNs).toBeGreaterThan(a!.call.startNs);
    expect(a!.call.firstTokenNs).toBeLessThanOrEqual(a!.call.endNs!);
    expect(JSON.parse(a!.call.requestJson!).model).toBe('claude-sonnet-4-5-20250929');
    const x2 = inTok(d, 1);
    expect(b!.call).toMatchObject({ responseText: FINAL_TEXT, stopReason: 'end_turn', inputTokens: x2 + Math.floor(x2 / 2), cacheReadTokens: Math.floor(x2 / 2), outputTokens: 7 });
    expect(b!.toolResults.map((r) => [r.callId, r.text, r.isError])).toEqual([['toolu_fake000001', '(no output)', false]]);
    expect(d.progress).toBeGreaterThan(5);
  });

  it('gives identical results when every chunk is re-split byte by byte or in 5-byte pieces', () => {
    for (const n of ['anthropic-stream-h2', 'openai-responses-stream-h2-zstd', 'anthropic-json-h1-gzip', 'gemini-stream-curl-h2']) {
      const whole = decodeFixture(loadFixture(n));
      for (const split of [1, 5]) {
        const parts = decodeFixture(loadFixture(n), split);
        expect(JSON.stringify(callsOf(parts))).toBe(JSON.stringify(callsOf(whole)));
        expect(parts.losses).toEqual([]);
      }
    }
  });

  it('Anthropic JSON over HTTP/1.1 keep-alive with gzip: turns, count_tokens and a 429', () => {
    const d = decodeFixture(loadFixture('anthropic-json-h1-gzip'));
    expect(d.exchanges.map((e) => [e.protocol, e.path, e.status, e.complete])).toEqual([
      ['http/1.1', '/v1/messages', 200, true],
      ['http/1.1', '/v1/messages', 200, true],
      ['http/1.1', '/v1/messages/count_tokens', 200, true],
      ['http/1.1', '/v1/messages', 429, true],
    ]);
    const c = callsOf(d);
    expect(c[0]).toMatchObject({ streaming: false, stopReason: 'tool_use', outputTokens: 12, incomplete: false });
    expect(c[1]).toMatchObject({ responseText: FINAL_TEXT, incomplete: false });
    expect(c[2]).toMatchObject({ endpoint: '/v1/messages/count_tokens', inputTokens: inTok(d, 2), costUsd: null });
    expect(c[3]).toMatchObject({ httpStatus: 429, requestModel: 'claude-error-429', costUsd: null, incomplete: false });
    expect(c[3]!.error).toMatch(/^HTTP 429: rate_limit_error: Rate limited/);
  });

  it('OpenAI Chat streaming via fetch: tool_call deltas by index and the include_usage chunk', () => {
    const d = decodeFixture(loadFixture('openai-chat-stream-fetch'));
    const [a] = d.calls;
    expect(a!.call).toMatchObject({ provider: 'openai-chat', streaming: true, requestModel: 'gpt-4o-mini', responseText: 'I will run a command.', stopReason: 'tool_calls', inputTokens: inTok(d, 0), outputTokens: 12, cacheReadTokens: 0, incomplete: false, systemPrompt: 'You are a coding agent. Use tools when needed.' });
    expect(a!.toolCalls.map((t) => [t.callId, t.name, JSON.parse(t.inputJson)])).toEqual([['call_fake000001', 'shell', toolInput('shell')]]);
  });

  it('OpenAI Chat over HTTP/2 with zstd (curl): the tool result is found and the text decoded', () => {
    const d = decodeFixture(loadFixture('openai-chat-curl-h2'));
    expect(d.exchanges[0]!.respHeaders).toContainEqual(['content-encoding', 'zstd']);
    const [a] = d.calls;
    expect(a!.call).toMatchObject({ streaming: false, responseText: FINAL_TEXT, stopReason: 'stop', inputTokens: inTok(d, 0), cacheReadTokens: Math.floor(inTok(d, 0) / 2) });
    expect(a!.toolResults.map((r) => [r.callId, r.text])).toEqual([['call_fake000001', 'exit code 0']]);
  });

  it('OpenAI Chat 500 error body', () => {
    const [a] = decodeFixture(loadFixture('openai-chat-500-h1')).calls;
    expect(a!.call).toMatchObject({ httpStatus: 500, responseText: null, costUsd: null });
    expect(a!.call.error).toBe('HTTP 500: server_error: Internal error in fake-llm (scripted).');
  });

  it('OpenAI Responses streaming over HTTP/2 with zstd: function call, reasoning, cached tokens', () => {
    const d = decodeFixture(loadFixture('openai-responses-stream-h2-zstd'));
    expect(d.calls).toHaveLength(2);
    const [a, b] = d.calls;
    expect(a!.call).toMatchObject({ provider: 'openai-responses', streaming: true, agent: 'codex', agentSessionId: CODEX_SESSION, stopReason: 'tool_calls', inputTokens: inTok(d, 0), outputTokens: 12, reasoningTokens: 11, incomplete: false });
    expect(a!.toolCalls.map((t) => [t.callId, t.name, JSON.parse(t.inputJson)])).toEqual([['call_fake000001', 'shell', toolInput('shell')]]);
    expect(b!.call).toMatchObject({ responseText: FINAL_TEXT, thinking: THINKING_TEXT, cacheReadTokens: Math.floor(inTok(d, 1) / 2), stopReason: 'completed' });
    expect(b!.toolResults.map((r) => r.callId)).toEqual(['call_fake000001']);
  });

  it('OpenAI Responses non-streaming with a zstd-compressed body', () => {
    const d = decodeFixture(loadFixture('openai-responses-json-h1-zstd'));
    expect(d.calls[0]!.call).toMatchObject({ streaming: false, responseText: 'I will run a command.', stopReason: 'tool_calls', incomplete: false });
    expect(d.calls[0]!.toolCalls).toHaveLength(1);
  });

  it('Gemini: streaming functionCall and a later functionResponse link by synthetic id; key= is redacted', () => {
    const s = decodeFixture(loadFixture('gemini-stream-curl-h2'));
    expect(s.exchanges[0]!.path).toMatch(/key=\[REDACTED len=16 hmac:[0-9a-f]{8}\]/);
    const call = s.calls[0]!;
    expect(call.call).toMatchObject({ provider: 'gemini', streaming: true, requestModel: 'gemini-2.5-pro', responseText: 'I will run a command.', stopReason: 'STOP', inputTokens: inTok(s, 0), outputTokens: 12, agent: 'gemini-cli' });
    const j = decodeFixture(loadFixture('gemini-json-h1-gzip'));
    const res = j.calls[0]!;
    expect(res.call).toMatchObject({ streaming: false, requestModel: 'gemini-2.5-flash', responseText: FINAL_TEXT, cacheReadTokens: Math.floor(inTok(j, 0) / 2) });
    expect(res.toolResults.map((r) => [r.callId, r.name, r.text])).toEqual([[call.toolCalls[0]!.callId, 'run_shell_command', 'Exit Code: 0']]);
  });

  it('real Codex CLI traffic (HTTP/2 over rustls): tool call in turn 1 links to its result in turn 2', () => {
    const t1 = decodeFixture(loadFixture('codex-0.169-exec-turn1'));
    const t2 = decodeFixture(loadFixture('codex-0.169-exec-turn2'));
    expect([...t1.losses, ...t2.losses]).toEqual([]);
    const a = t1.calls[0]!;
    const b = t2.calls[0]!;
    expect(a.call).toMatchObject({ provider: 'openai-responses', streaming: true, agent: 'codex', stopReason: 'tool_calls', outputTokens: 12, incomplete: false });
    expect(a.call.agentSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.call.agentSessionId).toBe(a.call.agentSessionId);
    expect(a.call.systemPrompt!.length).toBeGreaterThan(1000);
    expect(a.call.inputTokens).toBe(inTok(t1, 0));
    expect(a.toolCalls.map((t) => [t.name, JSON.parse(t.inputJson)])).toEqual([['exec_command', toolInput('exec_command')]]);
    expect(b.toolResults.map((r) => r.callId)).toEqual([a.toolCalls[0]!.callId]);
    expect(b.toolResults[0]!.text).toMatch(/Process exited with code 0/);
    expect(b.call.responseText).toBe(FINAL_TEXT);
  });

  it('real Claude Code traffic (HTTP/1.1 keep-alive, zstd): two turns on one connection', () => {
    const d = decodeFixture(loadFixture('claude-code-2.1.197-print'));
    expect(d.losses).toEqual([]);
    expect(d.exchanges.map((e) => [e.protocol, e.path, e.status, e.complete])).toEqual([
      ['http/1.1', '/v1/messages?beta=true', 200, true],
      ['http/1.1', '/v1/messages?beta=true', 200, true],
    ]);
    expect(d.exchanges[0]!.respHeaders).toContainEqual(['content-encoding', 'zstd']);
    const [a, b] = d.calls;
    expect(a!.call).toMatchObject({ provider: 'anthropic', streaming: true, agent: 'claude-code', stopReason: 'tool_use', incomplete: false });
    expect(a!.call.agentSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(b!.call.agentSessionId).toBe(a!.call.agentSessionId);
    expect(a!.toolCalls.map((t) => [t.name, JSON.parse(t.inputJson)])).toEqual([['Bash', { command: TOOL_COMMAND }]]);
    expect(b!.toolResults.map((r) => [r.callId, r.isError])).toEqual([[a!.toolCalls[0]!.callId, false]]);
    expect(b!.call.responseText).toBe(FINAL_TEXT);
    const x1 = inTok(d, 0);
    expect(a!.call.inputTokens).toBe(x1 + Math.min(x1, 100));
    expect(JSON.stringify(d.exchanges.map((e) => e.reqHeaders))).not.toContain('sk-ant-fake-cc');
  });

  it('real Gemini CLI traffic: the functionResponse links to the streamed functionCall despite client-made ids', () => {
    const d = decodeFixture(loadFixture('gemini-cli-0.61-session'));
    expect(d.losses).toEqual([]);
    expect(d.exchanges).toHaveLength(3);
    const [cls, a, b] = d.calls;
    expect(cls!.call).toMatchObject({ provider: 'gemini', streaming: false, agent: 'gemini-cli', incomplete: false });
    expect(JSON.parse(cls!.call.responseText!)).toHaveProperty('complexity_score');
    expect(a!.call).toMatchObject({ provider: 'gemini', streaming: true, agent: 'gemini-cli', incomplete: false });
    expect(a!.toolCalls.map((t) => [t.name, JSON.parse(t.inputJson)])).toEqual([['run_shell_command', { command: TOOL_COMMAND }]]);
    expect(b!.toolResults.map((r) => r.callId)).toEqual([a!.toolCalls[0]!.callId]);
    expect(b!.call.responseText).toBe(FINAL_TEXT);
    expect(JSON.stringify(d.exchanges.map((e) => e.reqHeaders))).not.toContain('AIzaFAKEgemini');
  });

  it('capture started mid-connection (h2 without preface): headers unknown, no guessed call, losses counted', () => {
    const f = loadFixture('anthropic-stream-h2');
    // Drop the client's first chunk (preface, SETTINGS and the first HEADERS) as if capture attached late.
    const firstClient = f.chunks.findIndex((c) => c.dir === 0);
    const late = { ...f, chunks: f.chunks.filter((_, i) => i !== firstClient) };
    const d = decodeFixture(late);
    expect(d.exchanges.length).toBeGreaterThan(0);
    for (const e of d.exchanges) {
      expect(e.complete).toBe(false);
      expect(e.method).toBeNull();
    }
    expect(d.calls).toEqual([]);
    expect(d.losses.length).toBeGreaterThan(0);
  });

  it('a lost tail in any chunk marks something incomplete or counts a loss, never throws', () => {
    for (const n of ['anthropic-stream-h2', 'anthropic-json-h1-gzip', 'openai-chat-stream-fetch']) {
      const f = loadFixture(n);
      f.chunks.forEach((c, i) => {
        if (c.data.length < 4) return;
        const keep = Math.floor(c.data.length / 2);
        const chunks = f.chunks.map((x, j) => (j === i ? { ...x, data: x.data.subarray(0, keep), orig: x.data.length } : { ...x, orig: x.data.length }));
        const s = newSink();
        for (const x of chunks) s.pipeline.pushChunk('k', { dir: x.dir, tsNs: x.tsNs, data: x.data, origLen: x.orig }, { processId: 1, sessionId: 1 });
        s.pipeline.endConnection('k', Number.MAX_SAFE_INTEGER);
        const flagged = s.exchanges.some((e) => !e.complete) || s.calls.some((x) => x.call.incomplete);
        // A chunk carrying response content must leave a visibly incomplete exchange; others (a trailing GOAWAY)
        // may hit nothing, but the loss is still reported.
        if (c.dir === 1 && c.data.includes('data')) expect(flagged, `${n} chunk ${i}`).toBe(true);
        expect(s.losses.reduce((a, l) => a + l.bytes, 0), `${n} chunk ${i}`).toBeGreaterThan(0);
      });
    }
  });
});
