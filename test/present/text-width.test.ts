// strWidth/truncate/truncateLeft take a shortcut for strings of one-column characters; the shortcut must agree
// with the per-code-point walk (charWidth) everywhere, including strings that mix in wide and zero-width characters.
import { describe, expect, it } from 'vitest';
import { charWidth, clean, oneLine, padEnd, padStart, strWidth, truncate, truncateLeft } from '../../src/present';

const walkWidth = (s: string) => [...s].reduce((w, ch) => w + charWidth(ch.codePointAt(0)!), 0);

function walkTruncate(s: string, width: number, ell: string): string {
  if (walkWidth(s) <= width) return s;
  const ew = walkWidth(ell);
  if (width <= ew) return ell.slice(0, width);
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width - ew) break;
    out += ch;
    w += cw;
  }
  return out + ell;
}

function walkTruncateLeft(s: string, width: number, ell: string): string {
  if (walkWidth(s) <= width) return s;
  const ew = walkWidth(ell);
  if (width <= ew) return ell.slice(0, width);
  const chars = [...s];
  let out = '';
  let w = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const cw = charWidth(chars[i].codePointAt(0)!);
    if (w + cw > width - ew) break;
    out = chars[i] + out;
    w += cw;
  }
  return ell + out;
}

describe('text widths', () => {
  it('agrees with charWidth for every BMP character', () => {
    for (let cp = 0x20; cp <= 0xffff; cp++) {
      if ((cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp <= 0xdfff)) continue;
      const ch = String.fromCodePoint(cp);
      if (strWidth(ch) !== charWidth(cp)) throw new Error(`U+${cp.toString(16)}: strWidth ${strWidth(ch)} vs charWidth ${charWidth(cp)}`);
    }
  });

  it('truncates like the per-character walk, from either end', () => {
    const pieces = ['a', 'Z', ' ', '├─ ', '│', '→', '…', 'é', '×', '中', '文', '✅', '\u0301', '👍🏽', 'ǅ', '═', '·'];
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const len = rnd(30);
      for (let k = 0; k < len; k++) s += pieces[rnd(i % 3 === 0 ? 9 : pieces.length)];
      expect(strWidth(s)).toBe(walkWidth(s));
      for (const ell of ['…', '...']) {
        const w = rnd(35);
        expect(truncate(s, w, ell)).toBe(walkTruncate(s, w, ell));
        expect(truncateLeft(s, w, ell)).toBe(walkTruncateLeft(s, w, ell));
      }
    }
  });

  it('clean leaves text without control characters as it is and escapes the rest', () => {
    expect(clean('├─ 4001 café → x')).toBe('├─ 4001 café → x');
    expect(clean('a\tb\nc\x1b[31m\x85')).toBe('a b c\\x1b[31m\\x85');
  });

  it('oneLine flattens blanks and cuts to columns, wide characters counted as two', () => {
    expect(oneLine('a\n  b\tc', 10)).toBe('a b c');
    expect(oneLine('abcdefghijkl', 5)).toBe('abcd…');
    expect(oneLine('漢字漢字漢字', 5)).toBe('漢字…');
    expect(oneLine(null, 5)).toBe('');
  });

  it('pads to exact columns', () => {
    expect(padEnd('漢字', 6)).toBe('漢字  ');
    expect(padStart('ab', 4)).toBe('  ab');
    expect(padEnd('abcdef', 4)).toBe('abc…');
  });
});
