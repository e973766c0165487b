/**
 * Absolute paths from what the kernel sent: the user's string and, for a relative one, the absolute path of its
 * directory (dirfd or cwd) walked in the kernel. `.` and `..` are folded lexically; the base itself is the kernel's
 * canonical path, so the only way this differs from the kernel's own resolution is a symlink inside the user's
 * string followed by `..` (see docs/architecture.md, "File paths").
 */

/** Join base and path (when path is relative) and fold `.`, `..` and repeated slashes. */
export function absolutePath(base: string | null, path: string): string {
  if (path.startsWith('/')) return normalise(path);
  if (base === null) return path; // no directory known (bad dirfd): keep what the process passed
  if (path === '') return normalise(base); // AT_EMPTY_PATH: the directory itself
  return normalise(`${base}/${path}`);
}

/** A `.` or `..` segment, an empty segment (`//`) or a trailing slash (except the root itself). */
const NOT_NORMAL = /\/\/|\/\.\.?(?:\/|$)|.\/$/;

/** Lexical normalisation of an absolute path. `..` at the root stays at the root, as the kernel does. */
export function normalise(p: string): string {
  if (!p.startsWith('/')) return p;
  // Nearly every path is already normal: one scan instead of a split and join per file record.
  if (!NOT_NORMAL.test(p)) return p;
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}
