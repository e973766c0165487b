/**
 * A container's own TLS libraries (libssl, GnuTLS), probed once per mount namespace: what the host's
 * attachSystemLibraries does for the host. Interpreters in the container (python, curl, ruby) load the container's
 * copy, another inode than the host's, at run time: at exec nothing is mapped yet to read from /proc/PID/maps.
 *
 * Paths are resolved inside the container's root by hand: the kernel resolves an absolute symlink met under
 * /proc/PID/root against *our* root, which lands on the host's file of that name (the upstream bug).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readLdSoCache } from '../tls/discovery/ld-cache';
import type { ProcessFile } from './process-file';

const NAMES = ['libssl.so.3', 'libssl.so.1.1', 'libgnutls.so.30'];
/** Where musl and glibc look without a cache (Alpine has no ld.so.cache). */
const DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu'];
const MAX_LINKS = 40;

/**
 * `p` (absolute, as the container sees it) with every symlink resolved inside `root` (a /proc/PID/root), as a path
 * below root; null when it does not exist or loops. `..` stops at the container's root, as it does in there.
 */
export function resolveInRoot(root: string, p: string): string | null {
  const todo = p.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const here = path.join(root, ...done, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(here);
    } catch {
      return null;
    }
    if (!st.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) return null;
    const target = fs.readlinkSync(here);
    if (target.startsWith('/')) done.length = 0;
    todo.unshift(...target.split('/').filter(Boolean));
  }
  return '/' + done.join('/');
}

/** The TLS libraries of the container process `pid` runs in, as files to probe from here. */
export function containerTlsLibraries(pid: number): Array<ProcessFile & { soname: string }> {
  const root = `/proc/${pid}/root`;
  const cacheFile = resolveInRoot(root, '/etc/ld.so.cache');
  const cache = cacheFile ? readLdSoCache(root + cacheFile) : new Map<string, string[]>();
  const out: Array<ProcessFile & { soname: string }> = [];
  const seen = new Set<string>();
  for (const soname of NAMES) {
    const candidates = [...(cache.get(soname) ?? []), ...DIRS.map((d) => `${d}/${soname}`)];
    for (const c of candidates) {
      const r = resolveInRoot(root, c);
      if (r === null || seen.has(r)) continue;
      try {
        if (!fs.statSync(root + r).isFile()) continue;
      } catch {
        continue;
      }
      seen.add(r);
      out.push({ open: root + r, shown: r, exact: true, soname });
      break;
    }
  }
  return out;
}
