import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { discoverTls, listTlsFilesOfPid, planTlsForCommand, planTlsForPid, resolveCommand } from '../../../../src/collector/tls/discovery';
import { ElfFile } from '../../../../src/collector/tls/discovery/elf-file';
import { readGoFuncs } from '../../../../src/collector/tls/discovery/go-pclntab';
import { parseMapsPaths } from '../../../../src/collector/tls/discovery/proc-maps';
import { parseShebang } from '../../../../src/collector/tls/discovery/resolve-command';
import { defaultTlsCacheDir } from '../../../../src/collector/tls/discovery/tls-cache';
import { isTlsLibraryName } from '../../../../src/collector/tls/discovery/tls-libraries';
import { hasCommand, loudSkip, REPO } from './helpers';

const NODE = fs.realpathSync(process.execPath);
const LIBSSL = ['/usr/lib/x86_64-linux-gnu/libssl.so.3', '/lib/x86_64-linux-gnu/libssl.so.3'].find((p) => fs.existsSync(p));
const PYTHON = ['/usr/bin/python3'].find((p) => fs.existsSync(p));
const CURL = ['/usr/bin/curl'].find((p) => fs.existsSync(p));
if (!LIBSSL) loudSkip('libssl.so.3 not found: OpenSSL library discovery is not tested');
if (!CURL) loudSkip('curl not installed: DT_NEEDED resolution through libcurl is not tested');

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-disc-'));
}

/** Each probe's file offset must hold the same bytes as its vaddr, and start a function. */
function expectConsistentProbes(file: string, probes: { vaddr: number; fileOffset: number }[]): void {
  const elf = ElfFile.open(file);
  try {
    for (const p of probes) {
      expect(elf.vaddrToOffset(p.vaddr)).toBe(p.fileOffset);
      expect(elf.read(p.fileOffset, 16).equals(elf.readVaddr(p.vaddr, 16))).toBe(true);
    }
  } finally {
    elf.close();
  }
}

describe('discoverTls on system OpenSSL users', () => {
  it.runIf(!!LIBSSL)('libssl.so.3: the four data functions and the identity helpers, by symbol', () => {
    const r = discoverTls(LIBSSL!, { useCache: false });
    expect(r.stack).toBe('openssl');
    const kinds = r.probes.map((p) => p.kind).sort();
    // no SSL_do_handshake: it only stands in for SSL_free where that cannot be found (stripped BoringSSL)
    expect(kinds).toEqual(['SSL_clear', 'SSL_free', 'SSL_read', 'SSL_read_ex', 'SSL_set_fd', 'SSL_write', 'SSL_write_ex']);
    expect(new Set(r.probes.map((p) => p.vaddr)).size).toBe(r.probes.length);
    expect(r.buildId).toMatch(/^[0-9a-f]{40}$/);
    expect(r.fingerprint).toBeNull(); // the build-id identifies it: nothing is hashed
    expectConsistentProbes(LIBSSL!, r.probes);
  });

  it('/usr/bin/node: statically linked OpenSSL found by exported symbols; offsets differ from vaddrs', () => {
    const r = discoverTls(NODE, { useCache: false });
    expect(r.stack).toBe('openssl');
    const w = r.probes.find((p) => p.kind === 'SSL_write')!;
    expect(w.symbol).toBe('SSL_write');
    // node is non-PIE: the text segment's vaddr is not its file offset, the classic uprobe mistake.
    expect(w.fileOffset).not.toBe(w.vaddr);
    expectConsistentProbes(NODE, r.probes);
    console.log(`node discovery: ${r.elapsedMs.toFixed(0)} ms\n${r.detail}`);
  });

  it.runIf(!!PYTHON)('python3 itself has no TLS: reported as not found with a reason', () => {
    const r = discoverTls(PYTHON!, { useCache: false });
    expect(r.stack).toBeNull();
    expect(r.probes).toEqual([]);
    expect(r.detail).toMatch(/no probeable TLS stack/);
  });

  it('non-ELF and missing files: no throw, stack null, reason in detail', () => {
    const dir = tmpDir();
    const script = path.join(dir, 's.sh');
    fs.writeFileSync(script, '#!/bin/sh\n');
    const a = discoverTls(script, { useCache: false });
    expect(a.stack).toBeNull();
    expect(a.detail).toMatch(/not an ELF/);
    const b = discoverTls(path.join(dir, 'missing'), { useCache: false });
    expect(b.stack).toBeNull();
    expect(b.detail).toMatch(/cannot resolve/);
    // A truncated copy of a real ELF: bad input is a "not found", never an exception.
    const trunc = path.join(dir, 'trunc');
    const fd = fs.openSync(NODE, 'r');
    const head = Buffer.alloc(4096);
    fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    fs.writeFileSync(trunc, head);
    const c = discoverTls(trunc, { useCache: false });
    expect(c.stack).toBeNull();
    expect(c.probes).toEqual([]);
    // A FIFO would block a naive open(); directories are not programs.
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(discoverTls(fifo, { useCache: false }).detail).toMatch(/not a regular file/);
    expect(discoverTls(dir, { useCache: false }).detail).toMatch(/not a regular file/);
  });
});

