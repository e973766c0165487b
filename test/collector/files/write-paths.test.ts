/**
 * Every way bytes reach a file, through the real CLI (`record`, then `report audit --json`, `report`, `top --once`):
 * copy_file_range (cp, cat >), reflink clones (cp on xfs), sendfile, splice, pwritev2, fallocate and io_uring are
 * recorded like write, with their bytes; io_uring path operations like their syscalls, and the io_uring requests we
 * cannot record are losses that every reader shows; paths given through
 * /proc/self/fd/N, /proc/thread-self/fd/N and /proc/PID/fd/N come out as the file's real path.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRecording } from '../../../src/store';
import { describeBpf } from '../../helpers/bpf-env';
import { ALL, PYTHON, REPO, tempDir } from '../../helpers/capture';
import { agentsight } from '../../helpers/run';

const MIB = 1 << 20;

interface AuditFile {
  kind: string;
  pid: number;
  detail: { op: string; path: string; path2: string | null; bytes: number; result: number; flags: number | null };
}

/** `record` the command into dir/name.db, then the file events of `report audit --json --all-files`. */
function recordAndAudit(dir: string, name: string, cmd: string[]): { db: string; files: AuditFile['detail'][] } {
  const db = path.join(dir, `${name}.db`);
  const rec = agentsight(['record', '-q', '--db', db, '--', ...cmd], { cwd: dir });
  expect(rec.stderr).toBe('');
  expect(rec.code).toBe(0);
  const audit = agentsight(['report', 'audit', '--json', '--db', db]);
  expect(audit.code, audit.stderr).toBe(0);
  const events = (JSON.parse(audit.stdout) as { events: AuditFile[] }).events;
  return { db, files: events.filter((e) => e.kind === 'file').map((e) => e.detail) };
}

/** Bytes of every successful row of op on path (rows are per process: a shell's children write apart). */
function bytesOf(files: AuditFile['detail'][], op: string, p: string): number {
  return files.filter((f) => f.op === op && f.path === p && f.result === 0).reduce((a, f) => a + f.bytes, 0);
}

