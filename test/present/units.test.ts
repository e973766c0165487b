/** Counts and sizes: compact for columns, exact for tables; unknown shown as unknown, never as zero. */
import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatInt } from '../../src/present';

describe('counts', () => {
  it('compact: three significant digits with k/M/G, trailing zeros dropped', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(950)).toBe('950');
    expect(formatCount(999.6)).toBe('1000');
    expect(formatCount(1000)).toBe('1k');
    expect(formatCount(1234)).toBe('1.23k');
    expect(formatCount(12_345)).toBe('12.3k');
    expect(formatCount(4_560_000)).toBe('4.56M');
    expect(formatCount(45_000_000)).toBe('45M');
    expect(formatCount(1.2e9)).toBe('1.2G');
    expect(formatCount(-1234)).toBe('-1.23k');
    expect(formatCount(NaN)).toBe('-');
  });

  it('exact: every digit, grouped by thousands', () => {
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatInt(0)).toBe('0');
    expect(formatInt(2.6)).toBe('3');
    expect(formatInt(null)).toBe('-');
    expect(formatInt(undefined)).toBe('-');
    expect(formatInt(Infinity)).toBe('-');
  });
});

describe('bytes', () => {
  it('binary units, one decimal below 10 of a unit, whole numbers above', () => {
    expect(formatBytes(0)).toBe('0B');
    expect(formatBytes(-5)).toBe('0B');
    expect(formatBytes(512)).toBe('512B');
    expect(formatBytes(1023)).toBe('1023B');
    expect(formatBytes(1024)).toBe('1KiB');
    expect(formatBytes(1536)).toBe('1.5KiB');
    expect(formatBytes(2048)).toBe('2KiB');
    expect(formatBytes(149_811)).toBe('146KiB');
    expect(formatBytes(12 * 1024 ** 2)).toBe('12MiB');
    expect(formatBytes(3.25 * 1024 ** 3)).toBe('3.3GiB');
    expect(formatBytes(2 * 1024 ** 5)).toBe('2048TiB');
    expect(formatBytes(null)).toBe('-');
  });
});
