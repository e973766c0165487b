/** Renders a scripted Reply in each provider's wire format, as one JSON body or as SSE events. */
import { pieces, type ApiKind, type Reply, type Usage } from './replies';

export interface Rendered {
  status: number;
  /** Complete JSON body (non-streaming and errors). */
  json?: unknown;
  /** SSE frames, each a complete "event/data\n\n" block (streaming). */
  events?: string[];
}

const sse = (data: unknown, event?: string): string => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

export function render(api: ApiKind, reply: Reply, model: string, stream: boolean, seq: number, includeUsage: boolean): Rendered {
  if (reply.kind === 'error') return { status: reply.status, json: errorBody(api, reply.status, reply.message) };
  switch (api) {
    case 'anthropic':
      return stream ? { status: 200, events: anthropicStream(reply, model, seq) } : { status: 200, json: anthropicJson(reply, model, seq) };
    case 'openai-chat':
      return stream ? { status: 200, events: chatStream(reply, model, seq, includeUsage) } : { status: 200, json: chatJson(reply, model, seq) };
    case 'openai-responses':
      return stream ? { status: 200, events: responsesStream(reply, model, seq) } : { status: 200, json: responsesJson(reply, model, seq) };
    case 'gemini':
      return stream ? { status: 200, events: geminiStream(reply, model) } : { status: 200, json: geminiJson(reply, model) };
  }
}

export function errorBody(api: ApiKind, status: number, message: string): unknown {
  switch (api) {
    case 'anthropic':
      return { type: 'error', error: { type: status === 429 ? 'rate_limit_error' : 'api_error', message } };
    case 'openai-chat':
    case 'openai-responses':
      return { error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'server_error', param: null, code: status === 429 ? 'rate_limit_exceeded' : null } };
    case 'gemini':
      return { error: { code: status, message, status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'INTERNAL' } };
  }
}

// ---------- Anthropic Messages ----------

function anthUsage(u: Usage, output: number): Record<string, number> {
  return { input_tokens: u.input, cache_creation_input_tokens: u.cacheWrite, cache_read_input_tokens: u.cacheRead, output_tokens: output };
}

function anthropicJson(r: Exclude<Reply, { kind: 'error' }>, model: string, seq: number): unknown {
  const content: unknown[] = [];
  if (r.kind === 'text') {
    if (r.thinking) content.push({ type: 'thinking', thinking: r.thinking, signature: 'fakesig' });
    content.push({ type: 'text', text: r.text });
  } else {
    if (r.text) content.push({ type: 'text', text: r.text });
    content.push({ type: 'tool_use', id: r.callId, name: r.name, input: r.input });
  }
  return {
    id: `msg_fake${String(seq).padStart(6, '0')}`,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: r.kind === 'tool' ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: anthUsage(r.usage, r.usage.output),
  };
}

