/**
 * LLM calls carried over a WebSocket (OpenAI Responses WebSocket mode, which Codex prefers when the server
 * accepts it): the client sends {"type":"response.create", …request…} and the server answers with the same
 * response.* events the SSE transport carries, one per message. Each response.create becomes one LLM call,
 * finished by response.completed / .failed / .incomplete / error, or cut short when the connection ends.
 */
import type { HttpExchange } from '../http/types';
import type { WsMessage } from '../http/websocket-decoder';
import { isObj, obj, str, tryParse } from './json-util';
import { startLlmCall, type LlmCallBuilder, type LlmCallResult, type LlmProgress } from './llm-call-builder';

const FINAL = new Set(['response.completed', 'response.failed', 'response.incomplete', 'error']);
const utf8 = new TextDecoder('utf-8');

interface Pending {
  builder: LlmCallBuilder;
  ex: HttpExchange;
}

export class WsLlmTracker {
  /** In-flight call per upgraded exchange (a Responses socket runs one response at a time). */
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly hostFallback: () => string | null, private readonly onProgress?: (p: LlmProgress) => void) {}

  /** Returns a finished call when this message completed one. */
  onMessage(upgrade: HttpExchange, msg: WsMessage): LlmCallResult | null {
    if (msg.opcode !== 1 && msg.opcode !== 2) return null;
    const text = utf8.decode(msg.data);
    const v = obj(tryParse(text));
    const type = str(v.type);
    if (!type) return null;
    if (msg.dir === 0) {
      if (type !== 'response.create') return null;
      // Cut short a call still waiting for its end (the client started another).
      const prev = this.pending.get(upgrade.seq);
      const done = prev ? this.finish(prev, msg.tsNs, 'superseded by a new response.create') : null;
      const { type: _t, ...rest } = v;
      const request = isObj(v.response) && v.model === undefined ? v.response : rest;
      const ex: HttpExchange = {
        ...upgrade,
        method: 'POST',
        reqBody: Buffer.from(JSON.stringify(request)),
        respBody: null,
        status: 200,
        respHeaders: [['content-type', 'text/event-stream']],
        startNs: msg.tsNs,
        firstByteNs: null,
        endNs: null,
        complete: true,
        error: null,
        requestDone: true,
        responseDone: false,
      };
      const builder = startLlmCall(ex, this.hostFallback(), this.onProgress);
      if (builder) this.pending.set(upgrade.seq, { builder, ex });
      return done;
    }
    const p = this.pending.get(upgrade.seq);
    if (!p) return null;
    if (p.ex.firstByteNs === null) p.ex.firstByteNs = msg.tsNs;
    p.builder.feedEvent(type, text, msg.tsNs);
    if (!FINAL.has(type)) return null;
    return this.finish(p, msg.tsNs, null);
  }

  /** Connection closed: calls still waiting are incomplete. */
  end(tsNs: number): LlmCallResult[] {
    return [...this.pending.values()].map((p) => this.finish(p, tsNs, 'connection closed before response end'));
  }

  private finish(p: Pending, tsNs: number, error: string | null): LlmCallResult {
    for (const [k, v] of this.pending) if (v === p) this.pending.delete(k);
    p.ex.endNs = tsNs;
    p.ex.responseDone = true;
    if (error) {
      p.ex.complete = false;
      p.ex.error = error;
    }
    return p.builder.finish(p.ex);
  }
}
