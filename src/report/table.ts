/**
 * Aligned plain-text tables: columns declared as data, widths from the content (terminal columns, counted by
 * src/present like in the TUI), two spaces between columns, numbers right-aligned. Styling is applied after padding
 * so escape codes never disturb the alignment.
 */
import { strWidth, truncate } from '../present';
import type { Painter, Style } from './format';

export interface Column<R> {
  readonly title: string;
  readonly align?: 'left' | 'right';
  readonly value: (row: R) => string;
  /** Optional style per cell (e.g. red for failures). */
  readonly style?: (row: R) => Style | null;
  /** Cut longer cells to this many columns. */
  readonly maxWidth?: number;
}

function clip(s: string, max: number | undefined): string {
  return max === undefined ? s : truncate(s, max);
}

export function renderTable<R>(columns: readonly Column<R>[], rows: readonly R[], painter: Painter, footer?: R): string {
  const all = footer ? [...rows, footer] : [...rows];
  const cells = all.map((r) => columns.map((c) => clip(c.value(r).replace(/[\r\n\t]+/g, ' '), c.maxWidth)));
  // A loop, not Math.max(...cells): spreading a million rows into arguments overflows the stack (report audit on 1M events).
  const widths = columns.map((c, i) => cells.reduce((w, row) => Math.max(w, strWidth(row[i])), strWidth(c.title)));
  const pad = (s: string, i: number) => {
    const gap = ' '.repeat(widths[i] - strWidth(s));
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
