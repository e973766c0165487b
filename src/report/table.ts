/**
 * Aligned plain-text tables: columns declared as data, widths from the content, two spaces between columns,
 * numbers right-aligned. Styling is applied after padding so escape codes never disturb the alignment.
 */
import type { Painter, Style } from './format';

export interface Column<R> {
  readonly title: string;
  readonly align?: 'left' | 'right';
  readonly value: (row: R) => string;
  /** Optional style per cell (e.g. red for failures). */
  readonly style?: (row: R) => Style | null;
  /** Cut longer cells to this many characters. */
  readonly maxWidth?: number;
}

/** Display width: counts code points, and East Asian wide characters as two columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    w += isWide(cp) ? 2 : 1;
  }
  return w;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function clip(s: string, max: number | undefined): string {
  if (max === undefined || displayWidth(s) <= max) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = isWide(ch.codePointAt(0) ?? 0) ? 2 : 1;
    if (w + cw > max - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

export function renderTable<R>(columns: readonly Column<R>[], rows: readonly R[], painter: Painter, footer?: R): string {
  const all = footer ? [...rows, footer] : [...rows];
  const cells = all.map((r) => columns.map((c) => clip(c.value(r).replace(/[\r\n\t]+/g, ' '), c.maxWidth)));
  const widths = columns.map((c, i) => Math.max(displayWidth(c.title), ...cells.map((row) => displayWidth(row[i]))));
  const pad = (s: string, i: number) => {
    const gap = ' '.repeat(widths[i] - displayWidth(s));
    return columns[i].align === 'right' ? gap + s : s + gap;
  };
  const lines: string[] = [];
  lines.push(painter.paint('bold', columns.map((c, i) => pad(c.title, i)).join('  ').trimEnd()));
  const renderRow = (r: R, row: string[]) =>
    columns
      .map((c, i) => {
        const padded = pad(row[i], i);
        const st = c.style?.(r) ?? null;
        return st ? painter.paint(st, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  rows.forEach((r, k) => lines.push(renderRow(r, cells[k])));
  if (footer) {
    lines.push(widths.map((w) => '─'.repeat(w)).join('  '));
    lines.push(painter.paint('bold', renderRow(footer, cells[cells.length - 1])));
  }
  return lines.join('\n') + '\n';
}
