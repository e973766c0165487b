/** Anthropic Messages API: POST /v1/messages (also ?beta=true) and /v1/messages/count_tokens. */
import { arr, isObj, num, obj, str, sumOrNull, textOf, tryParse } from '../json-util';
import { emptyState, type LlmToolCall, type ParsedRequest, type ProviderCodec, type RequestInfo, type ResponseAccumulator, type ResponseState } from '../types';

function usageOf(u: unknown, s: ResponseState): void {
  const o = obj(u);
  const input = num(o.input_tokens);
  const write = num(o.cache_creation_input_tokens);
  const read = num(o.cache_read_input_tokens);
  const output = num(o.output_tokens);
  // message_delta may repeat input figures; later non-null values win.
  if (read !== null) s.usage.cacheReadTokens = read;
  if (write !== null) s.usage.cacheWriteTokens = write;
  if (input !== null) s.usage.inputTokens = sumOrNull(input, s.usage.cacheReadTokens, s.usage.cacheWriteTokens);
  if (output !== null) s.usage.outputTokens = output;
}

interface Block {
  type: string;
  text: string;
  thinking: string;
  json: string;
  id: string;
  name: string;
  input: unknown;
  tsNs: number;
}

class AnthropicResponse implements ResponseAccumulator {
  private readonly s = emptyState();
  private readonly blocks: Block[] = [];
  private message: Record<string, unknown> = {};

  onEvent(event: string, data: string, tsNs: number): boolean {
    const ev = obj(tryParse(data));
    const type = str(ev.type) ?? event;
    switch (type) {
      case 'message_start': {
        const m = obj(ev.message);
        this.message = { ...m };
        this.s.model = str(m.model);
        usageOf(m.usage, this.s);
        return false;
      }
      case 'content_block_start': {
        const idx = num(ev.index) ?? this.blocks.length;
        const b = obj(ev.content_block);
        this.blocks[idx] = {
          type: str(b.type) ?? 'unknown',
          text: str(b.text) ?? '',
          thinking: str(b.thinking) ?? '',
          json: '',
          id: str(b.id) ?? '',
          name: str(b.name) ?? '',
          input: b.input,
          tsNs,
        };
        return b.type === 'tool_use' || b.type === 'server_tool_use';
      }
      case 'content_block_delta': {
        const idx = num(ev.index) ?? this.blocks.length - 1;
        const b = this.blocks[idx] ?? (this.blocks[idx] = { type: 'text', text: '', thinking: '', json: '', id: '', name: '', input: undefined, tsNs });
        const d = obj(ev.delta);
        b.tsNs = tsNs;
        switch (d.type) {
          case 'text_delta':
            b.text += str(d.text) ?? '';
            return true;
          case 'thinking_delta':
            b.thinking += str(d.thinking) ?? '';
            return true;
          case 'input_json_delta':
            b.json += str(d.partial_json) ?? '';
            return true;
          default:
            return false;
        }
      }
      case 'message_delta': {
        const d = obj(ev.delta);
        if (str(d.stop_reason)) this.s.stopReason = str(d.stop_reason);
        usageOf(ev.usage, this.s);
        return false;
      }
      case 'message_stop':
        this.s.finished = true;
        return false;
      case 'error': {
        const e = obj(ev.error);
        this.s.error = `${str(e.type) ?? 'error'}: ${str(e.message) ?? data.slice(0, 500)}`;
        return false;
      }
      default:
        return false;
    }
  }

  onJson(body: unknown, tsNs: number): void {
    const m = obj(body);
    this.message = { ...m };
    this.s.model = str(m.model);
    this.s.stopReason = str(m.stop_reason);
    usageOf(m.usage, this.s);
    for (const b of arr(m.content)) {
      const o = obj(b);
      this.blocks.push({
        type: str(o.type) ?? 'unknown',
        text: str(o.text) ?? '',
        thinking: str(o.thinking) ?? '',
        json: '',
        id: str(o.id) ?? '',
        name: str(o.name) ?? '',
        input: o.input,
        tsNs,
      });
    }
    this.s.finished = m.type === 'message' || Array.isArray(m.content);
  }

  result(): ResponseState {
    const s = this.s;
    const texts: string[] = [];
    const thoughts: string[] = [];
    const calls: LlmToolCall[] = [];
    const content: unknown[] = [];
    for (const b of this.blocks) {
      if (!b) continue;
      if (b.type === 'text') {
        texts.push(b.text);
        content.push({ type: 'text', text: b.text });
      } else if (b.type === 'thinking') {
        thoughts.push(b.thinking);
        content.push({ type: 'thinking', thinking: b.thinking });
      } else if (b.type === 'tool_use' || b.type === 'server_tool_use') {
        // Streamed input arrives as JSON text; an empty stream means "{}".
        const inputJson = b.json !== '' ? b.json : JSON.stringify(b.input ?? {});
        calls.push({ callId: b.id, name: b.name, inputJson, tsNs: b.tsNs });
        content.push({ type: b.type, id: b.id, name: b.name, input: tryParse(inputJson) ?? inputJson });
      } else content.push({ type: b.type });
    }
    s.text = texts.join('');
    s.thinking = thoughts.join('');
    s.toolCalls = calls;
    s.json = { ...this.message, content, stop_reason: s.stopReason };
    return s;
  }
}

export const anthropicCodec: ProviderCodec = {
  id: 'anthropic',
  matches: (r) => r.method === 'POST' && /\/v1\/messages(\/count_tokens)?$/.test(r.path),
  parseRequest(r: RequestInfo): ParsedRequest {
    const b = obj(r.json);
    const sys = b.system;
    const systemPrompt = typeof sys === 'string' ? sys : textOf(sys);
    const messages = arr(b.messages);
    // Results that are new in this request sit in the user messages after the last assistant message.
    let lastAssistant = -1;
    messages.forEach((m, i) => {
      if (obj(m).role === 'assistant') lastAssistant = i;
    });
    const toolResults: ParsedRequest['toolResults'] = [];
    for (const m of messages.slice(lastAssistant + 1)) {
      for (const c of arr(obj(m).content)) {
        const o = obj(c);
        if (o.type !== 'tool_result') continue;
        toolResults.push({
          callId: str(o.tool_use_id) ?? '',
          name: null,
          text: textOf(o.content) ?? (o.content === undefined ? null : JSON.stringify(o.content)),
          isError: typeof o.is_error === 'boolean' ? o.is_error : false,
        });
      }
    }
    return {
      model: str(b.model),
      systemPrompt,
      stream: b.stream === true,
      toolResults,
      kind: r.path.endsWith('/count_tokens') ? 'count_tokens' : 'generate',
      context: {},
    };
  },
  newResponse: () => new AnthropicResponse(),
};

export function isAnthropicError(body: unknown): boolean {
  return isObj(body) && body.type === 'error';
}
