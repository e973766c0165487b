/**
 * Start `agentsight report serve` (the real CLI, as a child process) on a recording and read the URL it prints; for
 * the web UI's tests. stop() sends SIGINT, as a person's Ctrl-C would, and waits for the exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './bpf-env';

export interface Served {
  url: string;
  origin: string;
  port: number;
  token: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** Read the `http://…?token=…` line a serving command prints (report serve on stdout, record/top on stderr). */
export function waitForUrl(child: ChildProcess, what: string, timeoutMs = 30_000): Promise<{ url: string; all: () => string }> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} printed no URL in ${timeoutMs} ms: ${out}`)), timeoutMs);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /http:\/\/[^\s]+\?token=[A-Za-z0-9_-]+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[0], all: () => out });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before printing a URL: ${out}`));
    });
  });
}

export async function serveRecording(db: string, extra: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'report', 'serve', '--db', db, '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const { url, all } = await waitForUrl(child, 'report serve');
  const u = new URL(url);
  return {
    url,
    origin: u.origin,
    port: Number(u.port),
    token: u.searchParams.get('token')!,
    child,
    output: all,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGINT');
      }),
  };
}
