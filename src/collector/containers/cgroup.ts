/**
 * A process's cgroup v2 and the container it names. The cgroup is how a container's processes are told apart from
 * the host's whatever their parent: Docker, containerd, podman and CRI-O all put a container in a cgroup of its own
 * whose path carries the container's 64-hex id. The cgroup id the kernel reports (bpf/process.bpf.c in_cgroup_scope)
 * is the inode number of that cgroup's directory in the cgroup2 mount.
 */
import fs from 'node:fs';

let mountPoint: string | null | undefined;

/** Where cgroup2 is mounted (/sys/fs/cgroup on a unified system, /sys/fs/cgroup/unified on a hybrid one), or null. */
export function cgroup2Mount(): string | null {
  if (mountPoint !== undefined) return mountPoint;
  mountPoint = null;
  try {
    // mountinfo: ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS … - FSTYPE SOURCE SUPER-OPTIONS
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const dash = line.indexOf(' - ');
      if (dash < 0 || !line.slice(dash + 3).startsWith('cgroup2 ')) continue;
      const f = line.slice(0, dash).split(' ');
      if (f[3] !== '/') continue; // a bind mount of a sub-tree does not show every cgroup
      mountPoint = f[4].replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      break;
    }
  } catch {
    // no /proc: no cgroups either
  }
  return mountPoint;
}

/** The cgroup v2 path of a process ("/docker/<id>"), from the `0::` line of /proc/PID/cgroup; null when gone. */
export function cgroupPathOf(pid: number): string | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return null;
  }
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  return line ? line.slice(3) : null;
}

/** The kernel's id of a cgroup v2 path (its directory's inode), or null when the cgroup does not exist now. */
export function cgroupId(cgroupPath: string): bigint | null {
  const mount = cgroup2Mount();
  if (!mount) return null;
  try {
    const st = fs.statSync(mount + (cgroupPath === '/' ? '' : cgroupPath), { bigint: true });
    return st.isDirectory() ? st.ino : null;
  } catch {
    return null;
  }
}

export interface CgroupContainer {
  /** The container's full id (64 hex digits). */
  id: string;
  /** Who made the cgroup, from its name: docker, podman (libpod), containerd, cri-o; null when only the id shows. */
  runtime: string | null;
  /** The container's own cgroup (its processes may sit in cgroups below it). */
  cgroup: string;
}

/*
 * Container cgroups by runtime. cgroupfs drivers: /docker/<id>, /libpod_parent/libpod-<id>; systemd drivers:
 * /system.slice/docker-<id>.scope, /machine.slice/libpod-<id>.scope, …/cri-containerd-<id>.scope, crio-<id>.scope;
 * Kubernetes cgroupfs: /kubepods/<qos>/pod<uid>/<id>. The last match wins, so a container nested in another's cgroup
 * (docker-in-docker) is named by its own id.
 */
const PATTERNS: Array<[RegExp, string | null]> = [
  [/^(.*\/docker[-/]([0-9a-f]{64})(?:\.scope)?)(?:\/|$)/, 'docker'],
  [/^(.*\/libpod-(?:conmon-)?([0-9a-f]{64})(?:\.scope)?)(?:\/|$)/, 'podman'],
  [/^(.*\/cri-containerd[-:]([0-9a-f]{64})(?:\.scope)?)(?:\/|$)/, 'containerd'],
  [/^(.*\/crio-([0-9a-f]{64})(?:\.scope)?)(?:\/|$)/, 'cri-o'],
  [/^(.*\/([0-9a-f]{64})(?:\.scope)?)(?:\/|$)/, null],
];

/** The container a cgroup v2 path belongs to, or null for a host cgroup. */
export function containerOfCgroup(cgroupPath: string): CgroupContainer | null {
  let best: CgroupContainer | null = null;
  for (const [re, runtime] of PATTERNS) {
    const m = re.exec(cgroupPath);
    if (m && (best === null || m[1].length > best.cgroup.length)) best = { id: m[2], runtime, cgroup: m[1] };
  }
  return best;
}

/** The process's pid in its own pid namespace (the last NSpid field), or null when gone. */
export function nsPidOf(pid: number): number | null {
  try {
    const m = /^NSpid:\s*(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (!m) return null;
    const ids = m[1].trim().split(/\s+/);
    return Number(ids[ids.length - 1]);
  } catch {
    return null;
  }
}

/** Every process in /proc whose cgroup is `cgroup` or below it, with its start time (clock ticks since boot). */
export function processesInCgroup(cgroup: string): Array<{ pid: number; startTicks: number }> {
  const out: Array<{ pid: number; startTicks: number }> = [];
  for (const name of fs.readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(name);
    const cg = cgroupPathOf(pid);
    if (cg === null || (cg !== cgroup && !cg.startsWith(cgroup + '/'))) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      out.push({ pid, startTicks: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) });
    } catch {
      // exited while we listed
    }
  }
  return out.sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid);
}
