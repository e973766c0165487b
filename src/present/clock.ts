/**
 * Times of day and dates from Unix nanoseconds, in the local zone or in UTC (--utc). Plain Date arithmetic, no
 * library, so the same functions run in Node and in the browser.
 */

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}

function partsOfMs(msSinceEpoch: number, utc: boolean): Parts {
  const dt = new Date(msSinceEpoch);
  return utc
    ? { y: dt.getUTCFullYear(), mo: dt.getUTCMonth() + 1, d: dt.getUTCDate(), h: dt.getUTCHours(), mi: dt.getUTCMinutes(), s: dt.getUTCSeconds(), ms: dt.getUTCMilliseconds() }
    : { y: dt.getFullYear(), mo: dt.getMonth() + 1, d: dt.getDate(), h: dt.getHours(), mi: dt.getMinutes(), s: dt.getSeconds(), ms: dt.getMilliseconds() };
}

const parts = (ns: number, utc: boolean) => partsOfMs(Math.floor(ns / 1e6), utc);
const p2 = (n: number) => String(n).padStart(2, '0');
const p3 = (n: number) => String(n).padStart(3, '0');
const ymd = (t: Parts) => `${String(t.y).padStart(4, '0')}-${p2(t.mo)}-${p2(t.d)}`;
const hms = (t: Parts) => `${p2(t.h)}:${p2(t.mi)}:${p2(t.s)}`;

/** The local zone's offset at that instant as `+HHMM` (`sep` between hours and minutes: `+HH:MM`). */
function offsetText(msSinceEpoch: number, sep = ''): string {
  const off = -new Date(msSinceEpoch).getTimezoneOffset();
  return `${off >= 0 ? '+' : '-'}${p2(Math.floor(Math.abs(off) / 60))}${sep}${p2(Math.abs(off) % 60)}`;
}

/** HH:MM:SS in local time (or UTC). */
export function formatClock(ns: number, utc = false): string {
  return hms(parts(ns, utc));
}

/** HH:MM:SS.mmm in local time (or UTC). */
export function formatClockMs(ns: number, utc = false): string {
  const t = parts(ns, utc);
  return `${hms(t)}.${p3(t.ms)}`;
}

/** YYYY-MM-DD HH:MM:SS, followed by the zone (`UTC` or the local offset, `-0500`) unless `withZone` is false. */
export function formatDateTime(ns: number, utc = false, withZone = true): string {
  const t = parts(ns, utc);
  if (!withZone) return `${ymd(t)} ${hms(t)}`;
  const ms = Math.floor(ns / 1e6);
  const zone = utc || new Date(ms).getTimezoneOffset() === 0 ? 'UTC' : offsetText(ms);
  return `${ymd(t)} ${hms(t)} ${zone}`;
}

/** YYYY-MM-DD: the calendar day of a Unix time in milliseconds, for grouping by day. */
export function formatDay(msSinceEpoch: number, utc = false): string {
  return ymd(partsOfMs(msSinceEpoch, utc));
}

/** YYYYMMDD-HHMMSS in local time: the stamp in a recording's default name (`agentsight-20261207-061530.db`). */
export function formatFileStamp(msSinceEpoch: number): string {
  const t = partsOfMs(msSinceEpoch, false);
  return `${String(t.y).padStart(4, '0')}${p2(t.mo)}${p2(t.d)}-${p2(t.h)}${p2(t.mi)}${p2(t.s)}`;
}

/** ISO 8601 with milliseconds and the zone (`Z` in UTC, `+01:00` local), for JSON. */
export function formatIso(ns: number, utc = false): string {
  const ms = Math.floor(ns / 1e6);
  const t = partsOfMs(ms, utc);
  return `${ymd(t)}T${hms(t)}.${p3(t.ms)}${utc ? 'Z' : offsetText(ms, ':')}`;
}

/** The times of one view, bound to its zone choice (local, or UTC with --utc); `-` for an unknown time. */
export class Clock {
  constructor(readonly utc: boolean) {}

  /** 2026-11-24 05:28:43 */
  dateTime(ns: number | null): string {
    return ns === null ? '-' : formatDateTime(ns, this.utc, false);
  }

  /** 05:28:43.123 */
  time(ns: number | null): string {
    return ns === null ? '-' : formatClockMs(ns, this.utc);
  }

  /** 2026-11-24: the calendar day in the chosen zone, used for grouping by day. */
  day(ms: number): string {
    return formatDay(ms, this.utc);
  }

  /** ISO 8601 with the zone offset (Z with --utc), for JSON. */
  iso(ns: number | null): string | null {
    return ns === null ? null : formatIso(ns, this.utc);
  }
}