describeBpf('write paths', ['process', 'file'], () => {
  let dir: string;
  let src: string;
  beforeAll(() => {
    dir = tempDir('agentsight-writes-');
    src = path.join(dir, 'src');
    fs.writeFileSync(src, Buffer.alloc(MIB, 7));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('cp, cat > and os.sendfile of 1 MiB each show a write of 1,048,576 bytes on the destination', () => {
    const sendfile = `import os, sys
a = os.open(sys.argv[1], os.O_RDONLY)
b = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
n = 0
while n < ${MIB}:
    n += os.sendfile(b, a, n, ${MIB} - n)
`;
    const script = `cp ${src} ${dir}/by-cp; cat ${src} > ${dir}/by-cat; ${PYTHON} -c '${sendfile}' ${src} ${dir}/by-sendfile`;
    const { files } = recordAndAudit(dir, 'copies', ['sh', '-c', script]);
    for (const dst of ['by-cp', 'by-cat', 'by-sendfile']) {
      const p = path.join(dir, dst);
      expect(fs.statSync(p).size).toBe(MIB);
      expect(files.some((f) => f.op === 'create' && f.path === p), dst).toBe(true);
      expect(bytesOf(files, 'write', p), dst).toBe(MIB);
    }
    // the copies are read, never written: no write is attributed to the source
    expect(bytesOf(files, 'write', src)).toBe(0);
  });

  it('cp on a reflink filesystem (xfs: ioctl FICLONE, no write at all) shows the bytes it copied', () => {
    // a 320 MiB sparse xfs image on a loop device (xfsprogs is in the Makefile's APT_PACKAGES)
    const img = path.join(dir, 'xfs.img');
    const mnt = path.join(dir, 'xfs');
    fs.mkdirSync(mnt);
    fs.writeFileSync(img, '');
    fs.truncateSync(img, 320 * MIB);
    const mkfs = spawnSync('mkfs.xfs', ['-q', img], { encoding: 'utf8' });
    expect(mkfs.status, `mkfs.xfs: ${mkfs.error?.message ?? mkfs.stderr}`).toBe(0);
    const mount = spawnSync('mount', ['-o', 'loop', img, mnt], { encoding: 'utf8' });
    expect(mount.status, `mount -o loop: ${mount.stderr}`).toBe(0);
    try {
      fs.writeFileSync(`${mnt}/src`, Buffer.alloc(MIB, 3));
      const { files } = recordAndAudit(dir, 'reflink', ['sh', '-c', `cp ${mnt}/src ${mnt}/by-clone && cp --reflink=always ${mnt}/src ${mnt}/by-clone2`]);
      for (const dst of ['by-clone', 'by-clone2']) {
        expect(files.some((f) => f.op === 'create' && f.path === `${mnt}/${dst}`), dst).toBe(true);
        expect(bytesOf(files, 'write', `${mnt}/${dst}`), dst).toBe(MIB);
      }
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('splice from a pipe, pwritev2, fallocate and shared writable mmaps are recorded with their sizes', () => {
    const script = `import os, sys
d = sys.argv[1]
r, w = os.pipe()
os.write(w, b's' * 32768)
os.close(w)
f = os.open(d + '/by-splice', os.O_WRONLY | os.O_CREAT, 0o644)
n = 0
while n < 32768:
    n += os.splice(r, f, 32768 - n)
g = os.open(d + '/by-pwritev', os.O_WRONLY | os.O_CREAT, 0o644)
# with flags Python calls pwritev2
assert os.pwritev(g, [b'a' * 1000, b'b' * 234], 0, os.RWF_DSYNC) == 1234
h = os.open(d + '/by-posix-fallocate', os.O_WRONLY | os.O_CREAT, 0o644)
os.posix_fallocate(h, 0, 200000)
import mmap
m = os.open(d + '/by-mmap', os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(m, 65536)
with mmap.mmap(m, 65536) as mm:
    mm[0:5] = b'hello'
with mmap.mmap(m, 4096, flags=mmap.MAP_PRIVATE) as mm:
    mm[0:5] = b'never'
mfd = os.memfd_create('scratch')
os.ftruncate(mfd, 4096)
with mmap.mmap(mfd, 4096) as mm:
    mm[0:1] = b'x'
`;
    const cmd = `${PYTHON} -c "$1" ${dir} && fallocate -l 1048576 ${dir}/by-fallocate && fallocate --keep-size -o 4096 -l 8192 ${dir}/by-fallocate`;
    const { files } = recordAndAudit(dir, 'others', ['sh', '-c', cmd, 'sh', script]);
    expect(bytesOf(files, 'write', `${dir}/by-splice`)).toBe(32768);
    expect(bytesOf(files, 'write', `${dir}/by-pwritev`)).toBe(1234);
    expect(bytesOf(files, 'fallocate', `${dir}/by-posix-fallocate`)).toBe(200000);
    expect(bytesOf(files, 'fallocate', `${dir}/by-fallocate`)).toBe(MIB + 8192);
    // each fallocate process's row keeps its mode: 0, then FALLOC_FL_KEEP_SIZE
    expect(files.filter((f) => f.op === 'fallocate' && f.path === `${dir}/by-fallocate`).map((f) => f.flags).sort()).toEqual([0, 1]);
    // an allocation is not data written
    expect(bytesOf(files, 'write', `${dir}/by-fallocate`)).toBe(0);
    // a shared writable mapping is its own op with the length mapped; a private one and a memfd's are not changes
    expect(files.filter((f) => f.op === 'mmap').map((f) => `${f.path} ${f.bytes}`)).toEqual([`${dir}/by-mmap 65536`]);
  });

  it('io_uring: writes, fallocate and path operations are recorded with their results; a CQE-less write is a loss every reader shows', () => {
    const bin = path.join(dir, 'uring-writer');
    const cc = spawnSync('cc', ['-O2', '-o', bin, path.join(REPO, 'test', 'fixtures', 'io-uring', 'uring-writer.c')], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const work = path.join(dir, 'uring');
    fs.mkdirSync(work);
    const { db, files } = recordAndAudit(dir, 'uring', [bin, work]);
    const out = `${work}/uring-out`;
    expect(files.some((f) => f.op === 'create' && f.path === out)).toBe(true);
    // 1 MiB by IORING_OP_WRITE, 2 × 4096 by IORING_OP_WRITEV; the 512-byte write asked for no completion
    expect(bytesOf(files, 'write', out)).toBe(MIB + 8192);
    expect(bytesOf(files, 'fallocate', out)).toBe(65536);
    expect(fs.existsSync(`${work}/uring-gone`)).toBe(false);
    // path operations, seen at submission (relative to a directory fd) and paired with their completion's result
    const ops = files.filter((f) => f.path.startsWith(work) && !['create', 'write', 'fallocate'].includes(f.op))
      .map((f) => `${f.op} ${path.relative(work, f.path)}${f.path2 ? ` ${f.path2.startsWith('/') ? path.relative(work, f.path2) : f.path2}` : ''} ${f.result}`);
    expect(ops.sort()).toEqual([
      'link sub/renamed hard 0',
      'mkdir sub 0',
      'rename uring-out sub/renamed 0',
      'symlink sub/ln target-text 0',
      'unlink uring-gone -2',
      'unlink uring-gone 0',
    ]);

    const report = agentsight(['report', '--json', '--db', db]);
    expect(report.code, report.stderr).toBe(0);
    const text = agentsight(['report', '--db', db]);
    expect(text.stdout).toMatch(/io_uring:untraced\s+1\b/);
    expect(text.stdout).not.toContain('Losses none');
    const once = agentsight(['top', '--once', '--db', db]);
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout).toContain('io_uring:untraced 1');
    expect(JSON.stringify(JSON.parse(report.stdout))).toContain('io_uring:untraced');
    // stored per process, with the request named
    const store = openRecording(db);
    const losses = store.losses(ALL).filter((l) => l.source === 'io_uring:untraced');
    store.close();
    expect(losses.map((l) => [l.count, l.processId !== null, l.detail])).toEqual([
      [1, true, 'io_uring requests not recorded as file operations: write (no completion posted) ×1'],
    ]);
  });

  it("node with libuv's io_uring (UV_USE_IO_URING=1, an SQPOLL ring): writes and path operations recorded", () => {
    const work = path.join(dir, 'libuv');
    fs.mkdirSync(work);
    const script = `const fs = require('fs/promises');
(async () => {
  await fs.writeFile('${work}/a.txt', 'x'.repeat(1000));
  await fs.rename('${work}/a.txt', '${work}/b.txt');
  await fs.unlink('${work}/b.txt');
  const h = await fs.open('${work}/c.txt', 'w');
  await h.write(Buffer.alloc(5000));
  await h.close();
})();`;
    const db = path.join(dir, 'libuv.db');
    const rec = agentsight(['record', '-q', '--db', db, '--', process.execPath, '-e', script], { env: { ...process.env, UV_USE_IO_URING: '1' } });
    expect(rec.code, rec.stderr).toBe(0);
    const audit = agentsight(['report', 'audit', '--json', '--db', db]);
    const files = (JSON.parse(audit.stdout) as { events: AuditFile[] }).events.filter((e) => e.kind === 'file').map((e) => e.detail);
    expect(bytesOf(files, 'write', `${work}/a.txt`)).toBe(1000);
    expect(bytesOf(files, 'write', `${work}/c.txt`)).toBe(5000);
    expect(files.some((f) => f.op === 'create' && f.path === `${work}/c.txt`)).toBe(true);
    // the rename and the unlink (through the ring, as libuv 1.46 does them) are rows too, and nothing is a loss
    expect(files.find((f) => f.op === 'rename' && f.path === `${work}/a.txt`)?.path2).toBe(`${work}/b.txt`);
    expect(files.some((f) => f.op === 'unlink' && f.path === `${work}/b.txt` && f.result === 0)).toBe(true);
    const store = openRecording(db);
    expect(store.losses(ALL).filter((l) => l.source.startsWith('io_uring'))).toEqual([]);
    store.close();
  });

  it('paths through /proc/self/fd/N, /proc/thread-self/fd/N and /proc/PID/fd/N are stored as the real path', () => {
    const work = path.join(dir, 'procfd');
    fs.mkdirSync(work);
    const script = `import os, sys
d = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
os.close(os.open(f'/proc/self/fd/{d}/name', os.O_WRONLY | os.O_CREAT, 0o644))
os.rename(f'/proc/{os.getpid()}/fd/{d}/name', f'/proc/thread-self/fd/{d}/renamed')
f = os.open(f'/proc/self/fd/{d}/renamed', os.O_WRONLY)
os.truncate(f'/proc/self/fd/{f}', 0)
# an open of the bare link is the file itself (the open's walk); writes through it belong to the real path
g = os.open(f'/proc/self/fd/{f}', os.O_WRONLY | os.O_APPEND)
os.write(g, b'abc')
os.mkdir(f'/proc/self/fd/{d}/sub')
os.rmdir(f'/proc/self/fd/{d}/sub')
try:
    os.unlink(f'/proc/self/fd/{d}/missing')
except FileNotFoundError:
    pass
os.unlink(f'/proc/self/fd/{d}/renamed')
# another process's fd: /proc/PID/fd of a child holding the directory open
import subprocess
child = subprocess.Popen([sys.executable, '-c', 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY); print(fd, flush=True); sys.stdin.read()', sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
cfd = int(child.stdout.readline())
os.close(os.open(f'/proc/{child.pid}/fd/{cfd}/theirs', os.O_WRONLY | os.O_CREAT, 0o644))
os.unlink(f'/proc/{child.pid}/fd/{cfd}/theirs')
child.stdin.close()
child.wait()
`;
    const { files } = recordAndAudit(dir, 'procfd', [PYTHON, '-c', script, work]);
    const ops = files.filter((f) => f.path.startsWith(work)).map((f) => `${f.op} ${path.relative(work, f.path)}${f.path2 ? ` ${path.relative(work, f.path2)}` : ''} ${f.result}`);
    expect(ops.sort()).toEqual([
      'create name 0',
      'create theirs 0',
      'mkdir sub 0',
      'rename name renamed 0',
      'rmdir sub 0',
      'truncate renamed 0',
      'unlink missing -2',
      'unlink renamed 0',
      'unlink theirs 0',
      'write renamed 0',
    ]);
    expect(files.find((f) => f.op === 'write')?.bytes).toBe(3);
    expect(files.filter((f) => f.path.startsWith('/proc/') || f.path2?.startsWith('/proc/'))).toEqual([]);
  });
});
