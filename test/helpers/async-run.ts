/** Run a command without blocking the test's event loop (servers in the test process keep answering). */
import { spawn, type SpawnOptions } from 'node:child_process';

export interface AsyncResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runAsync(cmd: string, args: string[], opts: SpawnOptions = {}, timeoutMs = 300_000): Promise<AsyncResult> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    c.stdout?.on('data', (d) => (stdout += d));
    c.stderr?.on('data', (d) => (stderr += d));
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('error', reject);
    c.on('exit', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
