import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { EhFrameIndex } from '../../../../src/collector/tls/discovery/eh-frame';
import { ElfError, ElfFile } from '../../../../src/collector/tls/discovery/elf-file';
import { hasCommand, loudSkip } from './helpers';

const NODE = fs.realpathSync(process.execPath);
const LIBSSL = ['/usr/lib/x86_64-linux-gnu/libssl.so.3', '/lib/x86_64-linux-gnu/libssl.so.3'].find((p) => fs.existsSync(p));
// readelf (binutils) is an independent oracle for the reader; only the tests use it.
const READELF = hasCommand('readelf');
if (!READELF) loudSkip('readelf not installed: ELF reader cross-checks against binutils are skipped (apt-get install binutils)');
if (!LIBSSL) loudSkip('libssl.so.3 not found: libssl ELF tests are skipped (apt-get install libssl3)');

function readelf(...args: string[]): string {
  return execFileSync('readelf', ['-W', ...args], { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
}

describe('ElfFile on real binaries', () => {
  it.runIf(READELF)('reads node: type, entry, segments and build-id as readelf does', () => {
    const elf = ElfFile.open(NODE);
    try {
      const hdr = readelf('-h', NODE);
      expect(hdr).toContain(elf.type === 2 ? 'EXEC' : 'DYN');
      expect(hdr).toMatch(new RegExp(`Entry point address:\\s+0x${elf.entry.toString(16)}\\b`));
      const loads = readelf('-l', NODE)
        .split('\n')
        .filter((l) => /^\s+LOAD\s/.test(l))
        .map((l) => l.trim().split(/\s+/).slice(1, 3).map((x) => parseInt(x, 16)));
      expect(elf.loadSegments().map((s) => [s.offset, s.vaddr])).toEqual(loads);
      const note = readelf('-n', NODE);
      expect(elf.buildId()).not.toBeNull();
      expect(note).toContain(`Build ID: ${elf.buildId()}`);
      expect(elf.sections.map((s) => s.name)).toContain('.text');
    } finally {
      elf.close();
    }
  });

  it.runIf(READELF && !!LIBSSL)('finds libssl symbols at readelf\'s values; file offsets read the same bytes as vaddrs', () => {
    const elf = ElfFile.open(LIBSSL!);
    try {
      const dyn = readelf('--dyn-syms', LIBSSL!);
      for (const name of ['SSL_write', 'SSL_read', 'SSL_write_ex', 'SSL_read_ex']) {
        const sym = elf.findFunction(name);
        expect(sym, name).toBeDefined();
        const line = dyn.split('\n').find((l) => new RegExp(`\\s${name}@@OPENSSL_3\\.0\\.0$`).test(l) || new RegExp(`\\s${name}@@`).test(l.trim()));
        expect(line, `readelf line for ${name}`).toBeDefined();
        expect(parseInt(line!.trim().split(/\s+/)[1], 16)).toBe(sym!.value);
        const off = elf.vaddrToOffset(sym!.value);
        expect(elf.offsetToVaddr(off)).toBe(sym!.value);
        expect(elf.read(off, 16).equals(elf.readVaddr(sym!.value, 16))).toBe(true);
      }
    } finally {
      elf.close();
    }
  });

  it.runIf(!!LIBSSL)('eh_frame_hdr: exported functions are FDE starts and FDE ranges contain their bodies', () => {
    const elf = ElfFile.open(LIBSSL!);
    try {
      const eh = EhFrameIndex.load(elf);
      expect(eh).not.toBeNull();
      expect(eh!.count).toBeGreaterThan(100);
      const w = elf.findFunction('SSL_write')!;
      expect(eh!.isFunctionStart(w.value)).toBe(true);
      const fn = eh!.functionContaining(w.value + 3);
      expect(fn?.start).toBe(w.value);
      // FDE length must agree with the symbol size when the symbol has one.
      if (w.size > 0) expect(fn!.end - fn!.start).toBe(w.size);
      expect(eh!.isFunctionStart(w.value + 1)).toBe(false);
    } finally {
      elf.close();
    }
  });

  it('node: .eh_frame_hdr of a ~100 MB binary loads with tens of thousands of starts', () => {
    const elf = ElfFile.open(NODE);
    try {
      const eh = EhFrameIndex.load(elf);
      expect(eh).not.toBeNull();
      expect(eh!.count).toBeGreaterThan(10_000);
      const w = elf.findFunction('SSL_write');
      expect(w).toBeDefined();
      expect(eh!.isFunctionStart(w!.value)).toBe(true);
    } finally {
      elf.close();
    }
  });

  it('rejects non-ELF and truncated input with ElfError instead of crashing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-elf-'));
    const text = path.join(dir, 'text');
    fs.writeFileSync(text, '#!/bin/sh\necho hi\n');
    expect(() => ElfFile.open(text)).toThrow(ElfError);
    const trunc = path.join(dir, 'trunc');
    const fd = fs.openSync(NODE, 'r');
    const head = Buffer.alloc(100);
    fs.readSync(fd, head, 0, 100, 0);
    fs.closeSync(fd);
    fs.writeFileSync(trunc, head);
    let err: unknown = null;
    try {
      ElfFile.open(trunc).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ElfError);
  });
});
