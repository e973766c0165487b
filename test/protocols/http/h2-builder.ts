/** Builds HTTP/2 frames by hand for edge cases node's own client never produces (padding, CONTINUATION, PRIORITY). */
import { huffmanEncode } from '../../../src/protocols/http/hpack-decoder';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export function int(v: number, prefixBits: number, firstByteFlags: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (v < max) return [firstByteFlags | v];
  const out = [firstByteFlags | max];
  v -= max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function str(s: string, huff: boolean): number[] {
  const b = huff ? [...huffmanEncode(s)] : [...Buffer.from(s, 'latin1')];
  return [...int(b.length, 7, huff ? 0x80 : 0), ...b];
}

/** Encodes headers as "literal with incremental indexing, new name" (huff) or "without indexing" — both legal. */
export function hpack(headers: Array<[string, string]>, opts: { index?: boolean; huff?: boolean } = {}): Buffer {
  const out: number[] = [];
  for (const [n, v] of headers) {
    out.push(opts.index ? 0x40 : 0x00, ...str(n, !!opts.huff), ...str(v, !!opts.huff));
  }
  return Buffer.from(out);
}

export function frame(type: number, flags: number, streamId: number, payload: Uint8Array): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(streamId, 5);
  return Buffer.concat([h, payload]);
}

export const settings = (entries: Array<[number, number]> = []): Buffer => {
  const p = Buffer.alloc(entries.length * 6);
  entries.forEach(([id, v], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(v, i * 6 + 2);
  });
  return frame(4, 0, 0, p);
};

export const headers = (sid: number, block: Uint8Array, flags: number): Buffer => frame(1, flags, sid, block);
export const data = (sid: number, body: Uint8Array | string, flags: number): Buffer => frame(0, flags, sid, typeof body === 'string' ? Buffer.from(body) : body);

export const END_STREAM = 0x1;
export const END_HEADERS = 0x4;
export const PADDED = 0x8;
export const PRIORITY = 0x20;
