/**
 * Live `top -p PID` and `top -c NAME` (issue 22): a process that is no known agent is watched as if it were one —
 * it and what it starts, including children started after the capture began — and nothing else is listed; as
 * `record -p/-c` records them. Real processes: a shell loop that starts a `sleep` every 100 ms, and a `sleep`
 * exec'd under a name of its own (a symlink, so the kernel's comm is that name).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { tempDir } from './helpers';

let dir: string;
const kids: ChildProcess[] = [];

async function until(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function start(cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, { stdio: 'ignore' });
  kids.push(c);
  return c;
}

describeBpf('live top -p / -c', [], () => {
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => {
    for (const k of kids) k.kill('SIGKILL');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('-p PID: that process tree is the session, children started later included; nothing else is', async () => {
    const loop = start('sh', ['-c', 'while true; do sleep 0.1; done']);
    const other = start('sh', ['-c', 'while true; do sleep 0.1; done']);
    await until(() => fs.existsSync(`/proc/${loop.pid}`) && fs.existsSync(`/proc/${other.pid}`), 'the loops running');
    const r = await runAsync(process.execPath, [CLI, 'top', '-p', String(loop.pid), '--once', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.sessions).toHaveLength(1);
    const s = j.sessions[0];
    expect(s.summary.agent).toBe('sh');
    const pids = JSON.stringify(s).match(/"pid":\d+/g)!.map((x) => Number(x.slice(6)));
    expect(pids.length).toBeGreaterThan(0);
    expect(pids).toContain(loop.pid);
    expect(pids).not.toContain(other.pid);
    // sleeps forked by the loop during the one-second capture: started after -p attached
    expect(s.summary.processes).toBeGreaterThanOrEqual(3);
    const text = await runAsync(process.execPath, [CLI, 'top', '-p', String(loop.pid), '--once', '--width', '200']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^command: agentsight top -p ${loop.pid}$`, 'm'));
    expect(text.stdout).toMatch(/[├└]─ \d+ sleep 0\.1 +exit 0/);
  }, 60_000);

  it('-c NAME: processes of that name are sessions', async () => {
    const name = `watchme-${process.pid}`.slice(0, 15);
    const link = path.join(dir, name);
    fs.symlinkSync(fs.realpathSync('/bin/sleep'), link);
    const p = start(link, ['30']);
    await until(() => fs.existsSync(`/proc/${p.pid}`) && fs.readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim() === name, 'the named process');
    const r = await runAsync(process.execPath, [CLI, 'top', '-c', name, '--once', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.sessions).toHaveLength(1);
    expect(j.sessions[0].summary.agent).toBe(name);
    expect(JSON.stringify(j.sessions[0])).toContain(`"pid":${p.pid}`);
  }, 60_000);

  it('refuses a missing process, an empty name, and -p/-c with a recording', async () => {
    for (const [args, msg] of [
      [['top', '-p', '999999999', '--once'], 'agentsight: top: -p 999999999: no such process'],
      [['top', '-c', '', '--once'], 'agentsight: top: -c: empty process name'],
      [['top', '--db', path.join(dir, 'x.db'), '-p', '1', '--once'], 'agentsight: top: -p watches live processes; a recording (--db) shows what it recorded'],
    ] as const) {
      const r = await runAsync(process.execPath, [CLI, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`${msg}\n`);
    }
  });
});
