/**
 * The one place blessed is configured. blessed 0.1.81 is unmaintained; its workarounds live here:
 * - its terminfo parser fails on ncurses 6.4's extended entries (tmux-256color, screen-256color fall back to 8
 *   colours or paint a "Terminfo parse error" box), so 256-colour terminals are driven as xterm-256color and
 *   warnings are off;
 * - fullUnicode for CJK; forceUnicode only when asked, since passing false turns Unicode off even on UTF-8;
 * - emoji width is handled in styled-line (stand-ins) since blessed counts them as one column;
 * - the terminal is restored on every exit path: quit, signals, uncaught errors, process exit.
 */
import type { Widgets } from 'blessed';
import { RowPainter } from './row-painter';

export interface ScreenOptions {
  /** Force Unicode output on a non-UTF-8 locale (AGENTSIGHT_FORCE_UNICODE=1). */
  forceUnicode?: boolean;
  title?: string;
}

export interface AppScreen {
  screen: Widgets.Screen;
  /** Puts a frame (blessed-tagged rows, one per screen row) on the terminal: only the rows that changed cost. */
  paint(tagged: readonly string[]): void;
  /** Leave the alternate screen and restore the terminal; safe to call more than once. */
  restore(): void;
}

/** The terminal name to give blessed for the user's TERM/COLORTERM. */
export function blessedTerminal(env: NodeJS.ProcessEnv = process.env): string {
  const term = env['TERM'] ?? 'xterm';
  const truecolor = /truecolor|24bit/i.test(env['COLORTERM'] ?? '');
  if (/256col/.test(term) || truecolor) return 'xterm-256color';
  if (/^(xterm|screen|tmux|rxvt|linux|vt100|vt220|alacritty|kitty|foot|st)/.test(term)) return term.startsWith('linux') ? 'linux' : 'xterm';
  return 'xterm';
}

/** True when the locale says the terminal takes UTF-8. */
export function utf8Locale(env: NodeJS.ProcessEnv = process.env): boolean {
  const loc = env['LC_ALL'] || env['LC_CTYPE'] || env['LANG'] || '';
  return /utf-?8/i.test(loc);
}

export function createScreen(opts: ScreenOptions = {}): AppScreen {
  // blessed turns box-drawing characters into the terminal's alternate charset (ACS) unless told UTF-8 box drawing
  // works; on a UTF-8 locale it does, and ACS under tmux/screen shows up as letters (lqqk) in copies of the screen.
  if (utf8Locale() && process.env['NCURSES_NO_UTF8_ACS'] === undefined) process.env['NCURSES_NO_UTF8_ACS'] = '1';
  // Loaded here so that `top --once` never pays for blessed.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const blessed = require('blessed') as typeof import('blessed');
  const screen = blessed.screen({
    terminal: blessedTerminal(),
    warnings: false,
    fullUnicode: true,
    ...(opts.forceUnicode ? { forceUnicode: true } : {}),
    smartCSR: true,
    autoPadding: false,
    dockBorders: false,
    title: opts.title ?? 'agentsight top',
    input: process.stdin,
    output: process.stdout,
  });
  const painter = new RowPainter(blessed, screen);
  screen.program.hideCursor();
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      screen.program.showCursor();
      screen.destroy();
    } catch {
      // The terminal may already be gone (SIGHUP); nothing left to restore.
    }
  };
  process.once('exit', restore);
  return { screen, paint: (tagged) => painter.paint(tagged), restore };
}
