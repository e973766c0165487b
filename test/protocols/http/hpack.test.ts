import { describe, expect, it } from 'vitest';
import { HpackDecoder, HpackError, huffmanDecode, huffmanEncode } from '../../../src/protocols/http/hpack-decoder';
import { HUFFMAN } from '../../../src/protocols/http/hpack-tables';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('HPACK', () => {
  it('derives the RFC 7541 Appendix B Huffman codes from code lengths', () => {
    // Spot values printed in the RFC: '0' 0x0/5, 'a' 0x3/5, ' ' 0x14/6, 0 0x1ff8/13, 255 0x3ffffee/26, EOS 0x3fffffff/30.
    expect([HUFFMAN.codes[48], HUFFMAN.lengths[48]]).toEqual([0x0, 5]);
    expect([HUFFMAN.codes[97], HUFFMAN.lengths[97]]).toEqual([0x3, 5]);
    expect([HUFFMAN.codes[32], HUFFMAN.lengths[32]]).toEqual([0x14, 6]);
    expect([HUFFMAN.codes[0], HUFFMAN.lengths[0]]).toEqual([0x1ff8, 13]);
    expect([HUFFMAN.codes[255], HUFFMAN.lengths[255]]).toEqual([0x3ffffee, 26]);
    expect([HUFFMAN.codes[256], HUFFMAN.lengths[256]]).toEqual([0x3fffffff, 30]);
  });

  it('round-trips every byte value through Huffman', () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    const enc = huffmanEncode(all);
    expect(huffmanDecode(enc, 0, enc.length)).toBe(all);
    expect(Buffer.from(huffmanEncode('www.example.com')).toString('hex')).toBe('f1e3c2e5f23a6ba0ab90f4ff');
  });

  it('decodes the RFC 7541 C.4 request sequence and keeps the dynamic table', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    expect(d.tableSize).toBe(57);
    expect(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
    expect(d.tableSize).toBe(110);
    expect(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
    expect(d.tableSize).toBe(164);
  });

  it('applies a dynamic table size update and evicts', () => {
    const d = new HpackDecoder();
    d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'));
    expect(d.tableSize).toBe(57);
    // 0x20 = size update to 0: empties the table; then index 62 no longer exists.
    expect(d.decode(hex('20 82'))).toEqual([[':method', 'GET']]);
    expect(d.tableSize).toBe(0);
    expect(() => d.decode(hex('be'))).toThrow(HpackError);
  });

  it('rejects a size update above SETTINGS_HEADER_TABLE_SIZE', () => {
    const d = new HpackDecoder();
    d.setSettingsLimit(100);
    expect(() => d.decode(hex('3f e1 1f'))).toThrow(/above limit/); // 4096
    expect(d.decode(hex('3f 45 82'))).toEqual([[':method', 'GET']]); // 31+69 = 100
    expect(d.tableMaxSize).toBe(100);
  });

  it('throws HpackError (never anything else) on truncated input', () => {
    const full = hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf');
    for (let i = 1; i < full.length; i++) {
      const d = new HpackDecoder();
      try {
        d.decode(full.subarray(0, i));
      } catch (e) {
        expect(e).toBeInstanceOf(HpackError);
      }
    }
  });
});
