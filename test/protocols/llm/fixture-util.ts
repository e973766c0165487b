import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpExchange } from '../../../src/protocols/http/types';
import { LlmPipeline, type PipelineLoss } from '../../../src/protocols/llm/llm-pipeline';
import type { LlmCall, LlmToolCall, LlmToolResult } from '../../../src/protocols/llm/types';

export const FIXTURE_DIR = join(__dirname, '..', '..', 'fixtures', 'llm');

export interface Fixture {
  note: string;
  alpn: string;
  chunks: Array<{ dir: 0 | 1; tsNs: number; data: Buffer }>;
}

export function loadFixture(name: string): Fixture {
  const j = JSON.parse(readFileSync(join(FIXTURE_DIR, name.endsWith('.json') ? name : `${name}.json`), 'utf8')) as {
    note: string;
    alpn: string;
    chunks: Array<{ dir: 0 | 1; tsNs: number; b64: string }>;
  };
  return { note: j.note, alpn: j.alpn, chunks: j.chunks.map((c) => ({ dir: c.dir, tsNs: c.tsNs, data: Buffer.from(c.b64, 'base64') })) };
}

export const fixtureNames = (): string[] => readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort();

export interface Decoded {
  exchanges: HttpExchange[];
  calls: Array<{ call: LlmCall; toolCalls: LlmToolCall[]; toolResults: LlmToolResult[] }>;
  losses: PipelineLoss[];
  progress: number;
}

export function newSink(): Decoded & { pipeline: LlmPipeline } {
  const d: Decoded = { exchanges: [], calls: [], losses: [], progress: 0 };
  const pipeline = new LlmPipeline({
    onExchange: (ex) => d.exchanges.push(ex),
    onLlmCall: (call, toolCalls, toolResults) => d.calls.push({ call, toolCalls, toolResults }),
    onLoss: (l) => d.losses.push(l),
    onLlmProgress: () => d.progress++,
  });
  return Object.assign(d, { pipeline });
}

/** Feeds a fixture's chunks, optionally re-split into pieces of `split` bytes. */
export function decodeFixture(f: Fixture, split = 0, connKey = 'c1'): Decoded {
  const s = newSink();
  for (const c of f.chunks) {
    if (split <= 0) s.pipeline.pushChunk(connKey, { dir: c.dir, tsNs: c.tsNs, data: c.data, origLen: c.data.length }, { processId: 7, sessionId: 3, host: 'api.example.test' });
    else
      for (let i = 0; i < c.data.length; i += split) {
        const piece = c.data.subarray(i, i + split);
        s.pipeline.pushChunk(connKey, { dir: c.dir, tsNs: c.tsNs, data: piece, origLen: piece.length }, { processId: 7, sessionId: 3, host: 'api.example.test' });
      }
  }
  const last = f.chunks[f.chunks.length - 1]?.tsNs ?? 0;
  s.pipeline.endConnection(connKey, last + 1);
  return s;
}
