// The fuzz watchdog must turn a synchronous hang into a prompt, explained failure. The hang runs in a child process
// (the watchdog kills the process it runs in), through tsx as vitest would load the harness.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const WATCHDOG = join(__dirname, 'hang-watchdog.ts');

function runChild(body: string): ReturnType<typeof spawnSync> {
  const script = `const { startHangWatchdog } = require(${JSON.stringify(WATCHDOG)});\n${body}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
    cwd: join(__dirname, '../..'),
  });
}

describe('fuzz hang watchdog', () => {
  it('kills a process stuck in one input and names the input and seed', () => {
    const r = runChild(`const w = startHangWatchdog('spin', 4242, 1500); w.beat(0); w.beat(1); w.beat(7); for (;;) {}`);
    expect(r.signal, `stderr: ${r.stderr}`).toBe('SIGKILL');
    expect(r.stderr).toMatch(/fuzz spin: input 7 has run for \d+ s \(hang\): replay with FUZZ_SEED=4242/);
  });

  it('leaves a loop that keeps beating alone and never holds the process open', () => {
    const r = runChild(`
      const w = startHangWatchdog('busy', 1, 1500);
      const t0 = Date.now();
      for (let i = 0; Date.now() - t0 < 4000; i++) { w.beat(i); const s = Date.now(); while (Date.now() - s < 20) {} }
      w.stop();
      console.log('done');`);
    expect(r.signal, `stderr: ${r.stderr}`).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('done');
  });
});
