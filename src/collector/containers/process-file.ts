/**
 * The file a process actually runs, as something this process can open and put a uprobe on. A process in another
 * mount namespace (a container) names its executable by a path of its own namespace: the same path here is the
 * host's file, another inode, where a uprobe never fires for the container (and one on the host's file fires only in
 * containers that bind-mount it). /proc/PID/exe is a magic link to the very file: opening it, stat'ing it and a
 * uprobe on it all reach the container's inode, whatever symlinks or mounts lie on its path.
 */
import fs from 'node:fs';

export interface ProcessFile {
  /** Path to open and probe from here. */
  open: string;
  /** The path the process knows it by (stored and shown). */
  shown: string;
  /** open is a /proc magic link: never resolved with realpath (discoverTls exactPath). */
  exact: boolean;
}

let ownMountNs: string | null | undefined;

/** The mount namespace of a process ("mnt:[4026531841]"), or null when it is gone. */
export function mountNsOf(pid: number): string | null {
  return mountNs(pid);
}

function mountNs(pid: number | 'self'): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return null;
  }
}

/** The process lives in another mount namespace than agentsight (null: it is gone, so nobody can tell). */
export function inOtherMountNs(pid: number): boolean | null {
  if (ownMountNs === undefined) ownMountNs = mountNs('self');
  const ns = mountNs(pid);
  if (ns === null || ownMountNs === null) return null;
  return ns !== ownMountNs;
}

/**
 * The executable `exe` of process `pid`: the path itself on the host, /proc/PID/exe in another mount namespace;
 * null when the process is in another namespace but its exe link cannot be read (gone, or a kernel thread).
 */
export function executableOf(pid: number, exe: string): ProcessFile | null {
  const other = inOtherMountNs(pid);
  if (!other) return { open: exe, shown: exe, exact: false };
  const open = `/proc/${pid}/exe`;
  try {
    fs.statSync(open);
  } catch {
    return null;
  }
  return { open, shown: exe, exact: true };
}
