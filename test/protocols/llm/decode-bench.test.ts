import { describe, expect, it } from 'vitest';
import { runDecodeBench } from '../../../src/bench/decode-bench';

describe('decode bench', () => {
  it('runs every case and decodes what it measures (no speed assertion: figures come from npm run bench)', async () => {
    const r = await runDecodeBench();
    expect(r.map((x) => x.name)).toEqual(['decode.sse-parser', 'decode.llm-sse-http1', 'decode.llm-sse-http1-gzip', 'decode.h2-100-streams', 'decode.llm-h2-100-streams']);
    for (const x of r) {
      expect(x.unit).toBe('MB/s');
      expect(Number.isFinite(x.value) && x.value > 0).toBe(true);
    }
  });
});
