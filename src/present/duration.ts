/**
 * Compact duration from nanoseconds: 12µs, 850ms, 2.30s, 12.3s, 1m05s, 2h03m, 3d04h — two significant parts at most,
 * so a column of durations stays narrow. Negative or NaN → `0ms`; null/undefined (not known) → `-`.
 */
export function formatDuration(ns: number | null | undefined): string {
  if (ns === null || ns === undefined) return '-';
  if (!(ns > 0)) return '0ms';
  const ms = ns / 1e6;
  if (ms < 1) return `${Math.round(ns / 1e3)}µs`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(2)}s`;
  if (s < 60) return `${s.toFixed(1)}s`;
  const totalS = Math.floor(s);
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m${p2(totalS % 60)}s`;
  if (totalS < 86400) return `${Math.floor(totalS / 3600)}h${p2(Math.floor((totalS % 3600) / 60))}m`;
  return `${Math.floor(totalS / 86400)}d${p2(Math.floor((totalS % 86400) / 3600))}h`;
}

/** Same as formatDuration but ASCII only (µs → us). */
export function formatDurationAscii(ns: number | null | undefined): string {
  return formatDuration(ns).replace('µ', 'u');
}

const p2 = (n: number) => String(n).padStart(2, '0');
