/** Pure formatting helpers: numbers, money, durations, errno names, zones, colour rules, table alignment. */
import { describe, expect, it } from 'vitest';
import { Clock, Painter, bytes, colorEnabled, duration, errnoName, int, oneLine, shellJoin, usd } from '../../src/report/format';
import { displayWidth, renderTable } from '../../src/report/table';
import { addUsage, emptyTotals, fromLlmUsage, mergeTotals } from '../../src/report/usage';

describe('format', () => {
  it('numbers, money and sizes, with unknown shown as unknown', () => {
    expect(int(1234567)).toBe('1,234,567');
    expect(int(null)).toBe('-');
    // One cost format in every view (docs/figures.md).
    expect(usd(null)).toBe('$?');
    expect(usd(0)).toBe('$0');
    expect(usd(0.0012246)).toBe('$0.0012');
    expect(usd(0.0012246, 2)).toBe('$0.0012+');
    expect(usd(null, 2)).toBe('$?');
    expect(usd(0.00042)).toBe('$0.0004');
    expect(usd(12.345)).toBe('$12.35');
    expect(bytes(512)).toBe('512B');
    expect(bytes(1536)).toBe('1.5KiB');
  });

  it('durations from nanoseconds', () => {
    expect(duration(450e6)).toBe('450ms');
    expect(duration(3.24e9)).toBe('3.2s');
    expect(duration(245e9)).toBe('4m05s');
    expect(duration(3723e9)).toBe('1h02m03s');
    expect(duration(null)).toBe('-');
    expect(duration(-1)).toBe('-');
  });

  it('errno names, one-line previews, shell quoting', () => {
    expect(errnoName(-2)).toBe('ENOENT');
    expect(errnoName(-13)).toBe('EACCES');
    expect(errnoName(0)).toBe('ok');
    expect(errnoName(-99999)).toBe('errno 99999');
    expect(oneLine('a\n  b\tc', 10)).toBe('a b c');
    expect(oneLine('abcdefghijkl', 5)).toBe('abcd…');
    expect(shellJoin(['bash', '-c', "echo 'hi' && ls"])).toBe(`bash -c 'echo '\\''hi'\\'' && ls'`);
  });

  it('UTC and local clocks agree on the instant', () => {
    const ns = Date.UTC(2026, 0, 2, 3, 4, 5, 678) * 1e6;
    expect(new Clock(true).dateTime(ns)).toBe('2026-01-02 03:04:05');
    expect(new Clock(true).iso(ns)).toBe('2026-01-02T03:04:05.678Z');
    expect(Date.parse(new Clock(false).iso(ns)!)).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    expect(new Clock(true).day(Date.UTC(2026, 0, 2, 23, 59))).toBe('2026-01-02');
  });

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
        { title: 'N', align: 'right', value: (r: { n: number }) => int(r.n), style: (r: { n: number }) => (r.n > 10 ? 'red' : null) },
      ],
      rows,
      new Painter(false),
      { k: 'TOTAL', n: 12350 },
    );
    expect(out).toBe(['KEY         N', 'ascii       5', '漢字   12,345', '─────  ──────', 'TOTAL  12,350', ''].join('\n'));
    expect(displayWidth('漢字')).toBe(4);
  });

  it('clips long cells and flattens newlines', () => {
    const out = renderTable([{ title: 'X', value: (r: string) => r, maxWidth: 6 }], ['line1\nline2 and more'], new Painter(false));
    expect(out).toBe('X\nline1…\n');
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
