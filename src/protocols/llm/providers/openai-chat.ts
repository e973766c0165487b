/** OpenAI Chat Completions: POST …/chat/completions (also every OpenAI-compatible server). */
import { arr, num, obj, str, textOf, tryParse } from '../json-util';
import { emptyState, type ParsedRequest, type ProviderCodec, type RequestInfo, type ResponseAccumulator, type ResponseState } from '../types';

interface CallAcc {
  id: string;
  name: string;
  args: string;
  tsNs: number;
}

function usageOf(u: unknown, s: ResponseState): void {
  if (u === null || u === undefined) return;
  const o = obj(u);
  s.usage.inputTokens = num(o.prompt_tokens);
  s.usage.outputTokens = num(o.completion_tokens);
  s.usage.cacheReadTokens = num(obj(o.prompt_tokens_details).cached_tokens);
  s.usage.reasoningTokens = num(obj(o.completion_tokens_details).reasoning_tokens);
}

class ChatResponse implements ResponseAccumulator {
  private readonly s = emptyState();
  private readonly calls: CallAcc[] = [];
  private text = '';
  private thinking = '';
  private id: string | null = null;

  onEvent(_event: string, data: string, tsNs: number): boolean {
    if (data.trim() === '[DONE]') {
      this.s.finished = true;
      return false;
    }
    const c = obj(tryParse(data));
    if (c.error) {
      const e = obj(c.error);
      this.s.error = `${str(e.type) ?? 'error'}: ${str(e.message) ?? ''}`;
      return false;
    }
    this.id = str(c.id) ?? this.id;
    if (str(c.model)) this.s.model = str(c.model);
    if (c.usage) usageOf(c.usage, this.s);
    let output = false;
    for (const ch of arr(c.choices)) {
      const o = obj(ch);
      const d = obj(o.delta);
      if (typeof d.content === 'string' && d.content !== '') {
        this.text += d.content;
        output = true;
      }
      // OpenAI-compatible servers stream reasoning as reasoning_content (DeepSeek, vLLM) or reasoning.
      const r = str(d.reasoning_content) ?? str(d.reasoning);
      if (r) {
        this.thinking += r;
        output = true;
      }
      for (const tc of arr(d.tool_calls)) {
        const t = obj(tc);
        const idx = num(t.index) ?? this.calls.length;
        const acc = this.calls[idx] ?? (this.calls[idx] = { id: '', name: '', args: '', tsNs });
        if (str(t.id)) acc.id = str(t.id)!;
        const f = obj(t.function);
        if (str(f.name)) acc.name += str(f.name)!;
        if (str(f.arguments)) acc.args += str(f.arguments)!;
        acc.tsNs = tsNs;
        output = true;
      }
      if (str(o.finish_reason)) this.s.stopReason = str(o.finish_reason);
    }
    return output;
  }

  onJson(body: unknown, tsNs: number): void {
    const b = obj(body);
    this.id = str(b.id);
    this.s.model = str(b.model);
    usageOf(b.usage, this.s);
    const ch = obj(arr(b.choices)[0]);
    const m = obj(ch.message);
    this.text = textOf(m.content) ?? '';
    this.thinking = str(m.reasoning_content) ?? str(m.reasoning) ?? '';
    arr(m.tool_calls).forEach((tc, i) => {
      const t = obj(tc);
      const f = obj(t.function);
      this.calls[i] = { id: str(t.id) ?? '', name: str(f.name) ?? '', args: str(f.arguments) ?? '', tsNs };
    });
    this.s.stopReason = str(ch.finish_reason);
    this.s.finished = Array.isArray(b.choices);
  }

  result(): ResponseState {
    const s = this.s;
    s.text = this.text;
    s.thinking = this.thinking;
    s.toolCalls = this.calls.filter(Boolean).map((c) => ({ callId: c.id, name: c.name, inputJson: c.args === '' ? '{}' : c.args, tsNs: c.tsNs }));
    const message: Record<string, unknown> = { role: 'assistant', content: this.text === '' && s.toolCalls.length > 0 ? null : this.text };
    if (s.toolCalls.length > 0) message.tool_calls = s.toolCalls.map((c) => ({ id: c.callId, type: 'function', function: { name: c.name, arguments: c.inputJson } }));
    s.json = { id: this.id, object: 'chat.completion', model: s.model, choices: [{ index: 0, message, finish_reason: s.stopReason }] };
    return s;
  }
}

export const openaiChatCodec: ProviderCodec = {
  id: 'openai-chat',
  matches: (r) => r.method === 'POST' && /\/chat\/completions$/.test(r.path),
  parseRequest(r: RequestInfo): ParsedRequest {
    const b = obj(r.json);
    const messages = arr(b.messages);
    const system = messages
      .filter((m) => obj(m).role === 'system' || obj(m).role === 'developer')
      .map((m) => textOf(obj(m).content))
      .filter((t): t is string => t !== null);
    let lastAssistant = -1;
    messages.forEach((m, i) => {
      if (obj(m).role === 'assistant') lastAssistant = i;
    });
    const toolResults = messages
      .slice(lastAssistant + 1)
      .filter((m) => obj(m).role === 'tool')
      .map((m) => {
        const o = obj(m);
        return { callId: str(o.tool_call_id) ?? '', name: str(o.name), text: textOf(o.content), isError: null };
      });
    return {
      model: str(b.model),
      systemPrompt: system.length > 0 ? system.join('\n\n') : null,
      stream: b.stream === true,
      toolResults,
      kind: 'generate',
      context: {},
    };
  },
  newResponse: () => new ChatResponse(),
};
