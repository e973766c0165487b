/**
 * Who runs what. Capture needs root (CAP_BPF + CAP_PERFMON for tracepoints, CAP_SYS_ADMIN for uprobes); the recorded
 * command runs as the user who invoked sudo, with that user's HOME, groups and environment.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface InvokingUser {
  uid: number;
  gid: number;
  name: string | null;
  home: string | null;
  /** true when running as root on behalf of another user (sudo). */
  viaSudo: boolean;
}

export function isRoot(): boolean {
  return process.geteuid?.() === 0;
}

/** The user agentsight acts for: SUDO_UID/SUDO_GID under sudo, else ourselves. */
export function invokingUser(env: NodeJS.ProcessEnv = process.env): InvokingUser {
  const sudoUid = env['SUDO_UID'] !== undefined ? Number(env['SUDO_UID']) : NaN;
  if (isRoot() && Number.isInteger(sudoUid) && sudoUid !== 0) {
    const pw = passwdEntry(sudoUid);
    const gid = env['SUDO_GID'] !== undefined ? Number(env['SUDO_GID']) : pw?.gid ?? sudoUid;
    return { uid: sudoUid, gid, name: pw?.name ?? env['SUDO_USER'] ?? null, home: pw?.home ?? null, viaSudo: true };
  }
  const uid = process.getuid?.() ?? 0;
  const pw = passwdEntry(uid);
  return { uid, gid: process.getgid?.() ?? 0, name: pw?.name ?? null, home: pw?.home ?? env['HOME'] ?? null, viaSudo: false };
}

/**
 * /etc/passwd first: `record` asks before its command may start, and a getent process forked from node cost 8-25 ms
 * of that (BENCHMARKS.md, start-up). A user only NSS knows (LDAP, sssd) is not in the file: getent then.
 */
function passwdEntry(uid: number): { name: string; gid: number; home: string } | null {
  const parse = (line: string) => {
    const f = line.split(':');
    return f.length >= 7 && Number(f[2]) === uid ? { name: f[0]!, gid: Number(f[3]), home: f[5]! } : null;
  };
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const e = parse(line);
      if (e) return e;
    }
  } catch {
    // no readable file: NSS may still know the user
  }
  try {
    return parse(execFileSync('getent', ['passwd', String(uid)], { encoding: 'utf8' }).trim());
  } catch {
    return null;
  }
}

/** Environment for the recorded command: ours (sudo preserved it) with the invoking user's identity variables. */
export function userEnv(user: InvokingUser, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (!user.viaSudo) return { ...env };
  const out: NodeJS.ProcessEnv = { ...env };
  if (user.home) out['HOME'] = user.home;
  if (user.name) {
    out['USER'] = user.name;
    out['LOGNAME'] = user.name;
  }
  return out;
}

/** Resolve a command like a shell would (PATH search; a name with a slash is used as is). */
export function resolveInPath(cmd: string, envPath: string | undefined, cwd = process.cwd()): string | null {
  const executable = (p: string) => {
    try {
      const st = fs.statSync(p);
      return st.isFile() && (st.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) {
    const p = path.resolve(cwd, cmd);
    return fs.existsSync(p) ? p : null;
  }
  for (const dir of (envPath ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = path.join(dir || '.', cmd);
    if (executable(p)) return p;
  }
  return null;
}

/**
 * Re-run this command line through sudo, keeping the environment (the recorded agent needs its API keys and
 * settings). Returns the exit code, or null when sudo is not available.
 */
export function reexecWithSudo(argv: readonly string[]): number | null {
  const sudo = resolveInPath('sudo', process.env['PATH']);
  if (!sudo) return null;
  const r = spawnSync(sudo, ['--preserve-env', '--', process.execPath, ...argv], { stdio: 'inherit' });
  if (r.error) return null;
  if (r.signal) return 128 + (signalNumber(r.signal) ?? 1);
  return r.status ?? 1;
}

export function signalNumber(sig: NodeJS.Signals): number | null {
  const n = (require('node:os') as typeof import('node:os')).constants.signals[sig];
  return typeof n === 'number' ? n : null;
}

/**
 * Why `file` (a resolved command) cannot be executed by `user`, with the shell's exit status for it (127 not found,
 * 126 found but not runnable), or null when it can. Checked before a recording is created, so a command that can
 * never start leaves no recording behind. Under sudo the permission bits are read for the invoking user, not root.
 */
export function whyNotExecutable(file: string, user: InvokingUser): { reason: string; status: 126 | 127 } | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { reason: 'no such file or directory', status: 127 };
    return { reason: (err as Error).message.replace(/^[A-Z]+: /, '').replace(/, stat '.*'$/, ''), status: 126 };
  }
  if (st.isDirectory()) return { reason: 'is a directory', status: 126 };
  if (!st.isFile()) return { reason: 'not a regular file', status: 126 };
  if (!executableBy(st, user)) return { reason: 'permission denied (not executable)', status: 126 };
  return null;
}

/** execve's permission rule: root needs any x bit; anyone else the owner's, group's or others' bit that applies. */
function executableBy(st: fs.Stats, user: InvokingUser): boolean {
  if (user.uid === 0) return (st.mode & 0o111) !== 0;
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  const group = (st.mode & 0o010) !== 0;
  const other = (st.mode & 0o001) !== 0;
  // Group membership matters only when the two bits differ (then it costs a look-up of the user's groups).
  if (group === other) return other;
  const inGroup = st.gid === user.gid || (user.viaSudo ? groupsOf(user.uid) : process.getgroups?.() ?? []).includes(st.gid);
  return inGroup ? group : other;
}

function groupsOf(uid: number): number[] {
  try {
    return execFileSync('id', ['-G', String(uid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  } catch {
    return [];
  }
}
