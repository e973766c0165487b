/** Pure parts of the file layer: path folding, open intents, the store op of a record. */
import { describe, expect, it } from 'vitest';
import { absolutePath, normalise } from '../../../src/collector/files/absolute-path';
import { FMODE_CREATED, openIntent, storeOp } from '../../../src/collector/files/file-ops';
import { FOP } from '../../../src/collector/files/file-events';

describe('absolutePath', () => {
  it('joins relative paths to their base and folds . and ..', () => {
    expect(absolutePath('/home/u/repo', 'src/../lib/./a.ts')).toBe('/home/u/repo/lib/a.ts');
    expect(absolutePath('/home/u/repo/a', '../x')).toBe('/home/u/repo/x');
    expect(absolutePath('/', '../../etc/passwd')).toBe('/etc/passwd');
    expect(absolutePath('/ignored', '/abs//p/../q')).toBe('/abs/q');
    expect(absolutePath('/d', '')).toBe('/d');
  });
  it('keeps a relative path whose directory is unknown as given', () => {
    expect(absolutePath(null, 'x/../y')).toBe('x/../y');
  });
  it('returns paths that are already normal unchanged, and folds every other one like the full walk', () => {
    const slow = (p: string) => '/' + p.split('/').filter((s) => s !== '' && s !== '.').reduce<string[]>((o, s) => (s === '..' ? o.slice(0, -1) : [...o, s]), []).join('/');
    const segs = ['a', '.', '..', '', '.hidden', '..b', 'b..', '...', 'x.y'];
    let n = 0;
    for (const a of segs) for (const b of segs) for (const c of segs) {
      for (const p of [`/${a}/${b}/${c}`, `/${a}/${b}/${c}/`, `/${a}${b}/${c}`]) {
        expect(normalise(p), p).toBe(slow(p));
        n++;
      }
    }
    expect(n).toBe(3 * segs.length ** 3);
    expect(normalise('/')).toBe('/');
    const plain = '/home/u/repo/node_modules/.bin/tsc';
    expect(normalise(plain)).toBe(plain);
  });
  it('handles long paths whole', () => {
    const deep = '/' + Array.from({ length: 700 }, (_, i) => `dir${i}`).join('/');
    expect(deep.length).toBeGreaterThan(4096);
    expect(absolutePath(deep, 'f')).toBe(`${deep}/f`);
    expect(normalise(`${deep}/..`)).toBe(deep.slice(0, deep.lastIndexOf('/')));
  });
});

describe('open intents and ops', () => {
  const O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_TRUNC = 0o1000, O_APPEND = 0o2000, O_DIRECTORY = 0o200000;
  it('names every intent of an open', () => {
    expect(openIntent(0)).toEqual(['read']);
    expect(openIntent(O_WRONLY | O_CREAT | O_TRUNC)).toEqual(['write', 'create', 'truncate']);
    expect(openIntent(O_RDWR | O_APPEND)).toEqual(['read', 'write', 'append']);
    expect(openIntent(O_DIRECTORY)).toEqual(['read', 'directory']);
    expect(openIntent(O_TRUNC)).toEqual(['read']); // O_TRUNC with O_RDONLY is unspecified and ignored by Linux
  });
  it('maps opens to create / truncate / open', () => {
    expect(storeOp(FOP.OPEN, O_WRONLY | O_CREAT, FMODE_CREATED, 3)).toBe('create');
    expect(storeOp(FOP.OPEN, O_WRONLY | O_CREAT | O_TRUNC, 0, 3)).toBe('truncate');
    expect(storeOp(FOP.OPEN, O_WRONLY | O_TRUNC, 0, 3, false)).toBe('open'); // > /dev/null
    expect(storeOp(FOP.OPEN, O_WRONLY | O_CREAT, FMODE_CREATED, -13)).toBe('open');
    expect(storeOp(FOP.RENAME, 0, 0, 0)).toBe('rename');
  });
});

describe('record decoding helpers', () => {
  it('decodes ASCII paths directly and other bytes as UTF-8 or byte-exact latin1', async () => {
    const { pathText } = await import('../../../src/collector/files/file-events');
    expect(pathText(Buffer.from('/tmp/a b'))).toBe('/tmp/a b');
    expect(pathText(Buffer.from('/tmp/é✓'))).toBe('/tmp/é✓');
    expect(pathText(Uint8Array.from([0x2f, 0xff, 0x61]))).toBe('/\u00ffa');
  });
  it('folds kernel pointers to distinct 53-bit ids', async () => {
    const { fileIdAt } = await import('../../../src/collector/files/file-events');
    const v = new DataView(new ArrayBuffer(16));
    v.setBigUint64(0, 0xffff888012345678n, true);
    v.setBigUint64(8, 0xffff888112345678n, true);
    const a = fileIdAt(v, 0);
    const b = fileIdAt(v, 8);
    expect(Number.isSafeInteger(a) && Number.isSafeInteger(b)).toBe(true);
    expect(a).not.toBe(b);
    expect(b - a).toBe(2 ** 32);
  });
});
