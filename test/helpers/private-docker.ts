/**
 * A private, offline Docker daemon for tests (FIELD-NOTES "Containers offline"): its own data root, exec root and
 * socket under a temp dir, no iptables, no bridge. Images are made with `docker import` from host files (node and its
 * libraries, busybox-static), so nothing is pulled. Containers use `--network host` to reach the test's servers.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PrivateDocker {
  dir: string;
  /** DOCKER_HOST for this daemon. */
  host: string;
  env: NodeJS.ProcessEnv;
  /** Run the docker CLI against this daemon; returns stdout trimmed. */
  docker(...args: string[]): string;
  /** The image with node, the openssl CLI and busybox made by docker import (made once). */
  nodeImage(): string;
  stop(): Promise<void>;
}

function which(cmd: string): string | null {
  for (const d of (process.env['PATH'] ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(d, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

/** Why Docker is genuinely absent here (the binaries `make setup` installs), or null. */
export function dockerAbsent(): string | null {
  if (!which('dockerd')) return 'dockerd not installed (Debian docker.io; make setup installs it)';
  if (!which('docker')) return 'docker CLI not installed (Debian docker.io)';
  if (!fs.existsSync('/bin/busybox')) return '/bin/busybox not installed (Debian busybox-static)';
  if (!fs.existsSync('/usr/bin/openssl')) return '/usr/bin/openssl not installed (Debian openssl)';
  return null;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Start the daemon; throws with its log's last lines when it does not come up. */
export async function startPrivateDocker(): Promise<PrivateDocker> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-docker-'));
  const sock = path.join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  const log = fs.openSync(path.join(dir, 'dockerd.log'), 'w');
  const daemon: ChildProcess = spawn(
    which('dockerd')!,
    ['--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'dockerd.pid'), '-H', host,
      '--iptables=false', '--ip6tables=false', '--bridge=none', '--storage-driver=overlay2'],
    { stdio: ['ignore', log, log], detached: false },
  );
  fs.closeSync(log);
  const env = { ...process.env, DOCKER_HOST: host };
  const cli = which('docker')!;
  const docker = (...args: string[]): string => execFileSync(cli, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  let exited = false;
  daemon.on('exit', () => (exited = true));
  const stop = async (): Promise<void> => {
    try {
      const ids = docker('ps', '-aq').split('\n').filter(Boolean);
      if (ids.length) docker('rm', '-f', ...ids);
    } catch {
      // the daemon may be gone already
    }
    if (!exited) {
      daemon.kill('SIGTERM');
      await until(() => exited, 'dockerd to stop', 20_000).catch(() => daemon.kill('SIGKILL'));
    }
    // What dockerd leaves mounted when stopped: its netns file, overlay mounts of killed containers.
    const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m?.startsWith(dir));
    for (const m of mounts.reverse()) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      } catch {
        // not mounted any more
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(() => {
      if (exited) throw new Error('dockerd exited');
      if (!fs.existsSync(sock)) return false;
      try {
        docker('version', '--format', '{{.Server.Version}}');
        return true;
      } catch {
        return false;
      }
    }, 'dockerd', 30_000);
  } catch (err) {
    const tail = fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').trim().split('\n').slice(-5).join('\n');
    await stop();
    throw new Error(`dockerd did not start: ${(err as Error).message}\n${tail}`);
  }
  let image: string | null = null;
  const nodeImage = (): string => {
    if (image) return image;
    const root = path.join(dir, 'rootfs');
    for (const d of ['bin', 'usr/bin', 'tmp', 'proc', 'sys', 'dev', 'etc']) fs.mkdirSync(path.join(root, d), { recursive: true });
    // node (its OpenSSL linked in) and the openssl CLI (the system's libssl.so.3: a copy in the image, another inode)
    for (const [from, to] of [[fs.realpathSync(process.execPath), 'usr/bin/node'], ['/usr/bin/openssl', 'usr/bin/openssl']]) {
      fs.copyFileSync(from, path.join(root, to));
      fs.chmodSync(path.join(root, to), 0o755);
      for (const lib of execFileSync('ldd', [from], { encoding: 'utf8' }).match(/\/\S+/g) ?? []) {
        fs.mkdirSync(path.join(root, path.dirname(lib)), { recursive: true });
        fs.copyFileSync(fs.realpathSync(lib), path.join(root, lib));
      }
    }
    fs.copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
    fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
    for (const a of ['sh', 'sleep', 'cat']) fs.symlinkSync('busybox', path.join(root, 'bin', a));
    // node under a name of its own: `record -c ctagent` picks it out, and no node of the host
    fs.symlinkSync('node', path.join(root, 'usr/bin/ctagent'));
    const tar = path.join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    docker('import', tar, 'agentsight-nodemin:test');
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(tar, { force: true });
    image = 'agentsight-nodemin:test';
    return image;
  };
  return { dir, host, env, docker, nodeImage, stop };
}
