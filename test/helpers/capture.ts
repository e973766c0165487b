/**
 * Shared by the tests that load BPF programs (files, net, resources, record attach): a capture of real child processes
 * through the real collector. Gate such tests with describeBpf (./bpf-env).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureRunner } from '../../src/collector/capture-runner';
import { createRecording } from '../../src/store';
import type { SqliteStore } from '../../src/store';
import type { YieldOptions } from '../../src/native/addon';
import { ROOT } from './bpf-env';

export const REPO = ROOT;
export const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export function tempDir(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export interface Captured {
  store: SqliteStore;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  runner: CaptureRunner;
}

/**
 * Run one command as a traced child of this (untraced) test process, through the real capture and collector, into
 * a recording in dir. The store stays open for reading; close it when done.
 */
export async function captureCommand(
  dir: string,
  file: string,
  args: string[],
  opts: {
    cwd?: string;
    groups?: string[];
    /** Runs once the command is spawned and the collector told to yield (it is given the capture). */
    onRunning?: (runner: CaptureRunner) => Promise<unknown>;
    afterExit?: () => Promise<unknown>;
    /** Yielding options beyond untilExitOf (backlog marks, holding). */
    yieldOptions?: YieldOptions;
    /** Runs after the capture started and before the command is spawned (e.g. to attach uprobes to it). */
    beforeSpawn?: (runner: CaptureRunner) => void;
  } = {},
): Promise<Captured> {
  const store = createRecording(path.join(dir, `capture-${Date.now()}.db`));
  const runner = CaptureRunner.start(store, { mode: 'record', title: [file, ...args].join(' '), allProcesses: false, groups: opts.groups });
  runner.capture.addSeed(process.pid);
  opts.beforeSpawn?.(runner);
  const child = spawn(file, args, { cwd: opts.cwd ?? dir, stdio: ['ignore', 'pipe', 'pipe'] });
  // as `record` does: the collector yields the CPU to the command once it is spawned
  runner.capture.yieldToWorkload(true, { ...opts.yieldOptions, untilExitOf: child.pid });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await opts.onRunning?.(runner);
  const exitCode = await exited;
  await opts.afterExit?.();
  runner.capture.removeSeed(process.pid);
  await runner.stop();
  return { store, exitCode, stdout, stderr, runner };
}

/** Query bound for "everything", explicit: real Unix-ns timestamps (≈ 1.8e18) exceed Number.MAX_SAFE_INTEGER. */
export const ALL = { atNs: 8e18 } as const;
