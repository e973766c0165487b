/**
 * Where better-sqlite3's native addon is, found directly. Its default loader (the `bindings` package) takes a stack
 * trace to find the package root and then requires up to 13 candidate paths, catching each failure: ~10 ms of every
 * `top --once` (a quarter of its module loading). The answer is the file `bindings` would pick: it tries build/ and
 * build/Debug/ before build/Release/ (where node-gyp and prebuild-install put it), so when either of those holds an
 * addon, or Release does not, the choice is left to `bindings` as before.
 */
import fs from 'node:fs';
import path from 'node:path';

const ADDON = 'better_sqlite3.node';

let found: string | null | undefined;

/** Absolute path of the addon to pass as better-sqlite3's `nativeBinding`, or undefined to let it search. */
export function sqliteAddonPath(): string | undefined {
  if (found === undefined) {
    found = null;
    try {
      const build = path.join(path.dirname(require.resolve('better-sqlite3')), '..', 'build');
      const release = path.join(build, 'Release', ADDON);
      if (!fs.existsSync(path.join(build, ADDON)) && !fs.existsSync(path.join(build, 'Debug', ADDON)) && fs.existsSync(release)) found = release;
    } catch {
      // Not resolvable here (bundled elsewhere): better-sqlite3's own search still applies.
    }
  }
  return found ?? undefined;
}
