/**
 * Every report subcommand on a real recording: `agentsight record` (BPF, root) runs a shell that spawns, fails an
 * exec, changes files and exits non-zero; then the built CLI reports on it and the JSON outputs meet their schemas.
 * Skipped with a loud reason without root/BPF, failed instead under AGENTSIGHT_REQUIRE_BPF=1 (see test/helpers).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { describeBpf } from '../helpers/bpf-env';
import { agentsight } from '../helpers/run';
import { schemaErrors, tempDir } from './helpers';

const parse = (s: string) => JSON.parse(s) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describeBpf('report on a real recording', [], () => {
  let dir: string;
  let db: string;
  const report = (args: string[]) => agentsight(['report', ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });

  beforeAll(() => {
    dir = tempDir();
    const script = 'mkdir -p work && cd work && echo hi > f.txt && mv f.txt g.txt && rm g.txt; /nonexistent/tool --x; sh -c "exit 3"; exit 7';
    const rec = agentsight(['record', '--quiet', '--', 'bash', '-c', script], { cwd: dir });
    expect(rec.code, rec.stderr).toBe(7);
    const files = fs.readdirSync(dir).filter((n) => /^agentsight-.*\.db$/.test(n));
    expect(files).toHaveLength(1);
    db = path.join(dir, files[0]);
  });

  it('summary: the command, its processes, the failed exec and the changed files', () => {
    const r = report(['--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = parse(r.stdout);
    expect(schemaErrors('report-summary', s)).toBeNull();
    expect(s.recording.command).toContain('/nonexistent/tool --x');
    expect(s.recording.durationNs).toBeGreaterThan(0);
    expect(s.processes.total).toBeGreaterThanOrEqual(5);
    expect(s.processes.failedExecs.map((e: { filename: string; error: string }) => [e.filename, e.error])).toContainEqual(['/nonexistent/tool', 'ENOENT']);
    const changed = new Map(s.files.changed.map((c: { path: string; ops: string[] }) => [c.path, c.ops]));
    expect(changed.get(path.join(dir, 'work'))).toEqual(['mkdir']);
    expect(changed.get(path.join(dir, 'work', 'f.txt'))).toEqual(expect.arrayContaining(['create', `rename→${path.join(dir, 'work', 'g.txt')}`]));
    expect(changed.get(path.join(dir, 'work', 'g.txt'))).toEqual(['unlink']);
    const text = report([]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Failed execs\n.*\n.*ENOENT\s+\/nonexistent\/tool --x/);
  });

  it('list, audit and export read it; prompts and token find no LLM calls (exit 1) with valid JSON', () => {
    const list = parse(report(['list', '--json']).stdout);
    expect(schemaErrors('report-list', list)).toBeNull();
    expect(list.recordings.map((r: { path: string }) => r.path)).toEqual([db]);

    const audit = parse(report(['audit', '--json']).stdout);
    expect(schemaErrors('report-audit', audit)).toBeNull();
    const exits = audit.events.filter((e: { kind: string }) => e.kind === 'spawn').map((e: { result: string }) => e.result);
    expect(exits).toEqual(expect.arrayContaining(['exit 7', 'exit 3']));
    expect(audit.events.find((e: { kind: string; result: string }) => e.kind === 'exec' && e.result === 'ENOENT')).toBeTruthy();

    const prompts = report(['prompts', '--json']);
    expect(prompts.code).toBe(1);
    expect(schemaErrors('report-prompts', parse(prompts.stdout))).toBeNull();
    const token = report(['token', '--json', '--group-by', 'day']);
    expect(token.code).toBe(1);
    expect(schemaErrors('report-token', parse(token.stdout))).toBeNull();
    expect(report(['token']).stderr).toMatch(/no LLM calls recorded\n$/);

    const out = path.join(dir, 'snapshot.json');
    expect(report(['export', '-o', out]).code).toBe(0);
    const snap = parse(fs.readFileSync(out, 'utf8'));
    expect(schemaErrors('snapshot', snap)).toBeNull();
    expect(snap.processes.length).toBe(parse(report(['--json']).stdout).processes.total);
  });

  it('a truncated copy of it: exit 2 and one line from the real CLI', () => {
    const cut = path.join(dir, 'cut.db');
    fs.writeFileSync(cut, fs.readFileSync(db).subarray(0, 8192));
    const r = report(['--db', cut]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^agentsight: .*cut\.db: /);
  });
});
