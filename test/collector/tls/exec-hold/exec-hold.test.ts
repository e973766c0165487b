// The exec hold (bpf/process.bpf.c hold_exec, native/exec-guard.h, src/collector/tls/exec-hold.ts): a traced process
// execing a big file not yet probed is stopped before its first instruction and continued once its TLS probes are in;
// no process may stay stopped whatever happens to the collector, and nobody else's stop is undone. Real programs,
// real capture.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BpfCapture } from '../../../../src/collector/bpf-capture';
import { ExecHold } from '../../../../src/collector/tls/exec-hold';
import { describeBpf } from '../../../helpers/bpf-env';
import { REPO, captureCommand, tempDir } from '../../../helpers/capture';

let dir: string;
let big: string;

function state(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
  } catch {
    return '?';
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) if (cond()) return true;
  return cond();
}

/** A fresh copy of node: a file no capture has handled (its own inode), big enough to be held. */
function freshBig(name: string): string {
  const p = path.join(dir, name);
  fs.copyFileSync(process.execPath, p);
  fs.chmodSync(p, 0o755);
  return p;
}

describeBpf('exec hold: no TLS call before its probes, and nobody left stopped', ['process', 'tls'], () => {
  beforeAll(() => {
    dir = tempDir('as-hold-');
    big = freshBig('node-a');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds the first exec of an unseen binary, continues it once attached, and not the second exec', async () => {
    const cache = tempDir('as-hold-cache-');
    const prev = process.env.AGENTSIGHT_TLS_CACHE_DIR;
    process.env.AGENTSIGHT_TLS_CACHE_DIR = cache;
    try {
      // sh (small, not held) runs the copy twice; the second exec finds the file handled.
      const c = await captureCommand(dir, 'sh', ['-c', `${big} -e 'console.log(1)' && ${big} -e 'console.log(2)'`], { groups: ['process', 'tls'] });
      expect(c.exitCode, c.stderr).toBe(0);
      expect(c.stdout).toBe('1\n2\n');
      const hold = JSON.parse(c.store.info().meta['exec_hold'] ?? 'null');
      expect(hold).toMatchObject({ held: 1, timeouts: 0, notHeld: 0, atStop: 0 });
      expect(hold.maxMs).toBeGreaterThan(0);
      // The file's probes were attached while it was held.
      expect(c.store.tlsTargets().find((t) => t.path === big)?.status).toBe('attached');
      c.store.close();
    } finally {
      if (prev === undefined) delete process.env.AGENTSIGHT_TLS_CACHE_DIR;
      else process.env.AGENTSIGHT_TLS_CACHE_DIR = prev;
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it('a job-control shell (bash with set -m) sees no stop: its job is not held, and that is counted', async () => {
    const cache = tempDir('as-hold-cache-');
    const prev = process.env.AGENTSIGHT_TLS_CACHE_DIR;
    process.env.AGENTSIGHT_TLS_CACHE_DIR = cache;
    try {
      // With job control bash waits with WUNTRACED and would report a stopped job ("Stopped", status 148).
      const c = await captureCommand(dir, 'bash', ['-c', `set -m; ${freshBig('node-j')} -e 'console.log(1)'; echo rc=$?`], { groups: ['process', 'tls'] });
      expect(c.exitCode, c.stderr).toBe(0);
      expect(c.stdout).toBe('1\nrc=0\n');
      expect(c.stderr).not.toMatch(/Stopped/);
      expect(JSON.parse(c.store.info().meta['exec_hold'] ?? 'null')).toMatchObject({ held: 0, notHeld: 1 });
      c.store.close();
    } finally {
      if (prev === undefined) delete process.env.AGENTSIGHT_TLS_CACHE_DIR;
      else process.env.AGENTSIGHT_TLS_CACHE_DIR = prev;
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it('a process in another process group (a job-control shell would see the stop) is not held, and counted', async () => {
    const cap = BpfCapture.open({ allProcesses: false, groups: ['process'] });
    const hold = new ExecHold(cap.host, { minBytes: 1 << 20, timeoutMs: 60_000 });
    try {
      expect(hold.enabled).toBe(true);
      cap.addSeed(process.pid);
      // setsid: a new process group (and session) before the exec, as a job-control shell's job gets. Under sh: a child
      // of agentsight itself (as `record`'s command is) is held whatever its group.
      const r = spawnSync('sh', ['-c', `setsid -w ${freshBig('node-b')} -e 0`], { timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(hold.figures()).toMatchObject({ held: 0, notHeld: 1 });
    } finally {
      hold.stop();
      cap.close();
    }
  });

  it('the guard continues a process held past the bound, and counts it', async () => {
    const cap = BpfCapture.open({ allProcesses: false, groups: ['process'] });
    const hold = new ExecHold(cap.host, { minBytes: 1 << 20, timeoutMs: 1000 });
    try {
      cap.addSeed(process.pid);
      // Nobody releases it: only the guard can.
      const child = spawn(freshBig('node-c'), ['-e', '0'], { stdio: 'ignore' });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      expect(await until(() => state(child.pid!) === 'T', 10_000)).toBe(true);
      expect(await exited).toBe(0);
      expect(hold.figures().timeouts).toBe(1);
    } finally {
      hold.stop();
      cap.close();
    }
  });

  it('once the collector picks the exec up, the bound counts again from then; held time counts from the stop', async () => {
    const cap = BpfCapture.open({ allProcesses: false, groups: ['process'] });
    const hold = new ExecHold(cap.host, { minBytes: 1 << 20, timeoutMs: 3000 });
    try {
      cap.addSeed(process.pid);
      const child = spawn(freshBig('node-e'), ['-e', '0'], { stdio: 'ignore' });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      expect(await until(() => state(child.pid!) === 'T', 10_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 2000));
      hold.renew(child.pid!);
      // past the first bound (3 s from the stop), well before the renewed one (3 s from the renewal)
      await new Promise((r) => setTimeout(r, 1500));
      expect(state(child.pid!)).toBe('T');
      const ms = hold.release(child.pid!);
      expect(ms).toBeGreaterThanOrEqual(3500);
      expect(await exited).toBe(0);
      expect(hold.figures()).toMatchObject({ held: 1, timeouts: 0 });
    } finally {
      hold.stop();
      cap.close();
    }
  });

  it('kill -9 of the collector while it holds a process: the guard continues it', async () => {
    const script = path.join(REPO, 'test', 'collector', 'tls', 'exec-hold', 'hold-child.js');
    const coll = spawn(process.execPath, [script, '600000', freshBig('node-d'), '-e', 'setTimeout(() => 0, 10)'], {
      env: { ...process.env, AGENTSIGHT_DIST: path.join(REPO, 'dist') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    coll.stdout.on('data', (d) => (out += d));
    expect(await until(() => /held \d+/.test(out), 20_000), out).toBe(true);
    const pid = Number(/held (\d+)/.exec(out)![1]);
    expect(state(pid)).toBe('T');
    coll.kill('SIGKILL');
    // the held process runs to its end (it is the collector's child: reaped with it, so it disappears from /proc)
    expect(await until(() => state(pid) !== 'T', 10_000)).toBe(true);
    expect(await until(() => state(pid) === '?' || state(pid) === 'Z', 10_000)).toBe(true);
  });

  it('a process someone else stopped is not continued by the hold, the guard or the end of capture', async () => {
    const cap = BpfCapture.open({ allProcesses: false, groups: ['process'] });
    const hold = new ExecHold(cap.host, { minBytes: 1 << 20, timeoutMs: 300 });
    cap.addSeed(process.pid);
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      process.kill(sleeper.pid!, 'SIGSTOP');
      expect(await until(() => state(sleeper.pid!) === 'T', 5000)).toBe(true);
      expect(hold.release(sleeper.pid!)).toBeNull();
      await new Promise((r) => setTimeout(r, 800)); // past the guard's bound
      hold.stop();
      cap.close(); // the guard's final sweeps
      await new Promise((r) => setTimeout(r, 1500));
      expect(state(sleeper.pid!)).toBe('T');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
