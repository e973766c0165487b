/**
 * Real workloads under the real capture: every file operation must come out with its absolute path and the right
 * counts, whatever way the process named the file (absolute, cwd-relative, dirfd-relative, `..`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FileOpRow } from '../../../src/store/types';
import { describeBpf } from '../../helpers/bpf-env';
import { ALL, captureCommand, PYTHON, tempDir } from '../../helpers/capture';

const N = 1000;

// Creates, writes, renames, truncates and deletes N files; even files by absolute path, odd ones relative to the cwd.
const CHURN = `
import os, sys
d = sys.argv[1]
n = int(sys.argv[2])
os.chdir(d)
os.mkdir('sub')
for i in range(n):
    a = f'{d}/sub/f{i}' if i % 2 == 0 else f'sub/f{i}'
    b = f'{d}/sub/g{i}' if i % 2 == 0 else f'sub/../sub/g{i}'
    with open(a, 'w') as f:
        f.write('x' * (i + 1))
    os.rename(a, b)
    os.truncate(b, 1)
    os.unlink(b)
os.rmdir('sub')
`;

describeBpf('file capture', ['process', 'file'], () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('agentsight-files-');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`sees every create, write, rename, truncate and unlink of ${N} files with absolute paths`, async () => {
    const work = path.join(dir, 'churn');
    fs.mkdirSync(work);
    const cap = await captureCommand(dir, PYTHON, ['-c', CHURN, work, String(N)]);
    expect(cap.stderr).toBe('');
    expect(cap.exitCode).toBe(0);
    const rows = cap.store.fileOps(ALL).filter((r) => r.path.startsWith(work));
    const by = (op: string) => rows.filter((r) => r.op === op && r.result === 0);
    const sub = `${work}/sub`;
    for (const op of ['create', 'write', 'rename', 'truncate', 'unlink']) expect(by(op).length, op).toBe(N);
    const creates = new Map(by('create').map((r) => [r.path, r]));
    const writes = new Map(by('write').map((r) => [r.path, r]));
    const renames = new Map(by('rename').map((r) => [r.path, r]));
    const truncs = new Map(by('truncate').map((r) => [r.path, r]));
    const unlinks = new Map(by('unlink').map((r) => [r.path, r]));
    for (let i = 0; i < N; i++) {
      const f = `${sub}/f${i}`;
      const g = `${sub}/g${i}`;
      expect(creates.get(f)?.count, f).toBe(1);
      expect(writes.get(f)?.bytes, f).toBe(i + 1);
      expect(writes.get(f)?.count, f).toBe(1);
      expect(renames.get(f)?.path2, f).toBe(g);
      expect(truncs.get(g)?.count, g).toBe(1);
      expect(unlinks.get(g)?.count, g).toBe(1);
    }
    expect(by('mkdir').map((r) => r.path)).toEqual([sub]);
    expect(by('rmdir').map((r) => r.path)).toEqual([sub]);
    const proc = cap.store.processes(ALL).find((p) => p.comm.startsWith('python'));
    expect(rows.every((r) => r.processId === proc?.id)).toBe(true);
    expect(rows.every((r) => !r.pathClipped)).toBe(true);
    expect(cap.store.lossTotals(ALL).filter((l) => l.count > 0 && !l.source.endsWith(':clipped'))).toEqual([]);
    cap.store.close();
  });

  it('resolves dirfd-relative `..`, paths after chdir, failed opens and shell redirections', async () => {
    const work = path.join(dir, 'rel');
    fs.mkdirSync(path.join(work, 'a', 'b'), { recursive: true });
    const script = `
import os, sys
w = sys.argv[1]
fd = os.open(w + '/a/b', os.O_RDONLY | os.O_DIRECTORY)
os.close(os.open('../x', os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
os.mkdir('../../m', dir_fd=fd)
os.rename('../x', '../../m/y', src_dir_fd=fd, dst_dir_fd=fd)
os.chdir(w + '/a/b')
open('../../z', 'w').close()
os.symlink('target-text', 'ln')
try:
    open('../../missing/file')
except FileNotFoundError:
    pass
os.system('echo hi > ./redirected; echo more >> ./redirected')
`;
    const cap = await captureCommand(dir, PYTHON, ['-c', script, work], { cwd: '/' });
    expect(cap.stderr).toBe('');
    const rows = cap.store.fileOps(ALL).filter((r) => r.path.startsWith(work));
    const find = (op: string, p: string, result = 0): FileOpRow | undefined =>
      rows.find((r) => r.op === op && r.path === p && r.result === result);
    expect(find('create', `${work}/a/x`)).toBeDefined();
    expect(find('mkdir', `${work}/m`)).toBeDefined();
    expect(find('rename', `${work}/a/x`)?.path2).toBe(`${work}/m/y`);
    expect(find('create', `${work}/z`)).toBeDefined();
    expect(find('symlink', `${work}/a/b/ln`)?.path2).toBe('target-text');
    expect(find('open', `${work}/missing/file`, -2)?.count).toBe(1);
    // the shell opens, dup2s onto fd 1 and closes: the writes through fd 1 still belong to the file
    const red = `${work}/a/b/redirected`;
    expect(find('create', red)).toBeDefined();
    expect(find('write', red)?.bytes).toBe(8);
    expect(find('write', red)?.count).toBe(2);
    expect(rows.every((r) => r.path.startsWith('/') && !r.path.includes('/../') && !r.path.includes('/./'))).toBe(true);
    cap.store.close();
  });
});
