// `record`'s start-up, as root with real BPF: the probe groups load on native threads while record's modules load
// (BpfCapture.preload), and AGENTSIGHT_TRACE_STARTUP=1 says where the time went. No timing is asserted here: the
// figures are measured by `npm run bench` (src/bench/startup-bench.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBpf } from '../helpers/bpf-env';
import { agentsight } from '../helpers/run';

let dir: string;

function meta(db: string, key: string): string | undefined {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  } finally {
    d.close();
  }
}

function execs(db: string): string[] {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT filename FROM execs ORDER BY id').all() as Array<{ filename: string }>).map((r) => r.filename);
  } finally {
    d.close();
  }
}

/** The phase names of AGENTSIGHT_TRACE_STARTUP's table, in order. */
function phases(stderr: string): string[] {
  const at = stderr.indexOf('agentsight: start-up phases');
  if (at < 0) return [];
  return [...stderr.slice(at).matchAll(/^ {2}(.+?)\s{2,}\d+\.\d\s+-?\d+\.\d$/gm)].map((m) => m[1]!);
}

describeBpf('record: start-up', [], () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-startup-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('AGENTSIGHT_TRACE_STARTUP=1: every phase once, in order, the loads begun before record\'s modules; the recording is whole', () => {
    const db = path.join(dir, 'traced.db');
    const r = agentsight(['record', '--no-web', '--db', db, '--', 'sh', '-c', 'exec /bin/true'], { env: { ...process.env, AGENTSIGHT_TRACE_STARTUP: '1' } });
    expect(r.code, r.stderr).toBe(0);
    const p = phases(r.stderr);
    // The addon is opened and the loads started (preload) before record's own modules are loaded.
    expect(p.slice(0, 3)).toEqual(['node started, CLI entry loaded, arguments parsed', 'addon opened', 'record modules loaded']);
    const loads = p.filter((x) => x.startsWith('load '));
    expect(loads).toHaveLength(1);
    expect(loads[0]).toMatch(/^load process, file, net, tls, pipe \(in parallel/);
    const order = ['store created', loads[0]!, 'attached', 'collector ready', 'TLS: system libraries', 'TLS: the command', 'command spawned', 'command exited', 'capture stopped (rings drained)', 'recording finalized', 'kernel side handed off'];
    expect(p.filter((x) => order.includes(x))).toEqual(order);
    expect(new Set(p).size).toBe(p.length);
    // Loaded in parallel, every group attached as before: the command's exec is in the recording, from sh on.
    const programs = JSON.parse(meta(db, 'capture_programs') ?? '[]') as Array<{ object: string; attached: boolean }>;
    for (const g of ['process', 'file', 'net']) expect(programs.some((x) => x.object === g && x.attached), g).toBe(true);
    expect(execs(db)).toEqual([expect.stringMatching(/\/(da|ba)?sh$/), expect.stringMatching(/\/true$/)]);
  });

  it('without the variable: no table', () => {
    const db = path.join(dir, 'plain.db');
    const env = { ...process.env };
    delete env['AGENTSIGHT_TRACE_STARTUP'];
    const r = agentsight(['record', '--no-web', '--db', db, '--', '/bin/true'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('start-up phases');
  });

  it('a command that cannot start: one line and its status, with the loads begun ahead of it joined (no crash at exit)', () => {
    const r = agentsight(['record', '--no-web', '--db', path.join(dir, 'never.db'), '--', 'agentsight-no-such-command'], { env: { ...process.env, AGENTSIGHT_TRACE_STARTUP: '1' } });
    expect(r.code).toBe(127);
    expect(r.stderr.trim().split('\n')).toEqual(['agentsight: agentsight-no-such-command: command not found']);
    expect(fs.existsSync(path.join(dir, 'never.db'))).toBe(false);
  });
});
