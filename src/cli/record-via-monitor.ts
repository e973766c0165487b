/**
 * `record -- CMD` when the monitor runs: instead of loading BPF (seconds, and root), ask the monitor over the user's
 * socket (src/monitor/record-socket.ts) to record what this process starts, then start CMD at once — as the user,
 * without sudo. The session goes into the user's weekly monitor recording, which `report --monitor` reads.
 * null: no monitor to ask (or it refused); the caller records on its own.
 * `agentsight record` as typed usually never gets here: bin/agentsight runs the C launcher (native/record-launcher.c),
 * which hands its own pid over and execs the command in place without starting node; this is the path when the
 * launcher is not built, or when node is run on the CLI directly.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { monitorDir } from '../monitor/monitor-paths';
import { RECORD_SOCKET } from '../monitor/record-socket';
import { resolveInPath, signalNumber } from './privileges';

/** How long to wait for the monitor's answer before recording alone (it answers in milliseconds). */
const ANSWER_MS = 5000;

/**
 * Only for what the monitor does as asked: a command (no -p/-c/--container), into the user's monitor recording (no
 * --db), without the options of a capture of its own (--otel, --ring-bytes, --binary-path). Checked before record.ts
 * and the capture are even loaded: the command should start at once.
 */
export function monitorCanRecord(command: string[], o: { db?: string; pid?: number[]; comm?: string; container?: string; otel?: boolean; otelContent?: boolean; ringBytes?: number; binaryPath?: string[] }): boolean {
  const attaching = (o.pid?.length ?? 0) > 0 || o.comm !== undefined || o.container !== undefined;
  return command.length > 0 && !attaching && o.db === undefined && !o.otel && !o.otelContent && o.ringBytes === undefined && !o.binaryPath?.length && process.env['AGENTSIGHT_NO_MONITOR'] !== '1';
}

export async function recordViaMonitor(command: string[], quiet: boolean): Promise<number | null> {
  // Under sudo the standalone recorder runs the command as the invoking user; the monitor path is for a user's own
  // commands (and root's own, without sudo).
  if (process.env['SUDO_UID'] !== undefined && process.getuid?.() === 0) return null;
  const uid = process.getuid?.() ?? 0;
  const sockPath = path.join(monitorDir(), String(uid), RECORD_SOCKET);
  if (!fs.existsSync(sockPath)) return null;
  const resolved = resolveInPath(command[0]!, process.env['PATH']);
  if (!resolved) return null; // the standalone path says why, in its words
  let sock: net.Socket;
  try {
    sock = await connect(sockPath);
  } catch {
    return null;
  }
  const lines = lineReader(sock);
  const ask = async (o: object) => {
    sock.write(JSON.stringify(o) + '\n');
    return (await lines.next(ANSWER_MS)) as { ok: boolean; error?: string; file?: string; session?: number };
  };
  let answer: Awaited<ReturnType<typeof ask>>;
  try {
    // The command line as typed: the monitor redacts it (record-socket.ts) before it is stored.
    answer = await ask({ op: 'record', pid: process.pid, argv: command, argv0: command[0], path: process.env['PATH'] ?? '', cwd: process.cwd() });
  } catch {
    sock.destroy();
    return null;
  }
  if (!answer.ok) {
    sock.destroy();
    if (!quiet) console.error(`agentsight: the monitor cannot record this (${answer.error}); recording on its own`);
    return null;
  }

  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  const child = spawn(resolved, command.slice(1), { stdio: 'inherit', argv0: command[0] });
  let terms = 0;
  const onTerm = () => child.kill(++terms > 1 ? 'SIGKILL' : 'SIGTERM');
  const onHup = () => child.kill('SIGHUP');
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  for (const [sig, f] of [['SIGINT', ignore], ['SIGQUIT', ignore], ['SIGTERM', onTerm], ['SIGHUP', onHup]] as const) process.off(sig, f);
  const ended = await ask({ op: 'end' }).catch(() => ({ ok: false, error: 'no answer' }));
  sock.end();
  if (!quiet) {
    console.error(
      ended.ok
        ? `agentsight: recorded by the monitor: session ${answer.session} in ${answer.file} (agentsight report --monitor)`
        : `agentsight: the monitor did not confirm the end of session ${answer.session} in ${answer.file} (${ended.error})`,
    );
  }
  if (exit.error) {
    console.error(`agentsight: ${command[0]}: ${exit.error.message}`);
    return (exit.error as NodeJS.ErrnoException).code === 'ENOENT' ? 127 : 126;
  }
  return exit.signal ? 128 + (signalNumber(exit.signal) ?? 1) : exit.code ?? 1;
}

function connect(p: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(p);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Newline-delimited JSON answers, one per call to next(). */
function lineReader(sock: net.Socket) {
  let buf = '';
  const queue: string[] = [];
  let waiting: ((l: string | null) => void) | null = null;
  sock.on('data', (d) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      queue.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    if (waiting && queue.length) {
      const w = waiting;
      waiting = null;
      w(queue.shift()!);
    }
  });
  sock.on('close', () => waiting?.(null));
  return {
    next(timeoutMs: number): Promise<unknown> {
      return new Promise((resolve, reject) => {
        if (queue.length) return resolve(JSON.parse(queue.shift()!));
        const t = setTimeout(() => reject(new Error('no answer')), timeoutMs);
        waiting = (l) => {
          clearTimeout(t);
          if (l === null) reject(new Error('connection closed'));
          else resolve(JSON.parse(l));
        };
      });
    },
  };
}
