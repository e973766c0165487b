/**
 * Parsing of `--at TIME` and of the time typed into the scrubber's "go to" prompt:
 *   HH:MM[:SS[.mmm]]   clock time on the recording's day (local time, or UTC with --utc)
 *   ISO 8601           2026-11-24T05:30:00Z, 2026-11-24 05:30:00
 *   +30s, +1m30s       relative to the start of the recording
 *   -10s, -2m          relative to its end
 *   start | end | now
 */

export class TimeSpecError extends Error {
  constructor(readonly spec: string, why: string) {
    super(`invalid time "${spec}": ${why} (use HH:MM:SS, an ISO date, +30s from the start or -10s from the end)`);
    this.name = 'TimeSpecError';
  }
}

const UNIT_NS: Record<string, number> = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9 };

/** '1m30s' / '45s' / '1.5s' / '500ms' / '90' (seconds) → ns, or null when malformed. */
export function parseDurationNs(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1e9;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * UNIT_NS[m[2]];
    matched = re.lastIndex;
  }
  return matched === t.length ? total : null;
}

/** Resolve a time spec against a recording spanning [startNs, endNs]. The result is clamped to that range. */
export function parseTimeSpec(spec: string, startNs: number, endNs: number, utc = false): number {
  return resolveTimeSpec(spec, startNs, endNs, utc).ns;
}

/** The moment a spec names, clamped to the recording, and whether it had to be (so the view can say so). */
export function resolveTimeSpec(spec: string, startNs: number, endNs: number, utc = false): { ns: number; clamped: 'before' | 'after' | null } {
  let clamped: 'before' | 'after' | null = null;
  const clamp = (v: number) => {
    clamped = v < startNs ? 'before' : v > endNs ? 'after' : null;
    return Math.min(endNs, Math.max(startNs, v));
  };
  const ns = timeOf(spec, startNs, endNs, utc, clamp);
  return { ns, clamped };
}

/** What a clamped --at or "go to" showed instead: one line for the user, or null when nothing was clamped. */
export function clampNote(spec: string, clamped: 'before' | 'after' | null, short = false): string | null {
  if (clamped === null) return null;
  // The TUI's header has room for a few words; the clock beside it shows the moment shown.
  if (short) return `${spec.trim()}: ${clamped === 'after' ? 'after the end' : 'before the start'}`;
  return `${spec.trim()} is ${clamped === 'after' ? 'after the end' : 'before the start'} of the recording: showing its ${clamped === 'after' ? 'end' : 'start'}`;
}

function timeOf(spec: string, startNs: number, endNs: number, utc: boolean, clamp: (v: number) => number): number {
  const s = spec.trim();
  if (s === '') throw new TimeSpecError(spec, 'empty');
  if (s === 'start') return startNs;
  if (s === 'end' || s === 'now') return endNs;
  if (s[0] === '+' || s[0] === '-') {
    const d = parseDurationNs(s.slice(1));
    if (d === null) throw new TimeSpecError(spec, 'bad duration');
    return clamp(s[0] === '+' ? startNs + d : endNs - d);
  }
  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(s);
  if (clock) {
    const [h, mi, sec, ms] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0), Number((clock[4] ?? '0').padEnd(3, '0'))];
    if (h > 23 || mi > 59 || sec > 59) throw new TimeSpecError(spec, 'no such clock time');
    const day = new Date(Math.floor(startNs / 1e6));
    if (utc) day.setUTCHours(h, mi, sec, ms);
    else day.setHours(h, mi, sec, ms);
    let ns = day.getTime() * 1e6;
    // A recording that runs past midnight: a clock time earlier than the start means the next day.
    if (ns < startNs - 1e9 && ns + 86400e9 <= endNs + 1e9) ns += 86400e9;
    return clamp(ns);
  }
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(s)) {
    const ms = Date.parse(s.replace(' ', 'T') + (utc && !/(Z|[+-]\d{2}:?\d{2})$/.test(s) ? 'Z' : ''));
    if (Number.isNaN(ms)) throw new TimeSpecError(spec, 'bad date');
    return clamp(ms * 1e6);
  }
  throw new TimeSpecError(spec, 'not a time');
}
