/**
 * Anything else that looks like a model call: JSON over HTTP to a model-looking endpoint, or a JSON body that
 * names a model and carries a prompt. Kept as provider 'unknown' (listed, never dropped) with what can be read
 * generically: model, streaming flag, raw response text.
 */
import { obj, str } from '../json-util';
import { emptyState, type ParsedRequest, type ProviderCodec, type RequestInfo, type ResponseAccumulator, type ResponseState } from '../types';

const MODEL_PATH = /\/(v\d+[a-z0-9]*\/)?(completions|chat|generate|embeddings|messages|responses|models\/[^/]+:|predict|invoke|converse|inference)/i;
const LLM_HOST = /(openai|anthropic|googleapis|generativelanguage|mistral|groq|together|fireworks|deepseek|openrouter|ollama|x\.ai|cohere|perplexity|bedrock|azure)/i;

class UnknownResponse implements ResponseAccumulator {
  private readonly s = emptyState();
  private events = 0;
  onEvent(_e: string, data: string): boolean {
    this.events++;
    const v = obj(safeParse(data));
    if (str(v.model)) this.s.model = str(v.model);
    return this.events === 1;
  }
  onJson(body: unknown): void {
    const b = obj(body);
    this.s.model = str(b.model);
    this.s.json = body;
    this.s.finished = true;
  }
  result(): ResponseState {
    return this.s;
  }
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

export const unknownCodec: ProviderCodec = {
  id: 'unknown',
  matches(r: RequestInfo): boolean {
    if (r.method !== 'POST') return false;
    const b = obj(r.json);
    const hasPrompt = b.messages !== undefined || b.prompt !== undefined || b.input !== undefined || b.contents !== undefined;
    if (r.json !== undefined && typeof b.model === 'string' && hasPrompt) return true;
    return r.json !== undefined && (MODEL_PATH.test(r.path) || LLM_HOST.test(r.host ?? ''));
  },
  parseRequest(r: RequestInfo): ParsedRequest {
    const b = obj(r.json);
    return { model: str(b.model), systemPrompt: str(b.system), stream: b.stream === true, toolResults: [], kind: 'other', context: {} };
  },
  newResponse: () => new UnknownResponse(),
};
