/**
 * Prompt and response content, only with --otel-content (the conventions make content opt-in: it holds what users
 * typed and what tools read). Converted from each provider's JSON, as stored — after the collector's redaction, so a
 * secret the capture redacted stays `[REDACTED …]` — into the conventions' message format: gen_ai.input.messages,
 * gen_ai.output.messages and gen_ai.system_instructions, each a JSON string of role + typed parts.
 */
import type { LlmCallRow } from '../../store/types';

type Obj = Record<string, unknown>;

/** One part of a message in the conventions' format. */
export type MessagePart =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id: string | null; name: string; arguments: unknown }
  | { type: 'tool_call_response'; id: string | null; response: unknown };

export interface ChatMessage {
  role: string;
  parts: MessagePart[];
  finish_reason?: string;
}

const isObj = (x: unknown): x is Obj => !!x && typeof x === 'object' && !Array.isArray(x);

function parseJson(s: string | null): unknown {
  if (!s) return null;
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

function argsOf(x: unknown): unknown {
  if (typeof x !== 'string') return x ?? null;
  const parsed = parseJson(x);
  return parsed ?? x;
}

/** Text of a tool result's content (a string, or blocks of text). */
function resultOf(x: unknown): unknown {
  if (Array.isArray(x)) return x.map((b) => (isObj(b) && typeof b['text'] === 'string' ? b['text'] : b)).join('\n');
  return x ?? null;
}

/** Parts of one provider block (Anthropic content block, Chat/Responses item, Gemini part). */
function blockParts(b: unknown): MessagePart[] {
  if (typeof b === 'string') return [{ type: 'text', content: b }];
  if (!isObj(b)) return [];
  const t = b['type'];
  if (t === 'tool_use') return [{ type: 'tool_call', id: String(b['id'] ?? ''), name: String(b['name'] ?? ''), arguments: b['input'] ?? null }];
  if (t === 'tool_result') return [{ type: 'tool_call_response', id: String(b['tool_use_id'] ?? ''), response: resultOf(b['content']) }];
  if (t === 'thinking' && typeof b['thinking'] === 'string') return [{ type: 'reasoning', content: b['thinking'] }];
  if (t === 'function_call') return [{ type: 'tool_call', id: String(b['call_id'] ?? b['id'] ?? ''), name: String(b['name'] ?? ''), arguments: argsOf(b['arguments']) }];
  if (t === 'function_call_output') return [{ type: 'tool_call_response', id: String(b['call_id'] ?? ''), response: resultOf(b['output']) }];
  if (t === 'reasoning' && Array.isArray(b['summary'])) return (b['summary'] as unknown[]).flatMap((s) => (isObj(s) && typeof s['text'] === 'string' ? [{ type: 'reasoning' as const, content: s['text'] }] : []));
  if (isObj(b['functionCall'])) {
    const f = b['functionCall'];
    return [{ type: 'tool_call', id: typeof f['id'] === 'string' ? f['id'] : null, name: String(f['name'] ?? ''), arguments: f['args'] ?? null }];
  }
  if (isObj(b['functionResponse'])) {
    const f = b['functionResponse'];
    return [{ type: 'tool_call_response', id: typeof f['id'] === 'string' ? f['id'] : null, response: f['response'] ?? null }];
  }
  if (typeof b['text'] === 'string') return [{ type: b['thought'] === true ? 'reasoning' : 'text', content: b['text'] }];
  if (Array.isArray(b['content'])) return (b['content'] as unknown[]).flatMap(blockParts);
  if (typeof b['content'] === 'string') return [{ type: 'text', content: b['content'] }];
  return [];
}

/** One provider turn → a message (Chat's tool_calls and `tool` role included); null for what carries nothing. */
function toMessage(turn: unknown): ChatMessage | null {
  if (typeof turn === 'string') return { role: 'user', parts: [{ type: 'text', content: turn }] };
  if (!isObj(turn)) return null;
  const type = turn['type'];
  if (type === 'function_call' || type === 'reasoning') return { role: 'assistant', parts: blockParts(turn) };
  if (type === 'function_call_output') return { role: 'tool', parts: blockParts(turn) };
  let role = String(turn['role'] ?? 'user');
  if (role === 'model') role = 'assistant';
  if (role === 'tool') return { role, parts: [{ type: 'tool_call_response', id: String(turn['tool_call_id'] ?? ''), response: resultOf(turn['content']) }] };
  const blocks = turn['content'] ?? turn['parts'];
  const parts = typeof blocks === 'string' ? [{ type: 'text' as const, content: blocks }] : Array.isArray(blocks) ? blocks.flatMap(blockParts) : [];
  for (const c of Array.isArray(turn['tool_calls']) ? (turn['tool_calls'] as unknown[]) : []) {
    if (!isObj(c)) continue;
    const f = isObj(c['function']) ? c['function'] : {};
    parts.push({ type: 'tool_call', id: String(c['id'] ?? ''), name: String(f['name'] ?? ''), arguments: argsOf(f['arguments']) });
  }
  return parts.length > 0 ? { role, parts } : null;
}

function textParts(x: unknown): MessagePart[] {
  if (typeof x === 'string') return [{ type: 'text', content: x }];
  if (Array.isArray(x)) return x.flatMap(blockParts);
  if (isObj(x)) return blockParts(x['parts'] !== undefined ? { content: x['parts'] } : x);
  return [];
}

/** gen_ai.system_instructions, gen_ai.input.messages and gen_ai.output.messages of one call (each a JSON string). */
export function contentAttributes(call: Pick<LlmCallRow, 'requestJson' | 'responseJson' | 'responseText' | 'stopReason'>): Record<string, string> {
  const out: Record<string, string> = {};
  const req = parseJson(call.requestJson);
  if (isObj(req)) {
    const turns = req['messages'] ?? req['input'] ?? req['contents'];
    const list = typeof turns === 'string' ? [turns] : Array.isArray(turns) ? turns : [];
    // Chat and Responses carry the system prompt as a turn; it belongs in the instructions, as the conventions say.
    const system: MessagePart[] = textParts(req['system'] ?? req['instructions'] ?? req['systemInstruction'] ?? req['system_instruction']);
    const messages: ChatMessage[] = [];
    for (const t of list) {
      const m = toMessage(t);
      if (!m) continue;
      if (m.role === 'system' || m.role === 'developer') system.push(...m.parts);
      else messages.push(m);
    }
    if (system.length > 0) out['gen_ai.system_instructions'] = JSON.stringify(system);
    out['gen_ai.input.messages'] = JSON.stringify(messages);
  }
  const res = parseJson(call.responseJson);
  let parts: MessagePart[] = [];
  if (isObj(res)) {
    if (Array.isArray(res['content'])) parts = (res['content'] as unknown[]).flatMap(blockParts);
    else if (Array.isArray(res['output'])) parts = (res['output'] as unknown[]).flatMap((o) => toMessage(o)?.parts ?? []);
    else if (Array.isArray(res['choices'])) parts = toMessage((res['choices'][0] as Obj | undefined)?.['message'])?.parts ?? [];
    else if (Array.isArray(res['candidates'])) parts = toMessage((res['candidates'][0] as Obj | undefined)?.['content'])?.parts ?? [];
  }
  if (parts.length === 0 && call.responseText) parts = [{ type: 'text', content: call.responseText }];
  if (parts.length > 0 || res !== null) {
    const msg: ChatMessage = { role: 'assistant', parts };
    if (call.stopReason) msg.finish_reason = call.stopReason;
    out['gen_ai.output.messages'] = JSON.stringify([msg]);
  }
  return out;
}
