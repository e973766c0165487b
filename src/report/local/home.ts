/**
 * Whose session files `report --local` reads: the invoking user's. Under sudo that is SUDO_USER's home (from the
 * passwd database), not root's; --home overrides both (tests, or reading another account's files as root).
 */
import fs from 'node:fs';
import os from 'node:os';

export function invokingUserHome(env: Readonly<Record<string, string | undefined>>, override?: string): string {
  if (override) return override;
  const sudoUser = env['SUDO_USER'];
  if (sudoUser && sudoUser !== 'root' && typeof process.getuid === 'function' && process.getuid() === 0) {
    const home = passwdHome(sudoUser);
    if (home) return home;
  }
  return env['HOME'] || os.homedir();
}

function passwdHome(user: string): string | null {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === user && f.length >= 7) return f[5] || null;
    }
  } catch {
    // No readable passwd file (containers without one): fall back to HOME.
  }
  return null;
}
