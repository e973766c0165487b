/**
 * `record -- CMD` handed to a running monitor: DIR/<uid>/record.sock, one per user, the user's and 0600 in the
 * root-owned DIR/<uid> — connecting needs write permission on it, so a connection comes from that user or root. The
 * kernel's record of who connected (SO_PEERCRED, through the addon) is checked as well: the caller's uid must be the
 * user's (or root's), and the pid a caller hands over must be its own.
 *
 * The protocol is JSON lines. The client sends {op:'record', pid, argv, argv0, path, cwd} with its own pid; the
 * monitor checks that pid belongs to the user, titles the session with the command line redacted (here, before
 * anything is stored: the client sends it as typed), puts the TLS probes on the command's files, and answers
 * {ok, file, session}. Two kinds of client:
 * - exec:true, the launcher (native/record-launcher.c): the pid itself becomes the command (it execs it in place).
 *   It is traced from the answer on and is the session's root; the session ends when it exits. The connection
 *   closes at the exec and means nothing.
 * - otherwise the node CLI (src/cli/record-via-monitor.ts): the processes the pid starts from then on are the
 *   session. After the command exits it sends {op:'end'}; the monitor commits and answers {ok}. A dropped connection
 *   ends the hand-off too.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { redactArgv } from '../collector/process/redact-command';
import { loadAddon } from '../native/addon';

export const RECORD_SOCKET = 'record.sock';

export interface HandOff {
  /** Start a session for the processes `pid` starts; returns its id, or throws with a one-line reason. */
  begin(req: { pid: number; exec: boolean; title: string; argv0: string; path: string; cwd: string }): { session: number; file: string };
  /** The command ended: its session is complete in the store once this resolves. */
  end(pid: number): Promise<void>;
}

export function recordSocketPath(userDir: string): string {
  return path.join(userDir, RECORD_SOCKET);
}

/** Listen on DIR/<uid>/record.sock (replacing a stale one: the directory is root's, so the name is ours). */
export async function listenRecordSocket(userDir: string, uid: number, gid: number, handOff: HandOff): Promise<net.Server> {
  const file = recordSocketPath(userDir);
  fs.rmSync(file, { force: true });
  const server = net.createServer((sock) => serve(sock, uid, handOff));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Created 0600 from the start (umask), then given to the user: nobody else may connect at any moment.
    const old = process.umask(0o177);
    try {
      server.listen(file, () => resolve());
    } finally {
      process.umask(old);
    }
  });
  fs.chownSync(file, uid, gid);
  fs.chmodSync(file, 0o600);
  server.unref();
  return server;
}

function serve(sock: net.Socket, uid: number, handOff: HandOff): void {
  let buf = '';
  let pid: number | null = null;
  /** The launcher's command is recorded: its exit, not this connection, ends the session. */
  let execd = false;
  const peer = peerOf(sock);
  const reply = (o: object) => sock.write(JSON.stringify(o) + '\n');
  const finish = () => {
    if (pid === null) return Promise.resolve();
    const p = pid;
    pid = null;
    return handOff.end(p);
  };
  sock.on('data', (d) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let req: { op?: string; pid?: number; exec?: boolean; argv?: unknown; title?: string; argv0?: string; path?: string; cwd?: string };
      try {
        req = JSON.parse(line);
      } catch {
        reply({ ok: false, error: 'not JSON' });
        continue;
      }
      if (req.op === 'record' && pid === null && !execd) {
        const p = Number(req.pid);
        const owner = processUid(p);
        // The socket lets only this user (or root) connect; the pid must be this user's: nobody may have the children
        // of another user's process recorded into their file.
        if (!Number.isInteger(p) || owner === null || owner !== uid) {
          reply({ ok: false, error: `pid ${req.pid} is not a process of uid ${uid}` });
          continue;
        }
        // And, as the kernel says, the caller's own: a process hands over itself, nobody else.
        if (peer && ((peer.uid !== uid && peer.uid !== 0) || peer.pid !== p)) {
          reply({ ok: false, error: `pid ${p} is not the caller (pid ${peer.pid}, uid ${peer.uid})` });
          continue;
        }
        // The command line as typed: redacted here, before it is a session's title in the store.
        const title = Array.isArray(req.argv) ? redactArgv(req.argv.map(String)).join(' ') : String(req.title ?? '');
        try {
          const r = handOff.begin({ pid: p, exec: req.exec === true, title, argv0: String(req.argv0 ?? ''), path: String(req.path ?? ''), cwd: String(req.cwd ?? '/') });
          if (req.exec === true) execd = true;
          else pid = p;
          reply({ ok: true, ...r });
        } catch (err) {
          reply({ ok: false, error: (err as Error).message.split('\n')[0] });
        }
      } else if (req.op === 'end' && !execd) {
        void finish().then(() => reply({ ok: true }), (err: Error) => reply({ ok: false, error: err.message }));
      } else {
        reply({ ok: false, error: `unexpected ${req.op}` });
      }
    }
  });
  sock.on('close', () => void finish().catch(() => undefined));
  sock.on('error', () => undefined);
}

/**
 * Who connected, from the kernel (SO_PEERCRED), or null where it cannot be read (no fd on the handle, no addon: the
 * socket's mode still limits callers to the user and root).
 */
function peerOf(sock: net.Socket): { pid: number; uid: number } | null {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    return loadAddon().peerCred(fd);
  } catch {
    return null;
  }
}

/** Real uid of a process, or null when it does not exist. */
function processUid(pid: number): number | null {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
