/** Times of day and dates in the local zone or UTC, without a date library (the web UI bundles the same code). */
import { afterEach, describe, expect, it } from 'vitest';
import { Clock, formatClock, formatClockMs, formatDateTime, formatDay, formatFileStamp, formatIso } from '../../src/present';

const MS = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const NS = MS * 1e6;
const savedTz = process.env['TZ'];

/** Node re-reads TZ when it is assigned, so a test can pin the local zone. */
function inZone(tz: string): void {
  process.env['TZ'] = tz;
}

afterEach(() => {
  if (savedTz === undefined) delete process.env['TZ'];
  else process.env['TZ'] = savedTz;
});

describe('clock', () => {
  it('UTC', () => {
    expect(formatClock(NS, true)).toBe('03:04:05');
    expect(formatClockMs(NS, true)).toBe('03:04:05.678');
    expect(formatDateTime(NS, true)).toBe('2026-01-02 03:04:05 UTC');
    expect(formatDateTime(NS, true, false)).toBe('2026-01-02 03:04:05');
    expect(formatIso(NS, true)).toBe('2026-01-02T03:04:05.678Z');
    expect(formatDay(Date.UTC(2026, 0, 2, 23, 59), true)).toBe('2026-01-02');
  });

  it("a recording's default name stamp: local time, zero-padded, no separators but one", () => {
    inZone('UTC');
    expect(formatFileStamp(MS)).toBe('20260102-030405');
    inZone('America/New_York');
    expect(formatFileStamp(MS)).toBe('20260101-220405');
    expect(formatFileStamp(Date.UTC(2026, 6, 4, 14, 0, 9))).toBe('20260704-100009'); // summer time
  });

  it('local zone, with its offset at that instant', () => {
    inZone('America/New_York');
    expect(formatClock(NS)).toBe('22:04:05');
    expect(formatDateTime(NS)).toBe('2026-01-01 22:04:05 -0500');
    expect(formatIso(NS)).toBe('2026-01-01T22:04:05.678-05:00');
    expect(formatDay(Date.UTC(2026, 0, 2, 3, 0))).toBe('2026-01-01');
    // Summer time: the offset is the one of the instant, not of today.
    expect(formatDateTime(Date.UTC(2026, 6, 1, 12, 0, 0) * 1e6)).toBe('2026-07-01 08:00:00 -0400');
    inZone('Asia/Kolkata');
    expect(formatIso(NS)).toBe('2026-01-02T08:34:05.678+05:30');
    expect(Date.parse(formatIso(NS))).toBe(MS);
    inZone('UTC');
    expect(formatDateTime(NS)).toBe('2026-01-02 03:04:05 UTC');
    expect(formatIso(NS)).toBe('2026-01-02T03:04:05.678+00:00');
  });

  it('a Clock binds the zone choice and prints unknown times as -', () => {
    const c = new Clock(true);
    expect(c.dateTime(NS)).toBe('2026-01-02 03:04:05');
    expect(c.time(NS)).toBe('03:04:05.678');
    expect(c.iso(NS)).toBe('2026-01-02T03:04:05.678Z');
    expect(c.day(Date.UTC(2026, 0, 2, 23, 59))).toBe('2026-01-02');
    expect(c.dateTime(null)).toBe('-');
    expect(c.time(null)).toBe('-');
    expect(c.iso(null)).toBeNull();
    expect(Date.parse(new Clock(false).iso(NS)!)).toBe(MS);
  });
});
