/**
 * Shared-library resolution as ld.so does it (enough of it for finding libssl & co.): RPATH/RUNPATH with
 * $ORIGIN, LD_LIBRARY_PATH, /etc/ld.so.cache (glibc "1.1" format) and the default directories.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ElfFile } from './elf-file';

const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const DEFAULT_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu'];

/** soname → paths listed for it in ld.so.cache (all architectures; callers check the ELF machine). */
export function readLdSoCache(file = '/etc/ld.so.cache'): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return out;
  }
  const base = buf.indexOf(NEW_MAGIC);
  if (base < 0 || base + 48 > buf.length) return out;
  const nlibs = buf.readUInt32LE(base + 20);
  // Header: magic+version (20), nlibs, len_strings, flags(1)+pad(3), extension_offset, unused[3] = 48 bytes.
  const entries = base + 48;
  for (let i = 0; i < nlibs; i++) {
    const e = entries + i * 24;
    if (e + 24 > buf.length) break;
    const key = cstrAt(buf, base + buf.readUInt32LE(e + 4));
    const value = cstrAt(buf, base + buf.readUInt32LE(e + 8));
    if (!key || !value) continue;
    const list = out.get(key);
    if (list) list.push(value);
    else out.set(key, [value]);
  }
  return out;
}

function cstrAt(buf: Buffer, off: number): string {
  if (off < 0 || off >= buf.length) return '';
  const end = buf.indexOf(0, off);
  return buf.toString('utf8', off, end < 0 ? buf.length : end);
}

export interface LibraryResolver {
  /** Path of `soname` as loaded for `fromObject` (whose RPATH/RUNPATH apply), or null. */
  resolve(soname: string, fromObject: { path: string; runpath: string[]; machine: number }): string | null;
}

export function createLibraryResolver(env: NodeJS.ProcessEnv): LibraryResolver {
  let cache: Map<string, string[]> | null = null;
  const ldLibraryPath = (env.LD_LIBRARY_PATH ?? '').split(':').filter((p) => p.length > 0);
  const machineOk = (p: string, machine: number): boolean => {
    try {
      const elf = ElfFile.open(p);
      try {
        return elf.machine === machine;
      } finally {
        elf.close();
      }
    } catch {
      return false;
    }
  };
  return {
    resolve(soname, from) {
      if (soname.includes('/')) return fs.existsSync(soname) ? soname : null;
      const origin = path.dirname(from.path);
      const expand = (d: string): string => d.replace(/\$\{ORIGIN\}|\$ORIGIN/g, origin);
      const dirs = [...ldLibraryPath, ...from.runpath.map(expand)];
      for (const d of dirs) {
        const p = path.join(d, soname);
        if (fs.existsSync(p) && machineOk(p, from.machine)) return p;
      }
      cache ??= readLdSoCache();
      for (const p of cache.get(soname) ?? []) if (fs.existsSync(p) && machineOk(p, from.machine)) return p;
      for (const d of DEFAULT_DIRS) {
        const p = path.join(d, soname);
        if (fs.existsSync(p) && machineOk(p, from.machine)) return p;
      }
      return null;
    },
  };
}
