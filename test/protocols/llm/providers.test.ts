/** Hand-made edge cases for the provider codecs, agent identity and the pipeline's LLM call assembly. */
import { describe, expect, it } from 'vitest';
import { agentFromHeaders, identifyAgent } from '../../../src/protocols/llm/agent-identity';
import { newSink } from './fixture-util';

const sse = (events: Array<[string | null, unknown]>): string =>
  events.map(([name, data]) => `${name ? `event: ${name}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`).join('');

/** One HTTP/1.1 exchange through the whole pipeline; `end` closes the connection afterwards. */
function run(path: string, reqBody: unknown, status: number, contentType: string, respBody: string, opts: { headers?: string; close?: boolean; cutResponse?: boolean } = {}) {
  const s = newSink();
  const body = Buffer.from(typeof reqBody === 'string' ? reqBody : JSON.stringify(reqBody));
  const req = Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: h\r\n${opts.headers ?? ''}Content-Length: ${body.length}\r\n\r\n`), body]);
  const resp = Buffer.from(`HTTP/1.1 ${status} X\r\nContent-Type: ${contentType}\r\n${opts.cutResponse ? 'Transfer-Encoding: chunked' : `Content-Length: ${Buffer.byteLength(respBody)}`}\r\n\r\n${opts.cutResponse ? `${Buffer.byteLength(respBody).toString(16)}\r\n${respBody}\r\n` : respBody}`);
  s.pipeline.pushChunk('k', { dir: 0, tsNs: 100, data: req, origLen: req.length }, { processId: 1, sessionId: 2 });
  s.pipeline.pushChunk('k', { dir: 1, tsNs: 200, data: resp, origLen: resp.length }, { processId: 1, sessionId: 2 });
  s.pipeline.endConnection('k', 300);
  return s;
}

