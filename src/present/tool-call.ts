/**
 * A tool call named the way a user recognises it: the tool and what it was asked to do ("Bash `npm test`",
 * "Edit `/app/src/sum.ts`"), not its row id. Shell tools show their command (Codex's ["bash", "-lc", "npm test"]
 * as the script it ran), file tools their path, search tools their pattern; other input as compact JSON.
 */
import { truncate } from './text-width';

/** Input keys that say what a call did, most telling first. */
const SUBJECT_KEYS = ['command', 'cmd', 'pattern', 'query', 'file_path', 'absolute_path', 'filePath', 'notebook_path', 'path', 'url', 'prompt', 'description'];

/** What a tool call was asked to do, as one line ('' when the input names nothing). */
export function toolCallSubject(inputJson: string): string {
  let input: unknown;
  try {
    input = JSON.parse(inputJson);
  } catch {
    return inputJson.replace(/\s+/g, ' ').trim();
  }
  if (!input || typeof input !== 'object' || Array.isArray(input)) return JSON.stringify(input);
  const o = input as Record<string, unknown>;
  for (const k of SUBJECT_KEYS) {
    const v = o[k];
    if (typeof v === 'string' && v.trim()) return v.replace(/\s+/g, ' ').trim();
    if (Array.isArray(v) && v.every((x) => typeof x === 'string') && v.length > 0) {
      const argv = v as string[];
      // A shell wrapper (bash -lc SCRIPT, sh -c SCRIPT): the script is what the model asked for.
      const c = argv.findIndex((a) => a === '-c' || a === '-lc');
      return (c >= 0 && c === argv.length - 2 ? argv[c + 1] : argv.join(' ')).replace(/\s+/g, ' ').trim();
    }
  }
  return Object.keys(o).length > 0 ? JSON.stringify(o) : '';
}

/** "Bash `npm test`", cut to `max` columns (the subject is cut, the tool name kept). */
export function toolCallLabel(name: string, inputJson: string, max = 80, ascii = false): string {
  const subject = toolCallSubject(inputJson);
  if (!subject) return name;
  return `${name} \`${truncate(subject, Math.max(8, max - name.length - 3), ascii ? '~' : '…')}\``;
}
