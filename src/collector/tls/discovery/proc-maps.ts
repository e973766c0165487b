/** TLS-relevant files mapped by a running process, from /proc/<pid>/maps. */
import * as fs from 'fs';
import * as path from 'path';
import { isTlsLibraryName } from './tls-libraries';

export interface MappedFile {
  /** Path as the process sees it (its mount namespace). */
  readonly path: string;
  /** Path to open from here: through /proc/<pid>/root, which also works for processes in containers. */
  readonly openPath: string;
  /** 'executable' for the main program, 'tls-library' for libssl & co. */
  readonly role: 'executable' | 'tls-library';
  /** The mapping's file was deleted or replaced after the process mapped it. */
  readonly deleted: boolean;
}

export interface MappedTlsFiles {
  readonly pid: number;
  readonly files: MappedFile[];
  /** Set when the maps could not be read (process gone, no permission). */
  readonly error?: string;
}

/** Parses the path column of /proc/<pid>/maps lines (6th field onwards; paths may contain spaces). */
export function parseMapsPaths(maps: string): { path: string; deleted: boolean; executable: boolean }[] {
  const out: { path: string; deleted: boolean; executable: boolean }[] = [];
  for (const line of maps.split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+\s+(\S{4})\s+\S+\s+\S+\s+\d+\s+(\/.*)$/.exec(line);
    if (!m) continue;
    let p = m[2];
    const deleted = p.endsWith(' (deleted)');
    if (deleted) p = p.slice(0, -' (deleted)'.length);
    out.push({ path: p, deleted, executable: m[1][2] === 'x' });
  }
  return out;
}

/** The main executable plus any mapped libssl/libcrypto/libgnutls/… of `pid`, each once. */
export function listTlsFilesOfPid(pid: number, procRoot = '/proc'): MappedTlsFiles {
  let maps: string;
  let exe: string | null = null;
  try {
    maps = fs.readFileSync(path.join(procRoot, String(pid), 'maps'), 'utf8');
  } catch (err) {
    return { pid, files: [], error: (err as Error).message };
  }
  try {
    exe = fs.readlinkSync(path.join(procRoot, String(pid), 'exe')).replace(/ \(deleted\)$/, '');
  } catch {
    exe = null;
  }
  const seen = new Map<string, MappedFile>();
  const root = path.join(procRoot, String(pid), 'root');
  for (const m of parseMapsPaths(maps)) {
    if (seen.has(m.path)) continue;
    const role = m.path === exe ? 'executable' : isTlsLibraryName(path.basename(m.path)) ? 'tls-library' : null;
    if (!role) continue;
    seen.set(m.path, { path: m.path, openPath: root + m.path, role, deleted: m.deleted });
  }
  return { pid, files: [...seen.values()] };
}