describe('stacks that are recognised but not probed', () => {
  const GNUTLS = ['/usr/lib/x86_64-linux-gnu/libgnutls.so.30'].find((p) => fs.existsSync(p));
  if (!GNUTLS) loudSkip('libgnutls.so.30 not found: GnuTLS recognition is not tested');
  const GO = hasCommand('go');
  if (!GO) loudSkip('go not installed (apt-get install -y golang-go): Go crypto/tls recognition is not tested');

  it.runIf(!!GNUTLS)('libgnutls: gnutls_record_send/recv and gnutls_deinit probed by symbol, no longer "unprobed"', () => {
    const r = discoverTls(GNUTLS!, { useCache: false });
    expect(r.stack).toBe('gnutls');
    expect(r.probes.map((p) => p.kind).sort()).toEqual(['gnutls_deinit', 'gnutls_record_recv', 'gnutls_record_send']);
    for (const p of r.probes) expect(p.bytes).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(r.probes.map((p) => p.fileOffset)).size).toBe(3);
    expect(r.unprobed).not.toContain('gnutls');
    expect(r.detail).toMatch(/gnutls_record_send\/recv defined here/);
  });

  it.runIf(GO)('Go crypto/tls: Write/Read entries, their RETs and Close, with symbols, stripped (-s -w), without section headers, PIE', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'main.go'), 'package main\nimport "net/http"\nfunc main() { _, _ = http.Get("https://127.0.0.1:1/") }\n');
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module tlsprobe\ngo 1.19\n');
    // A persistent build cache (gitignored) makes re-runs take seconds instead of a 30 s cold build of net/http.
    const goCache = path.join(REPO, '.cache', 'go-build');
    const env = { ...process.env, GOCACHE: goCache, GOPATH: path.join(dir, 'gopath'), GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
    execFileSync('go', ['build', '-o', 'plain', '.'], { cwd: dir, env, stdio: 'ignore' });
    execFileSync('go', ['build', '-ldflags=-s -w', '-o', 'stripped', '.'], { cwd: dir, env, stdio: 'ignore' });
    // PIE: the pclntab is in .data.rel.ro.gopclntab, not .gopclntab
    execFileSync('go', ['build', '-buildmode=pie', '-ldflags=-s -w', '-o', 'pie', '.'], { cwd: dir, env, stdio: 'ignore' });
    // The stripped build again with its section headers gone (sstrip-like): the pclntab is found by its magic.
    const noSections = Buffer.from(fs.readFileSync(path.join(dir, 'stripped')));
    noSections.writeBigUInt64LE(0n, 0x28); // e_shoff
    noSections.writeUInt16LE(0, 0x3c); // e_shnum
    noSections.writeUInt16LE(0, 0x3e); // e_shstrndx
    fs.writeFileSync(path.join(dir, 'no-sections'), noSections, { mode: 0o755 });
    const found = ['plain', 'stripped', 'no-sections', 'pie'].map((bin) => {
      const r = discoverTls(path.join(dir, bin), { useCache: false });
      expect(r.stack, `${bin}: ${r.detail}`).toBe('go');
      expect(r.unprobed, bin).not.toContain('go-crypto-tls');
      const kinds = r.probes.map((p) => p.kind);
      for (const k of ['go_tls_write', 'go_tls_read', 'go_tls_close'] as const) expect(kinds.filter((x) => x === k), `${bin} ${k}`).toHaveLength(1);
      expect(kinds.filter((x) => x === 'go_tls_write_ret').length, bin).toBeGreaterThan(0);
      expect(kinds.filter((x) => x === 'go_tls_read_ret').length, bin).toBeGreaterThan(0);
      // every return probe sits on a RET instruction; every entry on the register-ABI stack check against R14
      const bytes = fs.readFileSync(path.join(dir, bin));
      for (const p of r.probes) {
        if (p.kind.endsWith('_ret')) expect(bytes[p.fileOffset], `${bin} ${p.symbol}`).toBe(0xc3);
        else expect(bytes.subarray(p.fileOffset, p.fileOffset + 9).toString('hex'), `${bin} ${p.symbol}`).toMatch(/^493b6610|^4c8d6424..4d3b6610/);
      }
      return r.probes.map((p) => `${p.kind}@${p.fileOffset}`).sort();
    });
    // symbols and pclntab agree: the same places with and without symbols
    expect(found[1]).toEqual(found[0]);
    expect(found[2]).toEqual(found[0]);
  }, 300_000);
});

