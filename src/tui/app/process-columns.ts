/**
 * The Processes pane's columns as data (as columns.ts is for Sessions): the header and every row read the same
 * widths, so a title always sits over its values. The tree is drawn in the COMMAND column, as htop does, so PID,
 * STATUS and TIME stay aligned at any depth.
 */
export interface ProcessColumn {
  title: string;
  /** Columns wide; 0 = the rest of the pane. */
  width: number;
  align: 'left' | 'right';
}

export const PROCESS_COLUMNS: readonly ProcessColumn[] = [
  { title: 'PID', width: 7, align: 'right' },
  // "killed SIGTERM (core)" is the longest status; a wider one is cut, never wrapped.
  { title: 'STATUS', width: 14, align: 'left' },
  { title: 'TIME', width: 7, align: 'right' },
  { title: 'COMMAND', width: 0, align: 'left' },
];

/** A value padded (or cut) to its column. */
export function processCell(col: ProcessColumn, text: string): string {
  if (col.width === 0) return text;
  const t = text.length > col.width ? text.slice(0, col.width) : text;
  return col.align === 'right' ? t.padStart(col.width) : t.padEnd(col.width);
}
