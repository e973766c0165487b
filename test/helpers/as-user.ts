/**
 * Run the checkout's CLI as another (unprivileged) user, from wherever the checkout lives. Debian creates home
 * directories 0700, so a clone in one cannot be read by any other user: the command runs in a private mount
 * namespace where the checkout is bind-mounted at a path under /tmp. Nothing is copied, and the mount disappears
 * with the process tree (sudo's re-exec of the CLI as root stays inside it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './bpf-env';

/** Where the checkout appears inside the commands of asUser (created once, empty outside them). */
const MOUNT = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-checkout-'));
fs.chmodSync(MOUNT, 0o755);

/** A path of the checkout as the other user sees it. */
export function checkoutPath(p: string): string {
  if (!path.isAbsolute(p)) return p;
  const rel = path.relative(ROOT, p);
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : path.join(MOUNT, rel);
}

/**
 * The argv (for run/spawn) that runs `cmd args` as uid:gid with the checkout readable: setpriv drops the ids after
 * unshare and mount have run as root. Paths into the checkout among args are rewritten with checkoutPath.
 */
export function asUser(uid: number, gid: number, cmd: string, args: readonly string[], groups: 'init' | 'clear' = 'init'): [string, string[]] {
  const ids = ['--reuid', String(uid), '--regid', String(gid), groups === 'init' ? '--init-groups' : '--clear-groups'];
  const script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"';
  return ['unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ROOT, MOUNT, 'setpriv', ...ids, '--', checkoutPath(cmd), ...args.map(checkoutPath)]];
}