function anthropicStream(r: Exclude<Reply, { kind: 'error' }>, model: string, seq: number): string[] {
  const ev: string[] = [];
  ev.push(sse({ type: 'message_start', message: { id: `msg_fake${String(seq).padStart(6, '0')}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: anthUsage(r.usage, 1) } }, 'message_start'));
  let idx = 0;
  const textBlock = (text: string): void => {
    ev.push(sse({ type: 'content_block_start', index: idx, content_block: { type: 'text', text: '' } }, 'content_block_start'));
    for (const p of pieces(text)) ev.push(sse({ type: 'content_block_delta', index: idx, delta: { type: 'text_delta', text: p } }, 'content_block_delta'));
    ev.push(sse({ type: 'content_block_stop', index: idx }, 'content_block_stop'));
    idx++;
  };
  if (r.kind === 'text' && r.thinking) {
    ev.push(sse({ type: 'content_block_start', index: idx, content_block: { type: 'thinking', thinking: '', signature: '' } }, 'content_block_start'));
    for (const p of pieces(r.thinking)) ev.push(sse({ type: 'content_block_delta', index: idx, delta: { type: 'thinking_delta', thinking: p } }, 'content_block_delta'));
    ev.push(sse({ type: 'content_block_delta', index: idx, delta: { type: 'signature_delta', signature: 'fakesig' } }, 'content_block_delta'));
    ev.push(sse({ type: 'content_block_stop', index: idx }, 'content_block_stop'));
    idx++;
  }
  ev.push(sse({ type: 'ping' }, 'ping'));
  if (r.kind === 'text') textBlock(r.text);
  else {
    if (r.text) textBlock(r.text);
    ev.push(sse({ type: 'content_block_start', index: idx, content_block: { type: 'tool_use', id: r.callId, name: r.name, input: {} } }, 'content_block_start'));
    for (const p of pieces(JSON.stringify(r.input), 10)) ev.push(sse({ type: 'content_block_delta', index: idx, delta: { type: 'input_json_delta', partial_json: p } }, 'content_block_delta'));
    ev.push(sse({ type: 'content_block_stop', index: idx }, 'content_block_stop'));
  }
  ev.push(sse({ type: 'message_delta', delta: { stop_reason: r.kind === 'tool' ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: r.usage.output } }, 'message_delta'));
  ev.push(sse({ type: 'message_stop' }, 'message_stop'));
  return ev;
}

// ---------- OpenAI Chat Completions ----------

function chatUsage(u: Usage): unknown {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead },
    completion_tokens_details: { reasoning_tokens: u.reasoning },
  };
}

function chatJson(r: Exclude<Reply, { kind: 'error' }>, model: string, seq: number): unknown {
  const message: Record<string, unknown> = { role: 'assistant', content: r.kind === 'text' ? r.text : r.text };
  if (r.kind === 'tool') message.tool_calls = [{ id: r.callId, type: 'function', function: { name: r.name, arguments: JSON.stringify(r.input) } }];
  return {
    id: `chatcmpl-fake${seq}`,
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message, finish_reason: r.kind === 'tool' ? 'tool_calls' : 'stop' }],
    usage: chatUsage(r.usage),
  };
}

function chatStream(r: Exclude<Reply, { kind: 'error' }>, model: string, seq: number, includeUsage: boolean): string[] {
  const base = { id: `chatcmpl-fake${seq}`, object: 'chat.completion.chunk', created: 1_700_000_000, model };
  const ev: string[] = [];
  const chunk = (delta: unknown, finish: string | null = null): string => sse({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  ev.push(chunk({ role: 'assistant', content: '' }));
  const text = r.text ?? '';
  for (const p of pieces(text)) ev.push(chunk({ content: p }));
  if (r.kind === 'tool') {
    const args = JSON.stringify(r.input);
    ev.push(chunk({ tool_calls: [{ index: 0, id: r.callId, type: 'function', function: { name: r.name, arguments: '' } }] }));
    for (const p of pieces(args, 10)) ev.push(chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }));
  }
  ev.push(chunk({}, r.kind === 'tool' ? 'tool_calls' : 'stop'));
  if (includeUsage) ev.push(sse({ ...base, choices: [], usage: chatUsage(r.usage) }));
  ev.push(sse('[DONE]'));
  return ev;
}

// ---------- OpenAI Responses ----------

function respUsage(u: Usage): unknown {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cacheRead },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
}

function respOutput(r: Exclude<Reply, { kind: 'error' }>, seq: number): any[] {
  const out: any[] = [];
  if (r.kind === 'text' && r.thinking) out.push({ id: `rs_fake${seq}`, type: 'reasoning', summary: [{ type: 'summary_text', text: r.thinking }] });
  const text = r.kind === 'text' ? r.text : r.text;
  if (text) out.push({ id: `msg_fake${seq}`, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] });
  if (r.kind === 'tool') out.push({ id: `fc_fake${seq}`, type: 'function_call', status: 'completed', call_id: r.callId, name: r.name, arguments: JSON.stringify(r.input) });
  return out;
}

function responsesJson(r: Exclude<Reply, { kind: 'error' }>, model: string, seq: number): unknown {
  return { id: `resp_fake${seq}`, object: 'response', created_at: 1_700_000_000, status: 'completed', model, output: respOutput(r, seq), usage: respUsage(r.usage) };
}

function responsesStream(r: Exclude<Reply, { kind: 'error' }>, model: string, seq: number): string[] {
  const ev: string[] = [];
  let n = 0;
  const e = (type: string, rest: Record<string, unknown>): void => {
    ev.push(sse({ type, sequence_number: n++, ...rest }, type));
  };
  const shell = { id: `resp_fake${seq}`, object: 'response', created_at: 1_700_000_000, status: 'in_progress', model, output: [] as unknown[], usage: null };
  e('response.created', { response: shell });
  e('response.in_progress', { response: shell });
  const output = respOutput(r, seq);
  output.forEach((item, oi) => {
    if (item.type === 'reasoning') {
      e('response.output_item.added', { output_index: oi, item: { ...item, summary: [] } });
      for (const p of pieces(item.summary[0].text)) e('response.reasoning_summary_text.delta', { item_id: item.id, output_index: oi, summary_index: 0, delta: p });
      e('response.output_item.done', { output_index: oi, item });
    } else if (item.type === 'message') {
      e('response.output_item.added', { output_index: oi, item: { ...item, status: 'in_progress', content: [] } });
      e('response.content_part.added', { item_id: item.id, output_index: oi, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      for (const p of pieces(item.content[0].text)) e('response.output_text.delta', { item_id: item.id, output_index: oi, content_index: 0, delta: p });
      e('response.output_text.done', { item_id: item.id, output_index: oi, content_index: 0, text: item.content[0].text });
      e('response.content_part.done', { item_id: item.id, output_index: oi, content_index: 0, part: item.content[0] });
      e('response.output_item.done', { output_index: oi, item });
    } else {
      e('response.output_item.added', { output_index: oi, item: { ...item, status: 'in_progress', arguments: '' } });
      for (const p of pieces(item.arguments, 10)) e('response.function_call_arguments.delta', { item_id: item.id, output_index: oi, delta: p });
      e('response.function_call_arguments.done', { item_id: item.id, output_index: oi, arguments: item.arguments });
      e('response.output_item.done', { output_index: oi, item });
    }
  });
  e('response.completed', { response: { ...shell, status: 'completed', output, usage: respUsage(r.usage) } });
  return ev;
}

// ---------- Gemini ----------

function gemUsage(u: Usage): unknown {
  return {
    promptTokenCount: u.input,
    candidatesTokenCount: u.output,
    cachedContentTokenCount: u.cacheRead,
    thoughtsTokenCount: u.reasoning,
    totalTokenCount: u.input + u.output + u.reasoning,
  };
}

function geminiParts(r: Exclude<Reply, { kind: 'error' }>): any[] {
  const parts: any[] = [];
  if (r.kind === 'text' && r.thinking) parts.push({ text: r.thinking, thought: true });
  if (r.text) parts.push({ text: r.text });
  if (r.kind === 'tool') parts.push({ functionCall: { name: r.name, args: r.input } });
  return parts;
}

function geminiJson(r: Exclude<Reply, { kind: 'error' }>, model: string): unknown {
  return {
    candidates: [{ content: { role: 'model', parts: geminiParts(r) }, finishReason: 'STOP', index: 0 }],
    usageMetadata: gemUsage(r.usage),
    modelVersion: model,
  };
}

function geminiStream(r: Exclude<Reply, { kind: 'error' }>, model: string): string[] {
  const ev: string[] = [];
  const parts = geminiParts(r);
  const flat: any[] = [];
  for (const p of parts) {
    if (typeof p.text === 'string') for (const t of pieces(p.text, 16)) flat.push(p.thought ? { text: t, thought: true } : { text: t });
    else flat.push(p);
  }
  flat.forEach((p, i) => {
    const last = i === flat.length - 1;
    const body: Record<string, unknown> = { candidates: [{ content: { role: 'model', parts: [p] }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }], modelVersion: model };
    // Gemini repeats running usage on every chunk; the last one is final.
    body.usageMetadata = last ? gemUsage(r.usage) : { promptTokenCount: r.usage.input, totalTokenCount: r.usage.input };
    ev.push(sse(body));
  });
  return ev;
}
