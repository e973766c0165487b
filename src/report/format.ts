/**
 * The report's colour: ANSI styles only on a terminal, never with NO_COLOR. Figures (numbers, money, durations,
 * times) are formatted by src/present, like in every other view.
 */
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
