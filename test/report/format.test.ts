/** The report's own presentation: colour rules, table alignment, usage sums (figures: test/present). */
import { describe, expect, it } from 'vitest';
import { formatInt, strWidth } from '../../src/present';
import { Painter, colorEnabled } from '../../src/report/format';
import { renderTable } from '../../src/report/table';
import { addUsage, emptyTotals, fromLlmUsage, mergeTotals } from '../../src/report/usage';

describe('colour', () => {
  it('colour: a terminal without NO_COLOR; NO_COLOR (non-empty) always wins', () => {
    expect(colorEnabled({}, true)).toBe(true);
    expect(colorEnabled({}, false)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '' }, true)).toBe(true);
    expect(colorEnabled({ TERM: 'dumb' }, true)).toBe(false);
    expect(colorEnabled({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(new Painter(false).paint('red', 'x')).toBe('x');
    expect(new Painter(true).paint('red', 'x')).toBe('\x1b[31mx\x1b[39m');
  });
});

describe('table', () => {
  it('aligns columns by display width, numbers to the right, with a footer', () => {
    const rows = [{ k: 'ascii', n: 5 }, { k: '漢字', n: 12345 }];
    const out = renderTable(
      [
        { title: 'KEY', value: (r: { k: string }) => r.k },
        { title: 'N', align: 'right', value: (r: { n: number }) => formatInt(r.n), style: (r: { n: number }) => (r.n > 10 ? 'red' : null) },
      ],
      rows,
      new Painter(false),
      { k: 'TOTAL', n: 12350 },
    );
    expect(out).toBe(['KEY         N', 'ascii       5', '漢字   12,345', '─────  ──────', 'TOTAL  12,350', ''].join('\n'));
    expect(strWidth('漢字')).toBe(4);
  });

  it('clips long cells and flattens newlines', () => {
    const out = renderTable([{ title: 'X', value: (r: string) => r, maxWidth: 6 }], ['line1\nline2 and more'], new Painter(false));
    expect(out).toBe('X\nline1…\n');
  });

  it('sizes a column of 300,000 rows (report audit of a 1M-event recording) without overflowing the stack', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => String(i));
    const out = renderTable([{ title: 'N', align: 'right', value: (r: string) => r }], rows, new Painter(false));
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(300_001);
    expect(lines[1]).toBe('     0');
    expect(lines[300_000]).toBe('299999');
  });
});

describe('usage sums', () => {
  it('splits the cached part out of input and keeps unknown costs apart', () => {
    expect(fromLlmUsage({ inputTokens: 100, outputTokens: 20, cacheReadTokens: 60, cacheWriteTokens: 30, reasoningTokens: 5 })).toEqual({ input: 10, output: 20, cacheRead: 60, cacheWrite: 30, reasoning: 5 });
    expect(fromLlmUsage({ inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null })).toEqual({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
    const t = emptyTotals();
    addUsage(t, { input: 10, output: 20, cacheRead: 60, cacheWrite: 30, reasoning: 5 }, null);
    expect(t).toMatchObject({ calls: 1, total: 120, costUsd: null, unknownCostCalls: 1 });
    addUsage(t, { input: 1 }, 0.5);
    const u = emptyTotals();
    mergeTotals(u, t);
    expect(u).toMatchObject({ calls: 2, total: 121, costUsd: 0.5, unknownCostCalls: 1 });
  });
});
