/** Counts and sizes: compact (`12.3k`, `3.4KiB`) for narrow columns, exact (`1,234,567`) for tables and totals. */

/** 950, 12.3k, 4.56M, 1.2G; `-` when not a number. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  if (a < 1e6) return `${(n / 1e3).toFixed(a < 1e4 ? 2 : 1).replace(/\.?0+$/, '')}k`;
  if (a < 1e9) return `${(n / 1e6).toFixed(a < 1e7 ? 2 : 1).replace(/\.?0+$/, '')}M`;
  return `${(n / 1e9).toFixed(1).replace(/\.0$/, '')}G`;
}

/** 1,234,567: every digit, grouped; `-` when unknown. */
export function formatInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return Math.round(n).toLocaleString('en-US');
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** 512B, 3.4KiB, 12MiB (one decimal below 10 of a unit); `0B` for nothing, `-` when not known (null). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (!(n > 0)) return '0B';
  if (n < 1024) return `${n}B`;
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v)}${BYTE_UNITS[i]}`;
}
