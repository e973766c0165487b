/**
 * Brendan Gregg's folded stacks: `frame;frame;frame value` per line, one sample type (the view's, or --value).
 * Frames cannot hold ';' or a newline there, so those become ':' and a space; lines are sorted for stable diffs.
 */
import { VALUE_INDEX, type ProfileModel, type SampleType } from './sample-model';

export function foldedFrame(name: string): string {
  return name.replace(/;/g, ':').replace(/[\r\n]+/g, ' ');
}

/** Stack → value of one sample type, equal stacks (differing only in labels) merged, zero values left out. */
export function foldedStacks(m: ProfileModel, type: SampleType): Map<string, number> {
  const idx = VALUE_INDEX[type];
  const out = new Map<string, number>();
  for (const s of m.samples) {
    const v = s.values[idx];
    if (v === 0) continue;
    const key = s.stack.map(foldedFrame).join(';');
    out.set(key, (out.get(key) ?? 0) + v);
  }
  return out;
}

export function encodeFolded(m: ProfileModel, type: SampleType): string {
  const lines = [...foldedStacks(m, type)].map(([k, v]) => `${k} ${v}`);
  lines.sort();
  return lines.length ? lines.join('\n') + '\n' : '';
}
