/**
 * On-disk cache of discovery results, keyed by GNU build-id (or sha256 when a file has none), so a 300 MB
 * agent binary is analysed once per build, not once per run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TlsDiscovery } from './types';

/**
 * `~/.cache/agentsight/tls` of the invoking user: under sudo that is SUDO_USER's home, not root's, so the
 * cache survives between `sudo agentsight record` runs of the same user. $AGENTSIGHT_TLS_CACHE_DIR overrides.
 */
export function defaultTlsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGENTSIGHT_TLS_CACHE_DIR) return env.AGENTSIGHT_TLS_CACHE_DIR;
  const sudoHome = env.SUDO_USER ? homeOf(env.SUDO_USER) : null;
  if (sudoHome) return path.join(sudoHome, '.cache', 'agentsight', 'tls');
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'agentsight', 'tls');
}

function homeOf(user: string): string | null {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === user && f[5]) return f[5];
    }
  } catch {
    /* no passwd: fall back to HOME */
  }
  return null;
}

export function cacheKey(buildId: string | null, sha256: string | null): string | null {
  if (buildId) return `build-id-${buildId}`;
  if (sha256) return `sha256-${sha256}`;
  return null;
}

/** Reads a cached result; anything unreadable or of another discovery version counts as a miss. */
export function readCache(dir: string, key: string, version: number): TlsDiscovery | null {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dir, `${key}.json`), 'utf8')) as TlsDiscovery;
    if (v.discoveryVersion !== version || !Array.isArray(v.probes)) return null;
    return v;
  } catch {
    return null;
  }
}

/** Writes atomically (rename), best effort: a read-only cache dir must not fail discovery. */
export function writeCache(dir: string, key: string, value: TlsDiscovery, env: NodeJS.ProcessEnv = process.env): string | null {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${key}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(value, null, 2));
    fs.renameSync(tmp, file);
    // Files created by root under the invoking user's home are handed back to that user.
    const uid = Number(env.SUDO_UID);
    const gid = Number(env.SUDO_GID);
    if (process.getuid?.() === 0 && Number.isInteger(uid) && uid > 0 && Number.isInteger(gid)) {
      try {
        fs.chownSync(file, uid, gid);
      } catch {
        /* not ours to insist on */
      }
    }
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
