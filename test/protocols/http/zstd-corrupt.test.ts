// A corrupt zstd body must fail, never hang: fzstd 0.1.1 looped forever on a Huffman weight table whose FSE states
// read zero bits (found by the CI fuzz run, seed 217855001, input 37624 of the pipeline target). patch-package
// applies patches/fzstd+0.1.1.patch at install; this test keeps the patch honest. The decoder runs in a child
// process with a deadline, so a regression fails here instead of stalling the whole suite.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createContentDecoder } from '../../../src/protocols/http/content-decoder';

/** The 349-byte response body of that fuzz input (content-encoding: zstd). */
const HANG_BODY = Buffer.from(
  'KLUv/QRYhQoA1pZBIfH/EwYgPTPZf7mJ4H9HSSJ9WM0iCvYl/jxGCz7OzEyYATYANQA5AOmMXKsMA4Z2lt9Zrm1PX9nJnLbqd4Yam58OBMi9UVnZmI96erJuq0xA2KcjuUCF4nA+v6/mjb2q+HSApdjaqgMPhZ6DsUbhOPg9vRnZimbrqqe3YnPDjL8n2+e5IHO239NZ6IUb4t6Q09A+yRzLqFTM8CQ9YRgRniDuyZPG79yaDVoeTIZ/z4b6dCQXqFAYQ8UYKkW3aaWQQilSlIgSiDvrNo0BUURwQO4Me/spQhZtdBnzEUCiw0pGoXrjzqzBzqWkgYI7ay62lYYcbd446CkRPUo8YQQ4rQMOg2MZCxsAIB+p2wmBA6CjTQmjlGBOFUHN3XDoZatmZ8zVQ4hyWUetBogQtJOBP2QIV2SyqFqsgReJbMtiGLeo1Q7t7A55w2VhZhMPir8oqA==',
  'base64',
);

describe('zstd bodies that once hung the decoder', () => {
  it('fzstd rejects the corrupt Huffman table within a deadline', () => {
    const script = `
      const { Decompress } = require('fzstd');
      const body = Buffer.from(process.argv[1], 'base64');
      try { new Decompress(() => {}).push(new Uint8Array(body), true); console.log('decoded'); }
      catch (e) { console.log('error: ' + e.message); }`;
    const r = spawnSync(process.execPath, ['-e', script, HANG_BODY.toString('base64')], { encoding: 'utf8', timeout: 20_000, cwd: __dirname });
    expect(r.signal, 'fzstd did not return within 20 s: is patches/fzstd+0.1.1.patch applied (npm ci runs patch-package)?').toBeNull();
    expect(r.stdout.trim()).toBe('error: invalid zstd data');
  });

  it('the content decoder reports the body as corrupt', () => {
    const res = createContentDecoder('zstd');
    if (res.kind !== 'decoder') throw new Error(`no zstd decoder: ${res.kind}`);
    expect(() => {
      res.decoder.push(HANG_BODY);
      res.decoder.end();
    }).toThrow(/zstd/);
  });
});
