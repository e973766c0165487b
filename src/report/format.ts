/**
 * Text formatting shared by every report: numbers, money, durations, times (date-fns, local zone unless --utc) and
 * colour (only on a terminal, never with NO_COLOR). Pure functions of their inputs so tables are testable.
 */
import { format as formatDate } from 'date-fns';
import { UTCDate } from '@date-fns/utc';
import { constants as osConstants } from 'node:os';
import { formatCost } from '../present';

const NS_PER_MS = 1e6;

export function int(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return Math.round(n).toLocaleString('en-US');
}

/** Dollars, as every view prints them (formatCost, src/present/cost.ts). */
export function usd(n: number | null | undefined, unknownCalls = 0): string {
  return formatCost(n, unknownCalls);
}

/** 450ms, 3.2s, 4m05s, 1h02m03s. */
export function duration(ns: number | null | undefined): string {
  if (ns === null || ns === undefined || !Number.isFinite(ns) || ns < 0) return '-';
  const ms = ns / NS_PER_MS;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}h${pad(m)}m${pad(sec)}s` : `${m}m${pad(sec)}s`;
}

/** Bytes with a binary unit. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toFixed(1)}${units[i]}`;
}

const errnoNames = new Map<number, string>(
  Object.entries(osConstants.errno).map(([name, value]) => [value as number, name]),
);

/** -2 → "ENOENT"; 0 → "ok"; unknown numbers stay numeric. */
export function errnoName(ret: number): string {
  if (ret >= 0) return 'ok';
  return errnoNames.get(-ret) ?? `errno ${-ret}`;
}

/** One line of at most `max` characters: newlines and runs of blanks collapse to one space. */
export function oneLine(s: string | null | undefined, max: number): string {
  if (!s) return '';
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : flat.slice(0, Math.max(0, max - 1)) + '…';
}

/** Quote argv for display the way a shell user would type it. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Times in the local zone, or UTC with --utc. */
export class Clock {
  constructor(readonly utc: boolean) {}

  private date(ms: number): Date {
    return this.utc ? new UTCDate(ms) : new Date(ms);
  }

  /** 2026-11-24 05:28:43 */
  dateTime(ns: number | null): string {
    return ns === null ? '-' : formatDate(this.date(ns / NS_PER_MS), 'yyyy-MM-dd HH:mm:ss');
  }

  /** 05:28:43.123 */
  time(ns: number | null): string {
    return ns === null ? '-' : formatDate(this.date(ns / NS_PER_MS), 'HH:mm:ss.SSS');
  }

  /** 2026-11-24: the calendar day in the chosen zone, used for grouping by day. */
  day(ms: number): string {
    return formatDate(this.date(ms), 'yyyy-MM-dd');
  }

  /** ISO 8601 with the zone offset (Z with --utc), for JSON. */
  iso(ns: number | null): string | null {
    if (ns === null) return null;
    return formatDate(this.date(ns / NS_PER_MS), this.utc ? "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'" : "yyyy-MM-dd'T'HH:mm:ss.SSSxxx");
  }
}

export type Style = 'bold' | 'dim' | 'red' | 'yellow' | 'green' | 'cyan';

const SGR: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  yellow: [33, 39],
  green: [32, 39],
  cyan: [36, 39],
};

/** ANSI styling, or the identity when colour is off. */
export class Painter {
  constructor(readonly enabled: boolean) {}

  paint(style: Style, s: string): string {
    if (!this.enabled || s === '') return s;
    const [on, off] = SGR[style];
    return `\x1b[${on}m${s}\x1b[${off}m`;
  }
}

/** Colour only on a terminal, and never when NO_COLOR is set to anything non-empty (no-color.org). */
export function colorEnabled(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  return isTTY && env['TERM'] !== 'dumb';
}
