/**
 * HPACK decoder (RFC 7541) for one direction of an HTTP/2 connection. Strings are held as latin1 so one
 * character is one octet and table sizes are exact. Any malformed input throws HpackError; after that the
 * dynamic table can no longer be trusted and the caller treats later header blocks as unknown.
 */
import { EOS, HUFFMAN, STATIC_TABLE } from './hpack-tables';

export class HpackError extends Error {}

/** Entry overhead from RFC 7541 §4.1. */
const ENTRY_OVERHEAD = 32;
/** Guard against absurd header blocks (a real one is a few KB; 1 MiB of decoded headers is hostile). */
const MAX_DECODED_BYTES = 1024 * 1024;

export function huffmanDecode(src: Uint8Array, start: number, end: number): string {
  const { firstCode, count, offset, symbols } = HUFFMAN;
  let out = '';
  let code = 0;
  let len = 0;
  for (let i = start; i < end; i++) {
    const byte = src[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      len++;
      if (len < 5) continue;
      if (len > 30) throw new HpackError('huffman: code longer than 30 bits');
      const fc = firstCode[len]!;
      if (fc >= 0 && code - fc < count[len]! && code >= fc) {
        const sym = symbols[offset[len]! + code - fc]!;
        if (sym === EOS) throw new HpackError('huffman: EOS in string');
        out += String.fromCharCode(sym);
        code = 0;
        len = 0;
      }
    }
  }
  // Padding must be a prefix of EOS (all ones) shorter than a byte.
  if (len > 7 || code !== (1 << len) - 1) throw new HpackError('huffman: bad padding');
  return out;
}

/** Huffman-encodes a latin1 string: used by tests and the HPACK encoder of the fuzzers. */
export function huffmanEncode(s: string): Uint8Array {
  const { codes, lengths } = HUFFMAN;
  const out: number[] = [];
  let acc = 0;
  let nbits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    const len = lengths[sym]!;
    const code = codes[sym]!;
    for (let b = len - 1; b >= 0; b--) {
      acc = (acc << 1) | ((code >>> b) & 1);
      nbits++;
      if (nbits === 8) {
        out.push(acc);
        acc = 0;
        nbits = 0;
      }
    }
  }
  if (nbits > 0) out.push(((acc << (8 - nbits)) | ((1 << (8 - nbits)) - 1)) & 0xff);
  return Uint8Array.from(out);
}

export class HpackDecoder {
  /** Newest first. */
  private dynamic: Array<[string, string]> = [];
  private size = 0;
  private maxSize: number;

  /** @param settingsLimit SETTINGS_HEADER_TABLE_SIZE announced by the receiving side (default 4096). */
  constructor(private settingsLimit = 4096) {
    this.maxSize = settingsLimit;
  }

  get tableSize(): number {
    return this.size;
  }

  get tableMaxSize(): number {
    return this.maxSize;
  }

  /** The decoding side announced a new SETTINGS_HEADER_TABLE_SIZE; the encoder must follow with a size update. */
  setSettingsLimit(n: number): void {
    this.settingsLimit = n;
  }

  decode(block: Uint8Array): Array<[string, string]> {
    const headers: Array<[string, string]> = [];
    let pos = 0;
    let decoded = 0;
    let sawField = false;
    const readInt = (prefixBits: number): number => {
      if (pos >= block.length) throw new HpackError('truncated integer');
      const mask = (1 << prefixBits) - 1;
      let v = block[pos++]! & mask;
      if (v < mask) return v;
      let m = 0;
      for (;;) {
        if (pos >= block.length) throw new HpackError('truncated integer');
        const b = block[pos++]!;
        v += (b & 0x7f) * 2 ** m;
        m += 7;
        if ((b & 0x80) === 0) break;
        if (m > 28) throw new HpackError('integer overflow');
      }
      return v;
    };
    const readString = (): string => {
      if (pos >= block.length) throw new HpackError('truncated string');
      const huff = (block[pos]! & 0x80) !== 0;
      const len = readInt(7);
      if (pos + len > block.length) throw new HpackError('truncated string');
      const s = huff ? huffmanDecode(block, pos, pos + len) : Buffer.from(block.buffer, block.byteOffset + pos, len).toString('latin1');
      pos += len;
      return s;
    };
    while (pos < block.length) {
      const b = block[pos]!;
      let name: string;
      let value: string;
      if (b & 0x80) {
        const idx = readInt(7);
        [name, value] = this.lookup(idx);
      } else if ((b & 0xc0) === 0x40) {
        const idx = readInt(6);
        name = idx === 0 ? readString() : this.lookup(idx)[0];
        value = readString();
        this.insert(name, value);
      } else if ((b & 0xe0) === 0x20) {
        if (sawField) throw new HpackError('table size update after a field');
        const n = readInt(5);
        if (n > this.settingsLimit) throw new HpackError(`table size update ${n} above limit ${this.settingsLimit}`);
        this.maxSize = n;
        this.evict();
        continue;
      } else {
        const idx = readInt(4);
        name = idx === 0 ? readString() : this.lookup(idx)[0];
        value = readString();
      }
      sawField = true;
      decoded += name.length + value.length;
      if (decoded > MAX_DECODED_BYTES) throw new HpackError('header block too large');
      headers.push([name, value]);
    }
    return headers;
  }

  private lookup(idx: number): readonly [string, string] {
    if (idx === 0) throw new HpackError('index 0');
    if (idx <= STATIC_TABLE.length) return STATIC_TABLE[idx - 1]!;
    const e = this.dynamic[idx - STATIC_TABLE.length - 1];
    if (!e) throw new HpackError(`index ${idx} beyond dynamic table`);
    return e;
  }

  private insert(name: string, value: string): void {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    if (entrySize > this.maxSize) {
      // RFC 7541 §4.4: an entry larger than the table empties it and is not added.
      this.dynamic = [];
      this.size = 0;
      return;
    }
    this.dynamic.unshift([name, value]);
    this.size += entrySize;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.maxSize && this.dynamic.length > 0) {
      const [n, v] = this.dynamic.pop()!;
      this.size -= n.length + v.length + ENTRY_OVERHEAD;
    }
  }
}