describe('providers', () => {
  it('Anthropic: a stream cut before message_stop is incomplete, text so far is kept', () => {
    const body = sse([
      ['message_start', { type: 'message_start', message: { model: 'claude-haiku-4-5', usage: { input_tokens: 10, output_tokens: 1 } } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'partial ans' } }],
    ]);
    const s = run('/v1/messages', { model: 'claude-haiku-4-5', stream: true, messages: [] }, 200, 'text/event-stream', body, { cutResponse: true });
    expect(s.calls[0]!.call).toMatchObject({ responseText: 'partial ans', incomplete: true, inputTokens: 10, outputTokens: 1 });
  });

  it('Anthropic: an error event in the stream becomes the call error', () => {
    const body = sse([
      ['message_start', { type: 'message_start', message: { model: 'm', usage: { input_tokens: 1 } } }],
      ['error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }],
    ]);
    const s = run('/v1/messages', { model: 'm', stream: true }, 200, 'text/event-stream', body);
    expect(s.calls[0]!.call.error).toBe('overloaded_error: Overloaded');
    expect(s.calls[0]!.call.incomplete).toBe(true);
  });

  it('Anthropic: thinking and several tool_use blocks, with tool_result is_error in the request', () => {
    const body = sse([
      ['message_start', { type: 'message_start', message: { model: 'm', usage: { input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 7 } } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_a', name: 'Read', input: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"file_path":' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"/etc/hosts"}' } }],
      ['content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_b', name: 'Glob', input: {} } }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 42 } }],
      ['message_stop', { type: 'message_stop' }],
    ]);
    const req = {
      model: 'm',
      stream: true,
      system: 'sys',
      messages: [
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'old', content: 'old result' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_x', name: 'Bash', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'boom', is_error: true }] },
      ],
    };
    const s = run('/v1/messages?beta=true', req, 200, 'text/event-stream', body);
    const c = s.calls[0]!;
    expect(c.call).toMatchObject({ thinking: 'hmm', stopReason: 'tool_use', inputTokens: 112, cacheReadTokens: 100, cacheWriteTokens: 7, outputTokens: 42, systemPrompt: 'sys', incomplete: false });
    expect(c.toolCalls.map((t) => [t.callId, t.name, t.inputJson])).toEqual([
      ['toolu_a', 'Read', '{"file_path":"/etc/hosts"}'],
      ['toolu_b', 'Glob', '{}'],
    ]);
    // Only the result new in this request (after the last assistant turn) is reported.
    expect(c.toolResults.map((r) => [r.callId, r.text, r.isError])).toEqual([['toolu_x', 'boom', true]]);
  });

  it('OpenAI Chat: parallel tool calls interleaved by index', () => {
    const chunk = (delta: unknown, finish: string | null = null) => ({ model: 'gpt-4.1', choices: [{ index: 0, delta, finish_reason: finish }] });
    const body = sse([
      [null, chunk({ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'f', arguments: '' } }] })],
      [null, chunk({ tool_calls: [{ index: 1, id: 'call_b', function: { name: 'g', arguments: '{"y"' } }] })],
      [null, chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":1}' } }] })],
      [null, chunk({ tool_calls: [{ index: 1, function: { arguments: ':2}' } }] })],
      [null, chunk({}, 'tool_calls')],
      [null, { model: 'gpt-4.1', choices: [], usage: { prompt_tokens: 50, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 20 } } }],
      [null, '[DONE]'],
    ]);
    const s = run('/v1/chat/completions', { model: 'gpt-4.1', stream: true, messages: [{ role: 'developer', content: 'be brief' }] }, 200, 'text/event-stream', body);
    const c = s.calls[0]!;
    expect(c.toolCalls.map((t) => [t.callId, t.name, t.inputJson])).toEqual([
      ['call_a', 'f', '{"x":1}'],
      ['call_b', 'g', '{"y":2}'],
    ]);
    expect(c.call).toMatchObject({ inputTokens: 50, outputTokens: 9, cacheReadTokens: 20, stopReason: 'tool_calls', systemPrompt: 'be brief', incomplete: false });
  });

  it('OpenAI Chat: a stream without [DONE] is incomplete', () => {
    const body = sse([[null, { model: 'x', choices: [{ index: 0, delta: { content: 'hi' } }] }]]);
    expect(run('/v1/chat/completions', { model: 'x', stream: true }, 200, 'text/event-stream', body).calls[0]!.call.incomplete).toBe(true);
  });

  it('OpenAI Responses: custom tool calls (Codex apply_patch) and failed responses', () => {
    const body = sse([
      ['response.created', { type: 'response.created', response: { model: 'gpt-5-codex' } }],
      ['response.output_item.added', { type: 'response.output_item.added', item: { id: 'ctc_1', type: 'custom_tool_call', call_id: 'call_p', name: 'apply_patch', input: '' } }],
      ['response.custom_tool_call_input.delta', { type: 'response.custom_tool_call_input.delta', item_id: 'ctc_1', delta: '*** Begin Patch' }],
      ['response.output_item.done', { type: 'response.output_item.done', item: { id: 'ctc_1', type: 'custom_tool_call', call_id: 'call_p', name: 'apply_patch', input: '*** Begin Patch' } }],
      ['response.failed', { type: 'response.failed', response: { model: 'gpt-5-codex', status: 'failed', error: { code: 'server_error', message: 'oops' }, usage: { input_tokens: 3, output_tokens: 1 } } }],
    ]);
    const req = { model: 'gpt-5-codex', stream: true, input: [{ type: 'custom_tool_call_output', call_id: 'call_q', output: 'Done!' }] };
    const c = run('/backend-api/codex/responses', req, 200, 'text/event-stream', body, { headers: 'originator: codex_cli_rs\r\nsession_id: S1\r\n' }).calls[0]!;
    expect(c.toolCalls).toEqual([{ callId: 'call_p', name: 'apply_patch', inputJson: JSON.stringify({ input: '*** Begin Patch' }), tsNs: 200 }]);
    expect(c.toolResults.map((r) => [r.callId, r.text])).toEqual([['call_q', 'Done!']]);
    expect(c.call).toMatchObject({ error: 'server_error: oops', agent: 'codex', agentSessionId: 'S1', provider: 'openai-responses' });
  });

  it('Gemini Code Assist (v1internal) wraps request and response', () => {
    const body = sse([
      [null, { response: { candidates: [{ content: { role: 'model', parts: [{ text: 'thinking...', thought: true }] } }], modelVersion: 'gemini-2.5-pro' } }],
      [null, { response: { candidates: [{ content: { role: 'model', parts: [{ functionCall: { id: 'fc-1', name: 'read_file', args: { path: 'a' } } }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 5, thoughtsTokenCount: 20, cachedContentTokenCount: 40 } } }],
    ]);
    const req = { model: 'gemini-2.5-pro', project: 'p', request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], systemInstruction: { parts: [{ text: 'S' }] } } };
    const c = run('/v1internal:streamGenerateContent?alt=sse', req, 200, 'text/event-stream', body, { headers: 'User-Agent: GeminiCLI/0.9.0 (linux; x64)\r\n' }).calls[0]!;
    expect(c.call).toMatchObject({ provider: 'gemini', requestModel: 'gemini-2.5-pro', thinking: 'thinking...', inputTokens: 100, outputTokens: 25, reasoningTokens: 20, cacheReadTokens: 40, systemPrompt: 'S', agent: 'gemini-cli', incomplete: false });
    expect(c.toolCalls.map((t) => [t.callId, t.name])).toEqual([['gemini:1:0:read_file', 'read_file']]);
  });

  it("keeps other model-looking JSON calls as 'unknown' and ignores plain API calls", () => {
    const u = run('/api/chat', { model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] }, 200, 'application/json', '{"model":"llama3.2","message":{"content":"yo"}}');
    expect(u.calls[0]!.call).toMatchObject({ provider: 'unknown', requestModel: 'llama3.2', responseModel: 'llama3.2', costUsd: null });
    expect(run('/api/telemetry', { event: 'x' }, 200, 'application/json', '{}').calls).toEqual([]);
  });

  it('non-JSON error bodies keep their text', () => {
    const c = run('/v1/messages', { model: 'm' }, 502, 'text/html', '<html>Bad gateway</html>').calls[0]!;
    expect(c.call.error).toBe('HTTP 502: <html>Bad gateway</html>');
  });
});

describe('agent identity', () => {
  it('names agents from user-agent and headers', () => {
    expect(agentFromHeaders([['user-agent', 'claude-cli/2.0.14 (external, cli)']])).toBe('claude-code');
    expect(agentFromHeaders([['user-agent', 'codex_cli_rs/0.46.0 (Debian 12; x86_64)']])).toBe('codex');
    expect(agentFromHeaders([['user-agent', 'GeminiCLI/0.9.0 (linux; x64)']])).toBe('gemini-cli');
    expect(agentFromHeaders([['user-agent', 'opencode/0.15 ai-sdk/provider-utils']])).toBe('opencode');
    expect(agentFromHeaders([['originator', 'codex_cli_rs']])).toBe('codex');
    expect(agentFromHeaders([['user-agent', 'curl/7.88.1']])).toBeNull();
    expect(identifyAgent([['x-claude-code-session-id', 'abc'], ['user-agent', 'x']])).toEqual({ agent: 'claude-code', sessionId: 'abc', userAgent: 'x' });
    expect(identifyAgent([['session-id', 'old-codex']]).sessionId).toBe('old-codex');
  });
});
