/** Run the built CLI (or any command) and collect its output; never throws on a non-zero exit. */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { CLI } from './bpf-env';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, maxBuffer: 256 << 20, ...opts });
  return { code: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export function agentsight(args: string[], opts: SpawnSyncOptions = {}): RunResult {
  return run(process.execPath, [CLI, ...args], opts);
}
