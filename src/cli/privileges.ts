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

function passwdEntry(uid: number): { name: string; gid: number; home: string } | null {
  try {
    const line = execFileSync('getent', ['passwd', String(uid)], { encoding: 'utf8' }).trim();
    const f = line.split(':');
    return { name: f[0], gid: Number(f[3]), home: f[5] };
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

/** Give a file we created as root to the invoking user, private (recordings hold prompts and code). */
export function handOver(file: string, user: InvokingUser): void {
  try {
    fs.chmodSync(file, 0o600);
    if (isRoot()) fs.chownSync(file, user.uid, user.gid);
  } catch {
    // the file may already be gone (-wal/-shm after checkpoint)
  }
}
