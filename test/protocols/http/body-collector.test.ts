import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BodyCollector } from '../../../src/protocols/http/body-collector';

describe('BodyCollector', () => {
  it('cuts bodies above the cap, counts what it dropped, and says so', () => {
    const b = new BodyCollector(null, null, 10);
    b.push(Buffer.from('0123456'), 1);
    b.push(Buffer.from('789abcdef'), 2);
    expect(Buffer.from(b.finish(3)!).toString()).toBe('0123456789');
    expect(b.droppedBytes).toBe(6);
    expect(b.error).toMatch(/larger than 10 bytes/);
  });

  it('keeps progress views valid after its storage grows', () => {
    const seen: Uint8Array[] = [];
    const b = new BodyCollector(null, (d) => seen.push(d));
    const src = Buffer.alloc(100_000);
    for (let i = 0; i < src.length; i++) src[i] = i % 251;
    for (let i = 0; i < src.length; i += 999) b.push(src.subarray(i, i + 999), i);
    const out = b.finish(0)!;
    expect(Buffer.from(out).equals(src)).toBe(true);
    expect(Buffer.concat(seen).equals(src)).toBe(true);
  });

  it('copies input, so a capture layer may reuse its buffer', () => {
    const b = new BodyCollector(null, null);
    const scratch = Buffer.from('abc');
    b.push(scratch, 1);
    scratch.fill(0x7a);
    expect(Buffer.from(b.finish(2)!).toString()).toBe('abc');
  });

  it('stops decoding a compressed body after a hole, without throwing', () => {
    const gz = gzipSync(Buffer.from('x'.repeat(10_000) + 'y'.repeat(10_000)));
    const b = new BodyCollector('gzip', null);
    b.push(gz.subarray(0, 10), 1);
    b.lose(5);
    b.push(gz.subarray(15), 2);
    b.finish(3);
    expect(b.error).toMatch(/lost 5/);
    expect(b.droppedBytes).toBeGreaterThan(5);
  });

  it('keeps an unsupported encoding as is and says why', () => {
    const b = new BodyCollector('compress', null);
    b.push(Buffer.from('raw'), 1);
    expect(Buffer.from(b.finish(2)!).toString()).toBe('raw');
    expect(b.error).toMatch(/unsupported content-encoding compress/);
    expect(b.droppedBytes).toBe(0);
  });
});
