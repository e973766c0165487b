/**
 * Scrubs credentials out of raw TLS plaintext before it is stored, keeping every byte position so the stream can
 * still be re-parsed. HTTP/1.1 header lines and query parameters are masked by pattern; values the HTTP layer
 * redacted (learned through onSecretSeen) are also searched for verbatim and in their HPACK Huffman form, which is
 * how they travel under HTTP/2, and replaced by a same-length Huffman string of '0's.
 */
import { HUFFMAN } from '../../protocols/http/hpack-tables';
import { SECRET_HEADERS, SECRET_QUERY_PARAMS } from '../../protocols/http/redact';
import { keyShapeSpans } from '../process/redact-command';

// The same names the HTTP layer redacts (redact.ts), so raw chunks and decoded rows agree on what a secret is.
const HEADER_LINE = new RegExp(`(^|\\r?\\n)(${[...SECRET_HEADERS].join('|')})[ \\t]*:[ \\t]*([^\\r\\n]*)`, 'gi');
const QUERY_SECRET = new RegExp(`([?&](?:${[...SECRET_QUERY_PARAMS].join('|')})=)([^&\\s#]+)`, 'gi');
/** Shorter values are not secrets worth a search, and would match by accident. */
const MIN_SECRET = 8;

export function huffmanEncode(s: string): Buffer {
  const bytes = Buffer.from(s, 'latin1');
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    const code = HUFFMAN.codes[b]!;
    const len = HUFFMAN.lengths[b]!;
    for (let i = len - 1; i >= 0; i--) {
      acc = (acc << 1) | ((code >>> i) & 1);
      bits++;
      if (bits === 8) {
        out.push(acc & 0xff);
        acc = 0;
        bits = 0;
      }
    }
  }
  if (bits > 0) out.push(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xff); // EOS-prefix padding
  return Buffer.from(out);
}

/** n bytes that Huffman-decode to a run of '0' (5-bit code 00000) with valid (<8 bit, all ones) padding. */
function huffmanFiller(n: number): Buffer {
  const chars = Math.floor((8 * n) / 5);
  const zeroBits = chars * 5;
  const out = Buffer.alloc(n);
  for (let bit = zeroBits; bit < 8 * n; bit++) out[bit >> 3] |= 0x80 >> (bit & 7);
  return out;
}

export class SecretScrubber {
  private readonly raw: Buffer[] = [];
  private readonly huff: Buffer[] = [];
  private readonly known = new Set<string>();
  scrubbed = 0;

  learn(value: string): void {
    const values = [value];
    const bearer = /^(?:bearer|basic|token)\s+(.+)$/i.exec(value);
    if (bearer) values.push(bearer[1]!);
    for (const v of values) {
      if (v.length < MIN_SECRET || this.known.has(v)) continue;
      this.known.add(v);
      this.raw.push(Buffer.from(v, 'latin1'));
      const h = huffmanEncode(v);
      if (h.length >= 4) this.huff.push(h);
    }
  }

  /** Mask secrets in place; returns how many were masked. */
  scrub(buf: Buffer): number {
    let n = 0;
    const text = buf.toString('latin1');
    const mask = (start: number, len: number) => {
      buf.fill(0x2a, start, start + len); // '*'
      n++;
    };
    for (const m of text.matchAll(HEADER_LINE)) {
      const value = m[3]!;
      if (value.length === 0) continue;
      this.learn(value.trim());
      mask(m.index! + m[0].length - value.length, value.length);
    }
    for (const m of text.matchAll(QUERY_SECRET)) {
      this.learn(decodeURIComponentSafe(m[2]!));
      mask(m.index! + m[1]!.length, m[2]!.length);
    }
    for (const p of this.raw) {
      for (let i = buf.indexOf(p); i >= 0; i = buf.indexOf(p, i + p.length)) mask(i, p.length);
    }
    // Keys in bodies (a tool result with `env` output going back to the model): the shapes command lines use.
    for (const [at, len] of keyShapeSpans(text)) mask(at, len);
    for (const p of this.huff) {
      for (let i = buf.indexOf(p); i >= 0; i = buf.indexOf(p, i + p.length)) {
        huffmanFiller(p.length).copy(buf, i);
        n++;
      }
    }
    this.scrubbed += n;
    return n;
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