// Go >= 1.21 lays frames out differently (push rbp; mov rbp, rsp; sub rsp, N … add rsp, N; pop rbp; ret) and PIE
// builds may keep the pclntab inside .data.rel.ro: real binaries of newer Go on this machine, when present, must get
// exactly the RETs objdump sees in (*Conn).Write and Read.
describe('Go crypto/tls in binaries of newer Go toolchains', () => {
  const bins = ['/usr/local/bin/terraform', '/usr/local/bin/docker'].filter((p) => fs.existsSync(p));
  if (bins.length === 0 || !hasCommand('objdump')) loudSkip('no newer Go binary (terraform, docker) or no objdump: Go >= 1.21 frames not checked');
  for (const bin of bins) {
    it.runIf(hasCommand('objdump'))(`${path.basename(bin)}: every RET of (*Conn).Write/Read, as objdump decodes them`, () => {
      const r = discoverTls(bin, { useCache: false });
      expect(r.stack, r.detail).toBe('go');
      for (const [entryKind, retKind] of [['go_tls_write', 'go_tls_write_ret'], ['go_tls_read', 'go_tls_read_ret']] as const) {
        const entry = r.probes.find((p) => p.kind === entryKind)!;
        const rets = r.probes.filter((p) => p.kind === retKind).map((p) => p.vaddr);
        // to the function's end from the pclntab, so a RET that discovery missed would show
        const elf = ElfFile.open(bin);
        const fn = readGoFuncs(elf, [entry.symbol!]);
        elf.close();
        if ('error' in fn) throw new Error(fn.error);
        const last = fn.funcs.get(entry.symbol!)!.end;
        expect(fn.funcs.get(entry.symbol!)!.entry).toBe(entry.vaddr);
        const dis = execFileSync('objdump', ['-d', `--start-address=0x${entry.vaddr.toString(16)}`, `--stop-address=0x${last.toString(16)}`, bin], { encoding: 'utf8', maxBuffer: 64 << 20 });
        const seen = [...dis.matchAll(/^\s*([0-9a-f]+):[^\n]*\tret\b/gm)].map((m) => parseInt(m[1], 16));
        expect(rets.length, bin).toBeGreaterThan(0);
        expect(rets, `${bin} ${entryKind}`).toEqual(seen);
      }
    }, 60_000);
  }
});

