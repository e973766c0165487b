/**
 * Lines as styled segments, serialised to blessed tags at exactly the screen width. Every piece of recorded text
 * passes through here: control characters are made visible, emoji become one-column stand-ins (blessed miscounts
 * them), braces are escaped so data can never open a tag, and the plain-text width is counted before serialising.
 */
import { clean, replaceEmoji, strWidth, toAscii, truncate } from '../../present';

export type Color = 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'white' | 'gray';

export interface Style {
  fg?: Color;
  bg?: Color;
  bold?: boolean;
  inverse?: boolean;
  underline?: boolean;
}

export interface Seg {
  t: string;
  s?: Style;
}

export type Line = Seg[];

export interface LineOptions {
  /** false under NO_COLOR: bold/inverse/underline stay, colours go. */
  color: boolean;
  ascii: boolean;
}

export const seg = (t: string, s?: Style): Seg => ({ t, s });

/** Make recorded text safe and measurable for the screen. */
export function screenText(t: string, ascii: boolean): string {
  const c = replaceEmoji(clean(t), ascii ? '*' : '◆');
  return ascii ? toAscii(c) : c;
}

function openTags(s: Style, color: boolean): string {
  let o = '';
  if (s.bold) o += '{bold}';
  if (s.inverse) o += '{inverse}';
  if (s.underline) o += '{underline}';
  if (color && s.fg) o += `{${s.fg}-fg}`;
  if (color && s.bg) o += `{${s.bg}-bg}`;
  return o;
}

function escapeTags(t: string): string {
  return t.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

/** Plain text of a line (what the terminal shows), cut to width: used by tests and for width checks. */
export function plainText(line: Line, width: number, opts: LineOptions): string {
  return layout(line, width, opts).map((p) => p.text).join('');
}

function layout(line: Line, width: number, opts: LineOptions): Array<{ text: string; s?: Style }> {
  const out: Array<{ text: string; s?: Style }> = [];
  let used = 0;
  const ell = opts.ascii ? '.' : '…';
  for (const sg of line) {
    if (used >= width) break;
    const text = screenText(sg.t, opts.ascii);
    const room = width - used;
    const fitted = strWidth(text) > room ? truncate(text, room, ell) : text;
    used += strWidth(fitted);
    out.push({ text: fitted, s: sg.s });
  }
  return out;
}

/**
 * Serialise to a blessed tagged string of exactly `width` columns. `fill` styles the padding (a selected row's
 * inverse bar reaches the right edge).
 */
export function renderLine(line: Line, width: number, opts: LineOptions, fill?: Style): string {
  const parts = layout(line, width, opts);
  let used = 0;
  let out = '';
  for (const p of parts) {
    used += strWidth(p.text);
    const style = fill ? { ...fill, ...p.s } : p.s;
    const tags = style ? openTags(style, opts.color) : '';
    out += tags ? `${tags}${escapeTags(p.text)}{/}` : escapeTags(p.text);
  }
  if (used < width) {
    const pad = ' '.repeat(width - used);
    const tags = fill ? openTags(fill, opts.color) : '';
    out += tags ? `${tags}${pad}{/}` : pad;
  }
  return out;
}

/** Word-wrap plain text into lines of at most `width` columns (hard-breaking words longer than a line). */
export function wrapText(text: string, width: number, ascii: boolean): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    const words = screenText(para, ascii).split(' ');
    let cur = '';
    for (let w of words) {
      while (strWidth(w) > width) {
        if (cur) {
          out.push(cur);
          cur = '';
        }
        let head = '';
        for (const ch of w) {
          if (strWidth(head + ch) > width) break;
          head += ch;
        }
        out.push(head);
        w = w.slice(head.length);
      }
      if (cur === '') cur = w;
      else if (strWidth(cur) + 1 + strWidth(w) <= width) cur += ' ' + w;
      else {
        out.push(cur);
        cur = w;
      }
    }
    out.push(cur);
  }
  return out;
}
