/**
 * `record -- CMD` handed to a running monitor: DIR/<uid>/record.sock, one per user, the user's and 0600 in the
 * root-owned DIR/<uid> — connecting needs write permission on it, so a connection comes from that user or root, and
 * the kernel is what checks the caller's uid (the role SO_PEERCRED would play; node has no getsockopt for it).
 *
 * The protocol is JSON lines. The client (`record`) sends {op:'record', pid, title, argv0, path, cwd} with its own pid;
 * the monitor checks that pid belongs to the user, makes the processes it starts from then on one session of the
 * user's recording, puts the TLS probes on the command's files, and answers {ok, file, session}. The client then
 * starts the command (traced from its first instruction: the kernel adds a seed's children at fork), and after it
 * exits sends {op:'end'}; the monitor commits and answers {ok}. A dropped connection ends the hand-off too.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const RECORD_SOCKET = 'record.sock';

export interface HandOff {
  /** Start a session for the processes `pid` starts; returns its id, or throws with a one-line reason. */
  begin(req: { pid: number; title: string; argv0: string; path: string; cwd: string }): { session: number; file: string };
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
      let req: { op?: string; pid?: number; title?: string; argv0?: string; path?: string; cwd?: string };
      try {
        req = JSON.parse(line);
      } catch {
        reply({ ok: false, error: 'not JSON' });
        continue;
      }
      if (req.op === 'record' && pid === null) {
        const p = Number(req.pid);
        const owner = processUid(p);
        // The socket lets only this user (or root) connect; the pid must be this user's: nobody may have the children
        // of another user's process recorded into their file.
        if (!Number.isInteger(p) || owner === null || owner !== uid) {
          reply({ ok: false, error: `pid ${req.pid} is not a process of uid ${uid}` });
          continue;
        }
        try {
          const r = handOff.begin({ pid: p, title: String(req.title ?? ''), argv0: String(req.argv0 ?? ''), path: String(req.path ?? ''), cwd: String(req.cwd ?? '/') });
          pid = p;
          reply({ ok: true, ...r });
        } catch (err) {
          reply({ ok: false, error: (err as Error).message.split('\n')[0] });
        }
      } else if (req.op === 'end') {
        void finish().then(() => reply({ ok: true }), (err: Error) => reply({ ok: false, error: err.message }));
      } else {
        reply({ ok: false, error: `unexpected ${req.op}` });
      }
    }
  });
  sock.on('close', () => void finish().catch(() => undefined));
  sock.on('error', () => undefined);
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
