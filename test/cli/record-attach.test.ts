/**
 * `agentsight record -p PID` and `record -c COMM` through the real CLI: a process started before the recording, and
 * the children it starts afterwards, are captured; with -c, a process of that name started after the recording
 * began is captured too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRecording } from '../../src/store';
import { describeBpf } from '../helpers/bpf-env';
import { ALL, REPO, tempDir } from '../helpers/capture';

const CLI = path.join(REPO, 'dist', 'cli', 'index.js');

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** Wait until the CLI's capture is up: the recording file exists and holds the attach meta. */
async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeBpf('record -p / -c', ['process', 'file'], () => {
  let dir: string;
  const kids: ChildProcess[] = [];
  beforeAll(() => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} missing: build first (npx tsc -p .)`);
    dir = tempDir('agentsight-attach-');
  });
  afterAll(() => {
    for (const k of kids) k.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A target that waits for a go-file (so it is surely running before the recording starts and acts only after
   * the capture is attached), then writes a file itself and starts a child that writes another.
   */
  function target(name: string): { script: string; go: string } {
    const script = path.join(dir, name);
    const go = path.join(dir, `${name}.go`);
    fs.writeFileSync(script, `#!/bin/bash\nwhile [ ! -e ${go} ]; do sleep 0.05; done\necho parent > ${dir}/${name}.$$.out\nbash -c "echo child > ${dir}/${name}.$$.child"\n`, { mode: 0o755 });
    return { script, go };
  }

  it('-p captures a running process and the children it starts', async () => {
    const t = target('ptarget');
    const proc = spawn(t.script, [], { stdio: 'ignore' });
    kids.push(proc);
    const db = path.join(dir, 'p.db');
    const rec = runCli(['record', '-q', '--db', db, '-p', String(proc.pid)]);
    await until(() => fs.existsSync(db) && hasMeta(db, 'attached_pids'));
    fs.writeFileSync(t.go, '');
    const res = await rec; // ends by itself when the target tree has exited
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const store = openRecording(db);
    const procs = store.processes(ALL);
    const root = procs.find((p) => p.pid === proc.pid);
    expect(root?.seeded).toBe(true);
    const child = procs.find((p) => p.parentId === root?.id && p.comm === 'bash');
    expect(child).toBeDefined();
    const writes = store.fileOps(ALL).filter((r) => r.op === 'write' && r.path.startsWith(dir));
    expect(writes.find((r) => r.path === `${dir}/ptarget.${proc.pid}.out`)?.processId).toBe(root?.id);
    expect(writes.find((r) => r.path === `${dir}/ptarget.${proc.pid}.child`)?.processId).toBe(child?.id);
    store.close();
  });

  it('-c captures running and later processes of that name, with their children', async () => {
    const t = target('ctarget');
    const before = spawn(t.script, [], { stdio: 'ignore' });
    kids.push(before);
    const db = path.join(dir, 'c.db');
    const rec = runCli(['record', '-q', '--db', db, '-c', 'ctarget', '--duration', '4']);
    await until(() => fs.existsSync(db) && hasMeta(db, 'attached_pids'));
    const after = spawn(t.script, [], { stdio: 'ignore' });
    kids.push(after);
    fs.writeFileSync(t.go, '');
    const res = await rec;
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const store = openRecording(db);
    const procs = store.processes(ALL);
    const writes = store.fileOps(ALL).filter((r) => r.op === 'write' && r.path.startsWith(dir));
    for (const p of [before, after]) {
      const row = procs.find((r) => r.pid === p.pid && r.comm === 'ctarget');
      expect(row, `pid ${p.pid}`).toBeDefined();
      const child = procs.find((r) => r.parentId === row?.id && r.comm === 'bash');
      expect(child, `child of ${p.pid}`).toBeDefined();
      expect(writes.find((r) => r.path === `${dir}/ctarget.${p.pid}.out`)?.processId).toBe(row?.id);
      expect(writes.find((r) => r.path === `${dir}/ctarget.${p.pid}.child`)?.processId).toBe(child?.id);
    }
    store.close();
  });

  it('-p with --duration says the target is still running, not that it exited', async () => {
    const proc = spawn('sleep', ['60'], { stdio: 'ignore' });
    kids.push(proc);
    const db = path.join(dir, 'd.db');
    const res = await runCli(['record', '--db', db, '-p', String(proc.pid), '--duration', '1']);
    expect(res.code, res.stderr).toBe(0);
    const closing = res.stderr.split('\n').find((l) => l.startsWith(`agentsight: attach -p ${proc.pid}: `));
    expect(closing, res.stderr).toMatch(/stopped at --duration, 1 process still running; recorded for \d/);
    expect(res.stderr).not.toMatch(/exited 0/);
    proc.kill('SIGKILL');
  });
});

function hasMeta(db: string, key: string): boolean {
  try {
    const s = openRecording(db);
    const ok = key in s.info().meta;
    s.close();
    return ok;
  } catch {
    return false;
  }
}
