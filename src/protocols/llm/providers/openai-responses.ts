/** OpenAI Responses API: POST …/responses (Codex uses /v1/responses and /backend-api/codex/responses). */
import { arr, isObj, num, obj, str, textOf, tryParse, type Obj } from '../json-util';
import { emptyState, type LlmToolCall, type ParsedRequest, type ProviderCodec, type RequestInfo, type ResponseAccumulator, type ResponseState } from '../types';

const CALL_TYPES = new Set(['function_call', 'custom_tool_call', 'local_shell_call']);
const RESULT_TYPES = new Set(['function_call_output', 'custom_tool_call_output', 'local_shell_call_output']);

function usageOf(u: unknown, s: ResponseState): void {
  if (!isObj(u)) return;
  s.usage.inputTokens = num(u.input_tokens);
  s.usage.outputTokens = num(u.output_tokens);
  s.usage.cacheReadTokens = num(obj(u.input_tokens_details).cached_tokens);
  s.usage.reasoningTokens = num(obj(u.output_tokens_details).reasoning_tokens);
}

function callOf(item: Obj, tsNs: number, argsOverride?: string): LlmToolCall {
  const type = str(item.type);
  const input =
    argsOverride ??
    (type === 'function_call'
      ? str(item.arguments) ?? '{}'
      : type === 'custom_tool_call'
        ? JSON.stringify({ input: str(item.input) ?? '' })
        : JSON.stringify(item.action ?? {}));
  return {
    callId: str(item.call_id) ?? str(item.id) ?? '',
    name: str(item.name) ?? (type === 'local_shell_call' ? 'local_shell' : ''),
    inputJson: input,
    tsNs,
  };
}

class ResponsesResponse implements ResponseAccumulator {
  private readonly s = emptyState();
  private text = '';
  private thinking = '';
  /** Function calls by item id, in output order. */
  private readonly calls = new Map<string, { item: Obj; args: string; tsNs: number; done: boolean }>();
  private final: Obj | null = null;

  onEvent(event: string, data: string, tsNs: number): boolean {
    const ev = obj(tryParse(data));
    const type = str(ev.type) ?? event;
    switch (type) {
      case 'response.created':
      case 'response.in_progress':
        this.s.model = str(obj(ev.response).model) ?? this.s.model;
        return false;
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        this.text += str(ev.delta) ?? '';
        return true;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        this.thinking += str(ev.delta) ?? '';
        return true;
      case 'response.output_item.added': {
        const item = obj(ev.item);
        if (CALL_TYPES.has(str(item.type) ?? '')) {
          this.calls.set(str(item.id) ?? str(item.call_id) ?? String(this.calls.size), { item, args: '', tsNs, done: false });
          return true;
        }
        return false;
      }
      case 'response.function_call_arguments.delta':
      case 'response.custom_tool_call_input.delta': {
        const c = this.calls.get(str(ev.item_id) ?? '');
        if (c) {
          c.args += str(ev.delta) ?? '';
          c.tsNs = tsNs;
        }
        return true;
      }
      case 'response.output_item.done': {
        const item = obj(ev.item);
        if (CALL_TYPES.has(str(item.type) ?? '')) {
          const key = str(item.id) ?? str(item.call_id) ?? String(this.calls.size);
          this.calls.set(key, { item, args: '', tsNs, done: true });
        }
        return false;
      }
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed': {
        const r = obj(ev.response);
        this.final = r;
        this.s.model = str(r.model) ?? this.s.model;
        usageOf(r.usage, this.s);
        this.s.stopReason = stopOf(r);
        if (type === 'response.failed') this.s.error = errText(r.error) ?? 'response.failed';
        this.s.finished = true;
        return false;
      }
      case 'error':
        this.s.error = errText(ev.error ?? ev) ?? data.slice(0, 500);
        return false;
      default:
        return false;
    }
  }

  onJson(body: unknown, tsNs: number): void {
    const r = obj(body);
    this.final = r;
    this.s.model = str(r.model);
    usageOf(r.usage, this.s);
    this.s.stopReason = stopOf(r);
    for (const item of arr(r.output)) {
      const o = obj(item);
      if (o.type === 'message') for (const c of arr(o.content)) this.text += str(obj(c).text) ?? '';
      else if (o.type === 'reasoning') this.thinking += reasoningText(o);
      else if (CALL_TYPES.has(str(o.type) ?? '')) this.calls.set(str(o.id) ?? String(this.calls.size), { item: o, args: '', tsNs, done: true });
    }
    this.s.finished = r.status !== undefined || Array.isArray(r.output);
  }

  result(): ResponseState {
    const s = this.s;
    s.toolCalls = [...this.calls.values()].map((c) => (c.done || c.args === '' ? callOf(c.item, c.tsNs) : callOf(c.item, c.tsNs, c.args)));
    // Text and reasoning come from deltas; a completed response without deltas (non-streaming) fills them from output.
    if (this.text === '' && this.final) for (const it of arr(this.final.output)) if (obj(it).type === 'message') for (const c of arr(obj(it).content)) this.text += str(obj(c).text) ?? '';
    if (this.thinking === '' && this.final) for (const it of arr(this.final.output)) if (obj(it).type === 'reasoning') this.thinking += reasoningText(obj(it));
    s.text = this.text;
    s.thinking = this.thinking;
    s.json = this.final ?? { object: 'response', model: s.model, status: 'incomplete', output_text: this.text };
    return s;
  }
}

function reasoningText(o: Obj): string {
  return arr(o.summary)
    .map((x) => str(obj(x).text) ?? '')
    .concat(arr(o.content).map((x) => str(obj(x).text) ?? ''))
    .join('');
}

function stopOf(r: Obj): string | null {
  const reason = str(obj(r.incomplete_details).reason);
  if (reason) return reason;
  if (arr(r.output).some((o) => CALL_TYPES.has(str(obj(o).type) ?? ''))) return 'tool_calls';
  return str(r.status);
}

function errText(e: unknown): string | null {
  if (!isObj(e)) return null;
  const m = str(e.message);
  const c = str(e.code) ?? str(e.type);
  return m || c ? `${c ?? 'error'}: ${m ?? ''}` : null;
}

export const openaiResponsesCodec: ProviderCodec = {
  id: 'openai-responses',
  matches: (r) => r.method === 'POST' && /\/responses$/.test(r.path),
  parseRequest(r: RequestInfo): ParsedRequest {
    const b = obj(r.json);
    const input = arr(b.input);
    const system: string[] = [];
    if (str(b.instructions)) system.push(str(b.instructions)!);
    for (const it of input) {
      const o = obj(it);
      if (o.role === 'system' || o.role === 'developer') {
        const t = textOf(o.content) ?? arr(o.content).map((c) => str(obj(c).text) ?? '').join('');
        if (t) system.push(t);
      }
    }
    let lastAssistant = -1;
    input.forEach((it, i) => {
      const o = obj(it);
      if ((o.type === 'message' || o.type === undefined) && o.role === 'assistant') lastAssistant = i;
    });
    const toolResults = input
      .slice(lastAssistant + 1)
      .map(obj)
      .filter((o) => RESULT_TYPES.has(str(o.type) ?? ''))
      .map((o) => {
        const out = o.output;
        const text = typeof out === 'string' ? out : textOf(out) ?? (out === undefined ? null : JSON.stringify(out));
        return { callId: str(o.call_id) ?? '', name: null, text, isError: null };
      });
    return { model: str(b.model), systemPrompt: system.length > 0 ? system.join('\n\n') : null, stream: b.stream === true, toolResults, kind: 'generate', context: {} };
  },
  newResponse: () => new ResponsesResponse(),
};
