// `agentsight monitor install-service`: the systemd unit it writes is accepted by `systemd-analyze verify` (no systemd
// runs as PID 1 here, so the unit file is what is checked), names this installation by absolute paths, restarts on
// failure, starts at boot, and carries the monitor options given; uninstall-service removes it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser } from '../helpers/as-user';
import { CLI, ROOT } from '../helpers/bpf-env';
import { run } from '../helpers/run';

let dir: string;

function cli(args: string[]) {
  return run(process.execPath, [CLI, ...args]);
}

describe('monitor install-service', () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-unit-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--dry-run prints a unit systemd-analyze verify accepts', () => {
    const r = cli(['monitor', '--dir', '/srv/agent sight', '--agent', 'my-agent', '--keep-days', '30', '--max-size', '2G', 'install-service', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    const unit = r.stdout;
    const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!;
    expect(exec).toBe(`${process.execPath} ${fs.realpathSync(path.join(ROOT, 'bin', 'agentsight'))} monitor --dir "/srv/agent sight" --agent my-agent --keep-days 30 --max-size ${2 * 1024 ** 3}`);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    const file = path.join(dir, 'agentsight-monitor.service');
    fs.writeFileSync(file, unit);
    const v = run('systemd-analyze', ['verify', file]);
    expect(v.code, v.stderr + v.stdout).toBe(0);
    expect(v.stderr).toBe('');
  });

  it('a unit systemd cannot use is rejected by the same check (the check can fail)', () => {
    const file = path.join(dir, 'agentsight-monitor.service');
    const r = cli(['monitor', 'install-service', '--dry-run']);
    fs.writeFileSync(file, r.stdout.replace(/^ExecStart=\S+/m, 'ExecStart=relative/node'));
    expect(run('systemd-analyze', ['verify', file]).code).not.toBe(0);
  });

  it('installs into a unit directory and uninstalls from it', () => {
    const units = path.join(dir, 'units');
    const i = cli(['monitor', 'install-service', '--unit-dir', units]);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stderr).toContain(`wrote ${path.join(units, 'agentsight-monitor.service')}`);
    const st = fs.statSync(path.join(units, 'agentsight-monitor.service'));
    expect(st.mode & 0o777).toBe(0o644);
    expect(cli(['monitor', 'uninstall-service', '--unit-dir', units]).code).toBe(0);
    expect(fs.existsSync(path.join(units, 'agentsight-monitor.service'))).toBe(false);
    const again = cli(['monitor', 'uninstall-service', '--unit-dir', units]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(`agentsight: uninstall-service: no agentsight-monitor.service in ${units}`);
  });

  it('the monitor itself needs root: one line, exit 1; status works without root', () => {
    // as-user.ts: the checkout may be in a directory nobody cannot enter (a 0700 clone)
    const nobody = (...args: string[]) => asUser(65534, 65534, process.execPath, [CLI, 'monitor', ...args], 'clear');
    const r = run(...nobody('--dir', dir));
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('agentsight: monitor needs root to load BPF programs: run it as the service (sudo agentsight monitor install-service) or with sudo');
    const s = run(...nobody('status', '--dir', dir));
    expect(s.code).toBe(3);
    expect(s.stdout).toBe('agentsight monitor: not running (never ran with this directory)\n  your recordings: none\n');
  });

  it('bad options are one line and exit 2', () => {
    const r = cli(['monitor', '--max-size', 'lots', 'install-service', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("agentsight: --max-size must be a size such as 500M or 4G, got 'lots'");
  });
});
