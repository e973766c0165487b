/**
 * ISO 8601 weeks in UTC: the monitor's file of a moment (`monitor-2026-W49.db`), the moment the next one begins, and
 * the weeks a date range covers. UTC, not the local zone: a week's file must not change name with the machine's
 * zone or daylight saving, and every user of the machine reads the same boundaries.
 */

export interface IsoWeek {
  /** The ISO week-numbering year (differs from the calendar year around New Year). */
  readonly year: number;
  readonly week: number;
}

const DAY_MS = 86_400_000;

/** The ISO week holding `ms` (Unix milliseconds). */
export function isoWeekOf(ms: number): IsoWeek {
  const d = new Date(Math.floor(ms / DAY_MS) * DAY_MS);
  const dow = d.getUTCDay() || 7; // Monday 1 … Sunday 7
  // The Thursday of this week decides its year (ISO 8601: week 1 holds the year's first Thursday).
  const thursday = new Date(d.getTime() + (4 - dow) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1);
  return { year, week: Math.floor((thursday.getTime() - jan1) / DAY_MS / 7) + 1 };
}

/** Monday 00:00 UTC of the week holding `ms`. */
export function weekStartMs(ms: number): number {
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  const dow = new Date(day).getUTCDay() || 7;
  return day - (dow - 1) * DAY_MS;
}

/** Monday 00:00 UTC of the week after the one holding `ms`: when the monitor moves to its next file. */
export function nextWeekStartMs(ms: number): number {
  return weekStartMs(ms) + 7 * DAY_MS;
}

/** `2026-W49` */
export function weekLabel(w: IsoWeek): string {
  return `${w.year}-W${String(w.week).padStart(2, '0')}`;
}

/** Every week from the one holding `fromMs` to the one holding `toMs`, oldest first (empty when from > to). */
export function weeksBetween(fromMs: number, toMs: number): IsoWeek[] {
  const out: IsoWeek[] = [];
  for (let t = weekStartMs(fromMs); t <= toMs; t += 7 * DAY_MS) out.push(isoWeekOf(t));
  return out;
}