describe('discovery cache', () => {
  it.runIf(!!LIBSSL)('second lookup is served from the build-id cache with identical probes; corrupt entries are recomputed', () => {
    const cacheDir = tmpDir();
    const first = discoverTls(LIBSSL!, { cacheDir });
    expect(first.cached).toBe(false);
    const files = fs.readdirSync(cacheDir).sort();
    expect(files[0]).toBe(`build-id-${first.buildId}.json`);
    expect(files[1]).toMatch(/^stat-\d+-\d+-\d+-\d+\.json$/);
    const second = discoverTls(LIBSSL!, { cacheDir });
    expect(second.cached).toBe(true);
    expect(second.detail).toMatch(/cache: stat identity$/);
    expect(second.probes).toEqual(first.probes);
    for (const f of files) fs.writeFileSync(path.join(cacheDir, f), '{not json');
    const third = discoverTls(LIBSSL!, { cacheDir });
    expect(third.cached).toBe(false);
    expect(third.probes).toEqual(first.probes);
  });

  it('a cached entry whose probe bytes do not match the file is not used (a copy edited in place, another build)', () => {
    const cacheDir = tmpDir();
    const copy = path.join(tmpDir(), 'node');
    fs.copyFileSync(NODE, copy);
    const first = discoverTls(copy, { cacheDir });
    expect(first.stack).toBe('openssl');
    // Same build-id, same size and inode: only the bytes at one probe differ (mtime kept, so the stat key matches too).
    const st = fs.statSync(copy);
    const w = first.probes.find((p) => p.kind === 'SSL_write')!;
    const fd = fs.openSync(copy, 'r+');
    fs.writeSync(fd, Buffer.from([0xcc]), 0, 1, w.fileOffset + 1);
    fs.closeSync(fd);
    fs.utimesSync(copy, st.atime, st.mtime);
    const second = discoverTls(copy, { cacheDir });
    expect(second.cached).toBe(false);
  });

  it('a file without a build-id is keyed by its fingerprint: a copy (new inode) is a hit, a changed build a miss', () => {
    const cacheDir = tmpDir();
    const dir = tmpDir();
    const a = path.join(dir, 'a');
    // strip the build-id note from a copy of node: the fingerprint path, as for Codex's static-pie
    execFileSync('objcopy', ['--remove-section=.note.gnu.build-id', NODE, a]);
    const first = discoverTls(a, { cacheDir });
    expect(first.buildId).toBeNull();
    expect(first.fingerprint).toMatch(/^[0-9a-f]{40}$/);
    expect(first.stack).toBe('openssl');
    const b = path.join(dir, 'b');
    fs.copyFileSync(a, b);
    const second = discoverTls(b, { cacheDir });
    expect(second.cached).toBe(true);
    expect(second.detail).toMatch(/cache: fingerprint$/);
    const c = path.join(dir, 'c');
    execFileSync('objcopy', ['--add-section', '.note.extra=/etc/hostname', a, c]);
    expect(discoverTls(c, { cacheDir }).cached).toBe(false);
  });

  it('default cache dir: the invoking user\'s ~/.cache under sudo, overridable', () => {
    expect(defaultTlsCacheDir({ HOME: '/home/x' })).toBe('/home/x/.cache/agentsight/tls');
    expect(defaultTlsCacheDir({ HOME: '/root', SUDO_USER: 'root' })).toBe('/root/.cache/agentsight/tls');
    expect(defaultTlsCacheDir({ HOME: '/home/x', AGENTSIGHT_TLS_CACHE_DIR: '/tmp/c' })).toBe('/tmp/c');
    expect(defaultTlsCacheDir({ HOME: '/home/x', XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/agentsight/tls');
  });
});

describe('resolveCommand', () => {
  it('PATH lookup and symlinks resolve to the real ELF program', () => {
    const dir = tmpDir();
    fs.symlinkSync(NODE, path.join(dir, 'my-node'));
    const r = resolveCommand('my-node', { PATH: `/nonexistent:${dir}` });
    expect(r.program).toBe(NODE);
    expect(r.files[0]).toMatchObject({ path: NODE, role: 'executable' });
  });

  it('#!/usr/bin/env node script resolves to the node binary; #!/usr/bin/env -S with flags too', () => {
    const dir = tmpDir();
    fs.symlinkSync(NODE, path.join(dir, 'node'));
    const s1 = path.join(dir, 'agent.js');
    fs.writeFileSync(s1, '#!/usr/bin/env node\nconsole.log(1)\n', { mode: 0o755 });
    const s2 = path.join(dir, 'agent2.js');
    fs.writeFileSync(s2, '#!/usr/bin/env -S node --no-warnings\nconsole.log(1)\n', { mode: 0o755 });
    for (const s of [s1, s2]) {
      const r = resolveCommand(s, { PATH: dir });
      expect(r.program).toBe(NODE);
      expect(r.files.map((f) => f.role)).toEqual(['interpreter']);
    }
    // Through a bin/ symlink, as npm installs agents.
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.symlinkSync(s1, path.join(dir, 'bin', 'agent'));
    expect(resolveCommand('agent', { PATH: `${path.join(dir, 'bin')}:${dir}` }).program).toBe(NODE);
  });

  it('#!/bin/sh scripts are out of scope and say so', () => {
    const dir = tmpDir();
    const s = path.join(dir, 'wrapper');
    fs.writeFileSync(s, '#!/bin/sh\nexec node "$@"\n', { mode: 0o755 });
    const r = resolveCommand(s, { PATH: '/usr/bin:/bin' });
    expect(r.notes.join('\n')).toMatch(/sh script: what it execs is out of scope/);
  });

  it('missing commands and non-executables are reported, not thrown', () => {
    expect(resolveCommand('agentsight-no-such-command', { PATH: '/usr/bin' }).program).toBeNull();
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'data'), 'x', { mode: 0o644 });
    expect(resolveCommand(path.join(dir, 'data'), {}).program).toBeNull();
  });

  it.runIf(!!CURL)('curl: libssl and libgnutls are found through the DT_NEEDED closure (libcurl, librtmp)', () => {
    const r = resolveCommand('curl', { PATH: '/usr/bin:/bin' });
    const names = r.files.map((f) => path.basename(f.path));
    expect(names[0]).toBe('curl');
    expect(names.some((n) => n.startsWith('libssl.so'))).toBe(true);
    const ssl = r.files.find((f) => path.basename(f.path).startsWith('libssl.so'))!;
    expect(ssl.role).toBe('needed');
    expect(discoverTls(ssl.path, { useCache: false }).stack).toBe('openssl');
  });

  it.runIf(!!PYTHON && !!LIBSSL)('python3 gets libssl as a run-time (dlopen) library', () => {
    const r = resolveCommand(PYTHON!, {});
    const ssl = r.files.find((f) => path.basename(f.path).startsWith('libssl.so'));
    expect(ssl?.role).toBe('dlopen');
  });

  it('parseShebang and TLS library names', () => {
    expect(parseShebang(Buffer.from('#!/usr/bin/env node\n'))).toEqual({ interpreter: '/usr/bin/env', args: ['node'] });
    expect(parseShebang(Buffer.from('#! /bin/sh -e\n'))).toEqual({ interpreter: '/bin/sh', args: ['-e'] });
    expect(parseShebang(Buffer.from('#!\n'))).toBeNull();
    for (const n of ['libssl.so.3', 'libssl.so', 'libcrypto.so.1.1', 'libgnutls.so.30', 'libnss3.so', 'libwolfssl.so.35']) expect(isTlsLibraryName(n), n).toBe(true);
    for (const n of ['libsslx.so', 'libc.so.6', 'libssh2.so.1', 'libcurl.so.4']) expect(isTlsLibraryName(n), n).toBe(false);
  });
});

describe('TLS plans for the recorder', () => {
  it.runIf(!!CURL)('curl: probes in libssl and in the GnuTLS librtmp links, no warning', () => {
    const plan = planTlsForCommand('curl', { PATH: '/usr/bin:/bin' }, { cacheDir: tmpDir() });
    expect(plan.discoveries.some((d) => d.stack === 'openssl' && path.basename(d.path).startsWith('libssl'))).toBe(true);
    expect(plan.discoveries.some((d) => d.stack === 'gnutls' && path.basename(d.path).startsWith('libgnutls'))).toBe(true);
    expect(plan.warnings.join('\n')).not.toMatch(/GnuTLS/);
  });

  it('a command that is not there: one warning, no discoveries', () => {
    const plan = planTlsForCommand('agentsight-no-such-command', { PATH: '/usr/bin' }, { useCache: false });
    expect(plan.discoveries).toEqual([]);
    expect(plan.warnings[0]).toMatch(/cannot tell what it runs/);
  });

  it('ls: nothing to probe is a warning, not an error', () => {
    const plan = planTlsForCommand('ls', { PATH: '/usr/bin:/bin' }, { useCache: false });
    expect(plan.warnings.join('\n')).toMatch(/no TLS functions found to probe/);
  });

  it('a running node process: its own binary is planned with OpenSSL probes', () => {
    const plan = planTlsForPid(process.pid, { cacheDir: tmpDir() });
    expect(plan.discoveries.map((d) => d.stack)).toContain('openssl');
    expect(plan.warnings).toEqual([]);
  });
});

describe('/proc/<pid>/maps', () => {
  it('parses paths with spaces and (deleted) markers', () => {
    const maps = [
      '00400000-00401000 r-xp 00000000 08:01 123 /usr/bin/prog name',
      '7f00-7f01 r--p 00000000 08:01 124 /usr/lib/x86_64-linux-gnu/libssl.so.3',
      '7f01-7f02 r-xp 00001000 08:01 125 /tmp/libcrypto.so.3 (deleted)',
      '7f02-7f03 rw-p 00000000 00:00 0 ',
      '7ffd-7ffe rw-p 00000000 00:00 0 [stack]',
    ].join('\n');
    expect(parseMapsPaths(maps)).toEqual([
      { path: '/usr/bin/prog name', deleted: false, executable: true },
      { path: '/usr/lib/x86_64-linux-gnu/libssl.so.3', deleted: false, executable: false },
      { path: '/tmp/libcrypto.so.3', deleted: true, executable: true },
    ]);
  });

  it.runIf(!!PYTHON && !!LIBSSL)('a running python that imported ssl maps libssl; the helper lists it with the executable', async () => {
    const child = spawn(PYTHON!, ['-c', 'import ssl, sys; print("ready", flush=True); sys.stdin.read()'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('error', reject);
      });
      const r = listTlsFilesOfPid(child.pid!);
      expect(r.error).toBeUndefined();
      expect(r.files.find((f) => f.role === 'executable')?.path).toBe(fs.realpathSync(PYTHON!));
      const ssl = r.files.find((f) => path.basename(f.path).startsWith('libssl.so'));
      expect(ssl).toBeDefined();
      expect(ssl!.openPath).toBe(`/proc/${child.pid}/root${ssl!.path}`);
      expect(discoverTls(ssl!.openPath, { useCache: false }).stack).toBe('openssl');
    } finally {
      child.stdin.end();
      child.kill();
    }
  });

  it('a pid that does not exist yields an error, not a throw', () => {
    const r = listTlsFilesOfPid(2 ** 22 + 12345);
    expect(r.files).toEqual([]);
    expect(r.error).toBeDefined();
  });
});
