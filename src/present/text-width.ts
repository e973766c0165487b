/**
 * Terminal column widths of strings, and fitting strings into columns. Agent text carries CJK, emoji and control
 * characters; every line we print (TUI, --once, report tables) must fit its width, so widths are counted here once.
 */

/** East Asian Wide/Fullwidth ranges and emoji presentation blocks that terminals draw two columns wide. */
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3],
  [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1],
  [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea],
  [0x26f2, 0x26f3], [0x26f5, 0x26f5], [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b],
  [0x2728, 0x2728], [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55], [0x2e80, 0x303e],
  [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3],
  [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff], [0x1b000, 0x1b2ff], [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a], [0x1f200, 0x1f202], [0x1f210, 0x1f23b], [0x1f240, 0x1f248], [0x1f250, 0x1f251],
  [0x1f260, 0x1f265], [0x1f300, 0x1f64f], [0x1f680, 0x1f6ff], [0x1f7e0, 0x1f7eb], [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

function isWide(cp: number): boolean {
  if (cp < 0x1100) return false;
  let lo = 0;
  let hi = WIDE_RANGES.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = WIDE_RANGES[mid];
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

function isZeroWidth(cp: number): boolean {
  return (
    (cp >= 0x0300 && cp <= 0x036f) || // combining diacritics
    (cp >= 0x200b && cp <= 0x200f) || // zero-width space/joiners, direction marks
    (cp >= 0xfe00 && cp <= 0xfe0f) || // variation selectors
    (cp >= 0x1f3fb && cp <= 0x1f3ff) || // skin tone modifiers
    (cp >= 0xe0100 && cp <= 0xe01ef)
  );
}

/** Columns a single code point occupies (control characters are never passed here: see clean()). */
export function charWidth(cp: number): number {
  if (isZeroWidth(cp)) return 0;
  return isWide(cp) ? 2 : 1;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/**
 * Printable BMP characters that are one column each and one UTF-16 unit: ASCII, Latin-1 and Latin Extended, general
 * punctuation (… ‐ –), arrows (→ ↳) and box drawing (├ ─ ═), which is what tree lines and headers are made of.
 * Checked against charWidth() by test/present/text-width.test.ts. Width of such a string = its length.
 */
const NARROW = /^[\x20-\x7e\u00a0-\u02ff\u2010-\u2027\u2190-\u21ff\u2500-\u257f]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** True when s is only such one-column characters (so it has no control characters and its width is its length). */
export function isNarrow(s: string): boolean {
  return NARROW.test(s);
}

/** Columns a string occupies in a terminal. */
export function strWidth(s: string): number {
  // Most text is printable ASCII or other one-column characters: no per-code-point walk.
  if (NARROW.test(s)) return s.length;
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/**
 * Make untrusted text printable on one line: control characters (ESC included, so recorded text can never drive
 * the terminal) become visible escapes; newlines and tabs become spaces.
 */
export function clean(s: string): string {
  if (PRINTABLE_ASCII.test(s) || !CONTROL.test(s)) return s;
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\t\n\r]+/g, ' ').replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Cut s to at most `width` columns, marking the cut with an ellipsis. */
export function truncate(s: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  if (strWidth(s) <= width) return s;
  const ew = strWidth(ellipsis);
  if (width <= ew) return ellipsis.slice(0, width);
  if (NARROW.test(s)) return s.slice(0, width - ew) + ellipsis;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width - ew) break;
    out += ch;
    w += cw;
  }
  return out + ellipsis;
}

/** Cut s to at most `width` columns keeping its end (for paths, whose last components matter most). */
export function truncateLeft(s: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  if (strWidth(s) <= width) return s;
  const ew = strWidth(ellipsis);
  if (width <= ew) return ellipsis.slice(0, width);
  if (NARROW.test(s)) return ellipsis + s.slice(s.length - (width - ew));
  const chars = [...s];
  let out = '';
  let w = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const cw = charWidth(chars[i].codePointAt(0)!);
    if (w + cw > width - ew) break;
    out = chars[i] + out;
    w += cw;
  }
  return ellipsis + out;
}

/** One line of at most `max` columns: newlines and runs of blanks collapse to one space; '' for nothing. */
export function oneLine(s: string | null | undefined, max: number): string {
  if (!s) return '';
  return truncate(s.replace(/\s+/g, ' ').trim(), max);
}

/** Pad (or cut) s to exactly `width` columns. */
export function padEnd(s: string, width: number, ellipsis = '…'): string {
  const t = truncate(s, width, ellipsis);
  return t + ' '.repeat(Math.max(0, width - strWidth(t)));
}

/** Right-align s in exactly `width` columns. */
export function padStart(s: string, width: number, ellipsis = '…'): string {
  const t = truncate(s, width, ellipsis);
  return ' '.repeat(Math.max(0, width - strWidth(t))) + t;
}

/** Emoji sequences (with joiners, modifiers and selectors) as one match. */
const EMOJI_SEQUENCE = /\p{Extended_Pictographic}(?:\u{FE0F}|[\u{1F3FB}-\u{1F3FF}])?(?:\u200D\p{Extended_Pictographic}(?:\u{FE0F}|[\u{1F3FB}-\u{1F3FF}])?)*/gu;

/**
 * blessed 0.1.81 counts emoji as one column where terminals draw two, which shifts every border after them on the
 * line. Replacing each emoji sequence with a one-column stand-in keeps the layout exact at a small cost in fidelity.
 */
export function replaceEmoji(s: string, standIn = '◆'): string {
  return s.replace(EMOJI_SEQUENCE, standIn).replace(/\u{FE0F}/gu, '');
}

/** Transliterate to ASCII for --ascii output: non-ASCII characters become '?'. */
export function toAscii(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[^\x00-\x7f]/gu, '?');
}
