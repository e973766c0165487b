/**
 * --since / --until: a calendar day in the report's zone (local unless --utc), inclusive, written YYYY-MM-DD or
 * YYYYMMDD. One syntax for `report --local` and the recording reports, so a range means the same days in both.
 */
import type { Clock } from '../present';
import { ReportError } from './errors';

export interface DayRange {
  readonly since: string | null;
  readonly until: string | null;
}

export function parseDay(v: string | undefined, flag: string): string | null {
  if (!v) return null;
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(v.trim());
  if (!m) throw new ReportError(`${flag} takes a date as YYYY-MM-DD (got "${v}")`);
  return `${m[1]}-${m[2]}-${m[3]}`;
}

export function parseDayRange(o: { since?: string; until?: string }): DayRange {
  const since = parseDay(o.since, '--since');
  const until = parseDay(o.until, '--until');
  if (since && until && since > until) throw new ReportError(`--since ${since} is after --until ${until}: no day is in that range`);
  return { since, until };
}

export function isUnbounded(r: DayRange): boolean {
  return r.since === null && r.until === null;
}

/** Whether a day (YYYY-MM-DD) is in the range. */
export function dayInRange(r: DayRange, day: string): boolean {
  return !((r.since && day < r.since) || (r.until && day > r.until));
}

/** Whether a span [startNs, endNs] touches a day of the range (an unknown end counts as the start). */
export function spanInRange(r: DayRange, clock: Clock, startNs: number | null, endNs: number | null): boolean {
  if (isUnbounded(r)) return true;
  if (startNs === null) return false;
  const first = clock.day(startNs / 1e6);
  const last = clock.day((endNs ?? startNs) / 1e6);
  return !((r.until && first > r.until) || (r.since && last < r.since));
}
