/**
 * Google Gemini: …/models/{model}:generateContent, :streamGenerateContent (?alt=sse, or a JSON array without
 * it), :countTokens, and Code Assist's /v1internal:… (Gemini CLI with Google login), whose bodies wrap the
 * same objects in {request: …} / {response: …}.
 *
 * Gemini function calls usually carry no id from the server, and clients invent their own (Gemini CLI writes
 * "run_shell_command_<time>_0" into its history), so ids are not shared between a response and the next
 * request. We always use a positional id, "gemini:<turn>:<n>:<name>": the n-th call of the model turn that
 * sits at position <turn> of `contents`. The next request's functionResponse parts after that model turn are
 * matched to those calls (by their own id when the history carries one, else by name order) and get the same
 * positional ids, so calls and results link without guessing.
 */
import { arr, isObj, num, obj, str, sumOrNull, tryParse, type Obj } from '../json-util';
import { emptyState, type LlmToolCall, type ParsedRequest, type ProviderCodec, type RequestInfo, type ResponseAccumulator, type ResponseState } from '../types';

function unwrapReq(json: unknown): Obj {
  const b = obj(json);
  return isObj(b.request) && (b.contents === undefined) ? obj(b.request) : b;
}

function unwrapResp(json: unknown): Obj {
  const b = obj(json);
  return isObj(b.response) && b.candidates === undefined ? obj(b.response) : b;
}

class GeminiResponse implements ResponseAccumulator {
  private readonly s = emptyState();
  private text = '';
  private thinking = '';
  private readonly calls: LlmToolCall[] = [];
  private last: Obj = {};

  constructor(private readonly turn: number) {}

  onEvent(_event: string, data: string, tsNs: number): boolean {
    const v = tryParse(data);
    if (v === undefined) return false;
    return this.chunk(unwrapResp(v), tsNs);
  }

  onJson(body: unknown, tsNs: number): void {
    // streamGenerateContent without alt=sse answers one JSON array of chunks.
    const chunks = Array.isArray(body) ? body : [body];
    for (const c of chunks) this.chunk(unwrapResp(c), tsNs);
    this.s.finished = this.s.finished || chunks.length > 0;
  }

  private chunk(c: Obj, tsNs: number): boolean {
    if (isObj(c.error)) {
      const e = c.error;
      this.s.error = `${str(e.status) ?? num(e.code) ?? 'error'}: ${str(e.message) ?? ''}`;
      return false;
    }
    this.last = c;
    if (str(c.modelVersion)) this.s.model = str(c.modelVersion);
    const u = c.usageMetadata;
    if (isObj(u)) {
      const thoughts = num(u.thoughtsTokenCount);
      this.s.usage.inputTokens = num(u.promptTokenCount);
      this.s.usage.cacheReadTokens = num(u.cachedContentTokenCount);
      this.s.usage.reasoningTokens = thoughts;
      const cand = num(u.candidatesTokenCount);
      this.s.usage.outputTokens = cand === null && thoughts === null ? null : sumOrNull(cand, thoughts);
    }
    let output = false;
    for (const cand of arr(c.candidates)) {
      const o = obj(cand);
      for (const p of arr(obj(o.content).parts)) {
        const part = obj(p);
        if (typeof part.text === 'string') {
          if (part.thought === true) this.thinking += part.text;
          else this.text += part.text;
          output = true;
        } else if (isObj(part.functionCall)) {
          const f = part.functionCall;
          const name = str(f.name) ?? '';
          const id = `gemini:${this.turn}:${this.calls.length}:${name}`;
          this.calls.push({ callId: id, name, inputJson: JSON.stringify(f.args ?? {}), tsNs });
          output = true;
        }
      }
      if (str(o.finishReason)) {
        this.s.stopReason = str(o.finishReason);
        this.s.finished = true;
      }
    }
    return output;
  }

  result(): ResponseState {
    const s = this.s;
    s.text = this.text;
    s.thinking = this.thinking;
    s.toolCalls = this.calls;
    const parts: unknown[] = [];
    if (this.thinking) parts.push({ text: this.thinking, thought: true });
    if (this.text) parts.push({ text: this.text });
    for (const c of this.calls) parts.push({ functionCall: { name: c.name, args: tryParse(c.inputJson) ?? {} } });
    s.json = { candidates: [{ content: { role: 'model', parts }, finishReason: s.stopReason }], usageMetadata: this.last.usageMetadata ?? null, modelVersion: s.model };
    return s;
  }
}

export const geminiCodec: ProviderCodec = {
  id: 'gemini',
  matches: (r) => r.method === 'POST' && /:(generateContent|streamGenerateContent|countTokens)$/.test(r.path),
  parseRequest(r: RequestInfo): ParsedRequest {
    const outer = obj(r.json);
    const b = unwrapReq(r.json);
    const pathModel = /\/models\/([^/:]+):/.exec(r.path)?.[1] ?? null;
    const sys = obj(b.systemInstruction ?? b.system_instruction);
    const sysText = arr(sys.parts)
      .map((p) => str(obj(p).text))
      .filter((t): t is string => t !== null)
      .join('\n');
    const contents = arr(b.contents);
    // The new results are the functionResponse parts after the last model turn; their ids refer to that turn.
    let lastModel = -1;
    contents.forEach((c, i) => {
      if (obj(c).role === 'model') lastModel = i;
    });
    const toolResults: ParsedRequest['toolResults'] = [];
    const perName = new Map<string, number>();
    const modelCalls = lastModel >= 0 ? arr(obj(contents[lastModel]).parts).map((p) => obj(obj(p).functionCall)).filter((f) => str(f.name)) : [];
    for (const c of contents.slice(lastModel + 1)) {
      for (const p of arr(obj(c).parts)) {
        const fr = obj(obj(p).functionResponse);
        if (!str(fr.name)) continue;
        const name = str(fr.name)!;
        // Same id on both sides when the client wrote one; else the k-th response for a name pairs with the
        // k-th call of that name in the model turn.
        let n = str(fr.id) ? modelCalls.findIndex((f) => f.id === fr.id) : -1;
        if (n < 0) {
          const k = perName.get(name) ?? 0;
          perName.set(name, k + 1);
          let seen = 0;
          modelCalls.forEach((f, i) => {
            if (n < 0 && f.name === name && seen++ === k) n = i;
          });
        }
        const callId = n >= 0 ? `gemini:${lastModel}:${n}:${name}` : str(fr.id) ?? `gemini:?:${name}`;
        const resp = fr.response;
        const out = obj(resp);
        const text = typeof out.output === 'string' ? out.output : resp === undefined ? null : JSON.stringify(resp);
        toolResults.push({ callId, name, text, isError: out.error !== undefined ? true : null });
      }
    }
    return {
      model: pathModel ? decodeURIComponent(pathModel) : str(outer.model) ?? str(b.model),
      systemPrompt: sysText === '' ? null : sysText,
      stream: /:streamGenerateContent$/.test(r.path),
      toolResults,
      kind: r.path.endsWith(':countTokens') ? 'count_tokens' : 'generate',
      context: { turn: contents.length },
    };
  },
  newResponse: (req) => new GeminiResponse(typeof req.context.turn === 'number' ? req.context.turn : 0),
};
