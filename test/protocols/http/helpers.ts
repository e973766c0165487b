import { HttpConnectionDecoder } from '../../../src/protocols/http/http-connection-decoder';
import type { HttpExchange, HttpLoss, PlaintextChunk } from '../../../src/protocols/http/types';

export interface Collected {
  exchanges: HttpExchange[];
  losses: HttpLoss[];
  progress: Array<{ seq: number; bytes: number; tsNs: number }>;
  requests: number[];
  decoder: HttpConnectionDecoder;
}

export function collect(): Collected {
  const c: Collected = { exchanges: [], losses: [], progress: [], requests: [], decoder: null as unknown as HttpConnectionDecoder };
  c.decoder = new HttpConnectionDecoder({
    onExchange: (ex) => c.exchanges.push(ex),
    onLoss: (l) => c.losses.push(l),
    onResponseData: (ex, d, ts) => c.progress.push({ seq: ex.seq, bytes: d.length, tsNs: ts }),
    onRequest: (ex) => c.requests.push(ex.seq),
  });
  return c;
}

/** Feeds a byte stream as chunks of the given size (1 = byte by byte). */
export function feed(c: Collected, dir: 0 | 1, bytes: Uint8Array, size: number, tsNs = 1000): void {
  for (let i = 0; i < bytes.length; i += size) {
    const data = bytes.subarray(i, Math.min(bytes.length, i + size));
    c.decoder.push({ dir, tsNs: tsNs + i, data, origLen: data.length });
  }
}

export function chunk(dir: 0 | 1, text: string | Uint8Array, tsNs = 1000, origLen?: number): PlaintextChunk {
  const data = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return { dir, tsNs, data, origLen: origLen ?? data.length };
}

export const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('utf8'));
