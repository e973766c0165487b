/**
 * The npm package as a user gets it: packed from this checkout, installed into a fresh prefix by a PATH that has no
 * clang, llvm or bpftool, then used. It must capture, replay and report with nothing but what it ships (the BPF
 * objects and the addon are built at pack time), and its man page must be where `man` looks.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBpf, ROOT } from '../helpers/bpf-env';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'as-pkg-'));
const prefix = path.join(work, 'prefix');
const shadowBin = path.join(work, 'bin');
/** Build tools the installed package must not need. */
const HIDDEN = /^(clang|clang\+\+|clang-\d+|llc|llc-\d+|llvm-.*|bpftool|pkg-config)$/;

/** A PATH of links to every program on the real PATH except the BPF build tools. */
function shadowPath(): string {
  fs.mkdirSync(shadowBin);
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (HIDDEN.test(n) || fs.existsSync(path.join(shadowBin, n))) continue;
      fs.symlinkSync(path.join(dir, n), path.join(shadowBin, n));
    }
  }
  return `${path.join(prefix, 'bin')}:${shadowBin}`;
}

let env: NodeJS.ProcessEnv;
let bin: string;

describeBpf('the npm package', ['process', 'file', 'net', 'tls'], () => {
  beforeAll(() => {
    env = { ...process.env, PATH: shadowPath(), npm_config_nodedir: process.env['npm_config_nodedir'] ?? '/usr' };
    expect(spawnSync('sh', ['-c', 'command -v clang || command -v bpftool'], { env }).status, 'the shadow PATH still has a BPF build tool').not.toBe(0);
    // The tree is built (make test builds first); prepack would run the same `make build`.
    const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
    const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', path.join(work, tarball)], { env, encoding: 'utf8', cwd: work });
    expect(install.status, install.stderr).toBe(0);
    bin = path.join(prefix, 'bin', 'agentsight');
  }, 600_000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('ships the BPF objects, the addon, the man page and the completions', () => {
    const pkg = path.join(prefix, 'lib', 'node_modules', 'agentsight');
    for (const f of ['bpf/.output/process.bpf.o', 'bpf/.output/tls.bpf.o', 'build/Release/agentsight.node', 'build/agentsight-launch', 'man/agentsight.1', 'completions/agentsight.bash', 'completions/agentsight.fish', 'completions/agentsight.zsh'])
      expect(fs.existsSync(path.join(pkg, f)), f).toBe(true);
    const version = execFileSync(bin, ['--version'], { env, encoding: 'utf8' });
    expect(version).toMatch(/^agentsight \d+\.\d+\.\d+ \(built from [0-9a-f]{12}/);
    expect(version).toMatch(/BTF yes/);
  });

  it('records, replays and reports from the installed package', () => {
    const db = path.join(work, 'run.db');
    const rec = spawnSync(bin, ['record', '-q', '--db', db, '--', 'sh', '-c', 'echo hello > written.txt'], { env, cwd: work, encoding: 'utf8' });
    expect(rec.status, rec.stderr).toBe(0);
    const top = execFileSync(bin, ['top', '--db', db, '--once', '--width', '160'], { env, encoding: 'utf8' });
    expect(top).toMatch(/sh/);
    const report = execFileSync(bin, ['report', 'audit', '--db', db], { env, encoding: 'utf8' });
    expect(report).toContain('written.txt');
    const doctor = spawnSync(bin, ['doctor'], { env, encoding: 'utf8' });
    expect(doctor.status, doctor.stdout).toBe(0);
    expect(doctor.stdout).toMatch(/probes: process\s+\d+\/\d+ attached/);
  });

  it('installs its man page where man finds it', () => {
    const text = execFileSync('man', ['agentsight'], { env: { ...env, MANPATH: path.join(prefix, 'share', 'man'), MANWIDTH: '120' }, encoding: 'utf8' });
    expect(text).toMatch(/agentsight record/);
  });
});
