/** File-system helpers for the session readers: never throw on a missing or unreadable path, report it instead. */
import fs from 'node:fs';
import path from 'node:path';

export function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Files under `dir` (recursively, not following symlinked directories) whose name matches, sorted by path. */
export function findFiles(dir: string, match: (name: string) => boolean, maxDepth = 6): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (depth < maxDepth) walk(p, depth + 1);
      } else if (e.isFile() && match(e.name)) {
        out.push(p);
      }
    }
  };
  walk(dir, 0);
  return out.sort();
}

/** Subdirectories of `dir`, sorted; [] when it is missing. */
export function subdirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

/** Non-empty lines of a text file, or an error message when it cannot be read. */
export function readLines(file: string): { lines: string[] } | { error: string } {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return { lines: text.split(/\r?\n/).filter((l) => l.trim() !== '') };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Parse one JSON line into an object; null for anything else (broken line, array, scalar). */
export function parseObject(line: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}

export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/** ISO timestamp → Unix ms, null when missing or unparseable. */
export function timeMs(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}
