/**
 * Key names as a user reads them (htop's help: "Enter", "Shift-Tab", "Ctrl-C"), from blessed's key names in KEYMAP.
 * Several blessed names can be one key on the keyboard (Enter arrives as "enter" or "linefeed"): they show once.
 */

/** blessed names that are not shown as they are; a null name is an alias of a key already listed. */
const NAMES: Record<string, string | null> = {
  enter: 'Enter',
  linefeed: null,
  return: null,
  escape: 'Esc',
  backspace: 'Backspace',
  tab: 'Tab',
  space: 'Space',
  up: 'Up',
  down: 'Down',
  left: 'Left',
  right: 'Right',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  delete: 'Del',
  insert: 'Ins',
};

const MODIFIERS: Record<string, string> = { C: 'Ctrl', S: 'Shift', M: 'Alt' };

/** One blessed key name as a user reads it; null when it is an alias of another name of the same key. */
export function keyLabel(name: string): string | null {
  if (name in NAMES) return NAMES[name];
  const fkey = /^f(\d{1,2})$/.exec(name);
  if (fkey) return `F${fkey[1]}`;
  const mod = /^([CSM])-(.+)$/.exec(name);
  if (mod) {
    const base = keyLabel(mod[2]);
    // Ctrl-C, not Ctrl-c: terminals send the same code for either case, and htop/man pages write it upper-case.
    return base === null ? null : `${MODIFIERS[mod[1]]}-${base.length === 1 ? base.toUpperCase() : base}`;
  }
  return name;
}

/** The keys of one KEYMAP entry as shown on the help screen: "q F10 Ctrl-C", "Enter", "Esc Backspace". */
export function keyLabels(names: readonly string[]): string {
  const out: string[] = [];
  for (const n of names) {
    const label = keyLabel(n);
    if (label !== null && !out.includes(label)) out.push(label);
  }
  return out.join(' ');
}
