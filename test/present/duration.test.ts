/** Durations: one compact format for the TUI, --once, report and record's summary. */
import { describe, expect, it } from 'vitest';
import { formatDuration, formatDurationAscii } from '../../src/present';

describe('duration', () => {
  it('two significant parts at most, from microseconds to days', () => {
    expect(formatDuration(12_400)).toBe('12µs');
    expect(formatDuration(450e6)).toBe('450ms');
    expect(formatDuration(999.4e6)).toBe('999ms');
    expect(formatDuration(1.5e9)).toBe('1.50s');
    expect(formatDuration(3.24e9)).toBe('3.24s');
    expect(formatDuration(12.34e9)).toBe('12.3s');
    expect(formatDuration(65e9)).toBe('1m05s');
    expect(formatDuration(245e9)).toBe('4m05s');
    expect(formatDuration(3723e9)).toBe('1h02m');
    expect(formatDuration(97_200e9)).toBe('1d03h');
  });

  it('nothing is 0ms, an unknown duration is -', () => {
    expect(formatDuration(0)).toBe('0ms');
    expect(formatDuration(-1)).toBe('0ms');
    expect(formatDuration(NaN)).toBe('0ms');
    expect(formatDuration(null)).toBe('-');
    expect(formatDuration(undefined)).toBe('-');
  });

  it('has an ASCII form for --ascii', () => {
    expect(formatDurationAscii(12_400)).toBe('12us');
    expect(formatDurationAscii(null)).toBe('-');
  });
});
