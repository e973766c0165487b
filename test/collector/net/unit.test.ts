/** Pure parts of the network layer: DNS answers, address text, host naming precedence. */
import { describe, expect, it } from 'vitest';
import { parseDnsAnswers } from '../../../src/collector/net/dns';
import { HostNames } from '../../../src/collector/net/host-names';
import { ipv6 } from '../../../src/collector/net/net-events';

function answer(name: string, records: Array<{ type: number; data: number[] | string }>): Uint8Array {
  const qname = [...name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
  const out = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, records.length, 0, 0, 0, 0, ...qname, 0, 1, 0, 1];
  for (const r of records) {
    const data = typeof r.data === 'string' ? [...r.data.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0] : r.data;
    out.push(0xc0, 0x0c, 0, r.type, 0, 1, 0, 0, 0, 60, data.length >> 8, data.length & 0xff, ...data);
  }
  return Uint8Array.from(out);
}

describe('DNS answers', () => {
  it('names A and AAAA records by the question, through CNAMEs', () => {
    const buf = answer('API.Anthropic.com', [
      { type: 5, data: 'edge.example.net' },
      { type: 1, data: [160, 79, 104, 10] },
      { type: 28, data: [0x26, 0x07, 0x68, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] },
    ]);
    expect(parseDnsAnswers(buf)).toEqual([
      { name: 'api.anthropic.com', addr: '160.79.104.10' },
      { name: 'api.anthropic.com', addr: '2607:6800::1' },
    ]);
  });
  it('ignores queries, and survives truncated or looping input', () => {
    const buf = answer('a.b', [{ type: 1, data: [1, 2, 3, 4] }]);
    const query = Uint8Array.from(buf);
    query[2] = 0x01;
    expect(parseDnsAnswers(query)).toEqual([]);
    for (let n = 0; n < buf.length; n++) expect(() => parseDnsAnswers(buf.subarray(0, n))).not.toThrow();
    const loop = Uint8Array.from([0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12]);
    expect(parseDnsAnswers(loop)).toEqual([]);
  });
});

describe('address text and naming', () => {
  it('formats IPv6 as RFC 5952', () => {
    expect(ipv6(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))).toBe('::1');
    expect(ipv6(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]))).toBe('::ffff:127.0.0.1');
    expect(ipv6(Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]))).toBe('2001:db8:0:1::1');
  });
  it('lets SNI outrank DNS and DNS outrank /etc/hosts, never the reverse', () => {
    const h = new HostNames();
    h.set('127.0.0.1', 'localhost', 'hosts');
    expect(h.set('127.0.0.1', 'api.test', 'dns')).toBe(true);
    expect(h.set('127.0.0.1', 'sni.test', 'sni')).toBe(true);
    expect(h.set('127.0.0.1', 'other.test', 'dns')).toBe(false);
    expect(h.get('::ffff:127.0.0.1')).toEqual({ name: 'sni.test', source: 'sni' });
  });
});
