/**
 * The decoder and the BoringSSL / aws-lc detectors on hand-built binaries: exact expected locations, both
 * ERR_put_error conventions, PIE and non-PIE, and the cases that must come out "not found" (ambiguous
 * candidates, no call sites, no prologue) instead of a guess.
 */
import { describe, expect, it } from 'vitest';
import { discoverTls } from '../../../../src/collector/tls/discovery';
import { detectAwsLcAead } from '../../../../src/collector/tls/discovery/detect-aws-lc';
import { detectBoringSsl } from '../../../../src/collector/tls/discovery/detect-boringssl';
import { ElfFile } from '../../../../src/collector/tls/discovery/elf-file';
import { FunctionBounds } from '../../../../src/collector/tls/discovery/function-bounds';
import { countDirectCalls, decodeCallSetup, findAddressRefs } from '../../../../src/collector/tls/discovery/x86-scan';
import { buildElf, EPILOGUE, Piece, PROLOGUE, putError4, putError5, SynthFunction, TEXT_OFFSET, TEXT_VADDR } from './synthetic-elf';

const SSL_LIB = '../../vendor/boringssl/ssl/ssl_lib.cc';
const AEAD = '/aws-lc/crypto/fipsmodule/cipher/aead.c';

function fnWith(name: string, ...pieces: Piece[][]): SynthFunction {
  return { name, body: [PROLOGUE, ...pieces.flat(), EPILOGUE] };
}

/** BoringSSL's ssl_lib.cc as functions: ssl_read_impl, SSL_read (peek inlined), SSL_write, SSL_shutdown, a caller. */
function boringFunctions(put: (reason: number, line: number) => Piece[], overrides: Partial<Record<string, SynthFunction | null>> = {}): SynthFunction[] {
  const base: Record<string, SynthFunction> = {
    ERR_put_error: { name: 'ERR_put_error', body: [PROLOGUE, EPILOGUE] },
    ssl_read_impl: fnWith('ssl_read_impl', put(226, 840), put(215, 873)),
    SSL_read: fnWith('SSL_read', put(66, 932), [{ call: 'ssl_read_impl' }]),
    SSL_write: fnWith('SSL_write', put(66, 953), put(226, 958), put(215, 973), put(111, 979)),
    SSL_shutdown: fnWith('SSL_shutdown', put(226, 1021), [{ call: 'ssl_read_impl' }], put(291, 1069)),
    app: fnWith('app', [{ call: 'SSL_write' }], [{ call: 'SSL_read' }], [{ call: 'SSL_shutdown' }]),
  };
  const out: SynthFunction[] = [];
  for (const [k, v] of Object.entries(base)) {
    const o = overrides[k];
    if (o === null) continue;
    out.push(o ?? v);
  }
  for (const [k, v] of Object.entries(overrides)) if (!(k in base) && v) out.push(v);
  return out;
}

function detect(path: string): ReturnType<typeof detectBoringSsl> {
  const elf = ElfFile.open(path);
  try {
    return detectBoringSsl(elf, null, new FunctionBounds(elf, null));
  } finally {
    elf.close();
  }
}

describe('x86 scanning primitives', () => {
  it('finds mov-imm32 and lea-rip references, and decodes the call set-up including a followed jmp', () => {
    const b = buildElf({
      strings: { f: SSL_LIB },
      functions: [
        { name: 'ERR_put_error', body: [PROLOGUE, EPILOGUE] },
        fnWith('a', putError5('f', 16, 111, 979)),
        fnWith('b', [{ leaRipStr: 'f', reg: 1 }], [[0xbf, 16, 0, 0, 0]], [[0x31, 0xf6]], [[0xba, 7, 0, 0, 0]], [[0x41, 0xb8, 9, 0, 0, 0]], [{ jmp: 'tail' }]),
        { name: 'tail', body: [{ call: 'ERR_put_error' }, EPILOGUE] },
      ],
    });
    const elf = ElfFile.open(b.path);
    try {
      const refs = findAddressRefs(elf, [b.str.f]);
      expect(refs.map((r) => [r.form, r.reg])).toEqual([
        ['mov-imm32', 1],
        ['lea-rip', 1],
      ]);
      expect(refs[0].insnVaddr).toBe(b.fn.a + 4);
      const a = decodeCallSetup(elf, refs[0].insnVaddr);
      expect(a.callTarget).toBe(b.fn.ERR_put_error);
      expect(Object.fromEntries(a.regs)).toMatchObject({ 1: b.str.f, 7: 16, 6: 0, 2: 111, 8: 979 });
      const jb = decodeCallSetup(elf, refs[1].insnVaddr);
      expect(jb.callTarget).toBe(b.fn.ERR_put_error);
      expect(jb.regs.get(2)).toBe(7);
      const calls = countDirectCalls(elf, [b.fn.ERR_put_error, b.fn.tail]);
      expect(calls.get(b.fn.ERR_put_error)!.calls).toBe(2);
      expect(calls.get(b.fn.tail)!.tailJumps).toBe(1);
      // Function starts from int3 padding.
      const bounds = new FunctionBounds(elf, null);
      expect(bounds.containing(refs[1].insnVaddr)?.start).toBe(b.fn.b);
      expect(elf.vaddrToOffset(b.fn.b)).toBe(b.fn.b - TEXT_VADDR + TEXT_OFFSET);
    } finally {
      elf.close();
    }
  });

  it('a 0x41 byte before B9 that is not a REX prefix does not hide the reference (jmp rel8 0x41; mov ecx, imm)', () => {
    const b = buildElf({
      strings: { f: SSL_LIB },
      functions: [
        { name: 'ERR_put_error', body: [PROLOGUE, EPILOGUE] },
        fnWith('a', [[0xeb, 0x41]], putError5('f', 16, 111, 979)),
      ],
    });
    const elf = ElfFile.open(b.path);
    try {
      const refs = findAddressRefs(elf, [b.str.f]);
      expect(refs.some((r) => r.reg === 1 && r.insnVaddr === b.fn.a + 6)).toBe(true);
    } finally {
      elf.close();
    }
  });
});

describe('BoringSSL detector on synthetic binaries', () => {
  it('5-argument ERR_put_error (older BoringSSL): SSL_write and SSL_read at their exact starts and file offsets', () => {
    const b = buildElf({ strings: { f: SSL_LIB }, functions: boringFunctions((r, l) => putError5('f', 16, r, l)) });
    const r = discoverTls(b.path, { useCache: false });
    expect(r.stack).toBe('boringssl');
    expect(r.probes.map((p) => [p.kind, p.vaddr, p.fileOffset])).toEqual([
      ['SSL_write', b.fn.SSL_write, b.fn.SSL_write - TEXT_VADDR + TEXT_OFFSET],
      ['SSL_read', b.fn.SSL_read, b.fn.SSL_read - TEXT_VADDR + TEXT_OFFSET],
    ]);
  });

  it('4-argument ERR_put_error (current BoringSSL) and SSL_peek inlined together with ssl_read_impl', () => {
    const put = (r: number, l: number): Piece[] => putError4('f', 16, r, l);
    const b = buildElf({
      strings: { f: SSL_LIB },
      functions: boringFunctions(put, { ssl_read_impl: null, SSL_read: fnWith('SSL_read', put(226, 840), put(215, 873), put(66, 932)), SSL_shutdown: null }),
    });
    const r = detect(b.path);
    expect(r.stack).toBe('boringssl');
    expect(r.probes.map((p) => p.vaddr)).toEqual([b.fn.SSL_write, b.fn.SSL_read]);
  });

  it('two functions with SSL_write\'s pattern (e.g. inlined copies): not found, and says why', () => {
    const put = (r: number, l: number): Piece[] => putError5('f', 16, r, l);
    const b = buildElf({
      strings: { f: SSL_LIB },
      functions: boringFunctions(put, { SSL_write2: fnWith('SSL_write2', put(66, 953), put(226, 958), put(215, 973), put(111, 979)) }),
    });
    const r = detect(b.path);
    expect(r.stack).toBeNull();
    expect(r.notes.join('\n')).toMatch(/2 functions match SSL_write's error pattern/);
  });

  it('a heuristic (int3-padding) start that nothing calls is rejected', () => {
    const put = (r: number, l: number): Piece[] => putError5('f', 16, r, l);
    const b = buildElf({ strings: { f: SSL_LIB }, functions: boringFunctions(put, { app: fnWith('app', [{ call: 'SSL_read' }]) }) });
    const r = detect(b.path);
    expect(r.stack).toBeNull();
    expect(r.notes.join('\n')).toMatch(/SSL_write check: .*without any direct call/);
  });

  it('a start without a recognised prologue is rejected', () => {
    const put = (r: number, l: number): Piece[] => putError5('f', 16, r, l);
    const noPrologue: SynthFunction = { name: 'SSL_write', body: [[0x90, 0x90, 0x90, 0x90], ...[put(66, 953), put(226, 958), put(215, 973), put(111, 979)].flat(), EPILOGUE] };
    const b = buildElf({ strings: { f: SSL_LIB }, functions: boringFunctions(put, { SSL_write: noPrologue }) });
    const r = detect(b.path);
    expect(r.stack).toBeNull();
    // Its error sites get no function boundary at all, so SSL_write is simply not there to be picked.
    expect(r.notes.join('\n')).toMatch(/4 without a function boundary[\s\S]*0 functions match SSL_write/);
  });

  it('an SSL_read candidate that does not call ssl_read_impl is rejected', () => {
    const put = (r: number, l: number): Piece[] => putError5('f', 16, r, l);
    const b = buildElf({ strings: { f: SSL_LIB }, functions: boringFunctions(put, { SSL_read: fnWith('SSL_read', put(66, 932)) }) });
    const r = detect(b.path);
    expect(r.stack).toBeNull();
    expect(r.notes.join('\n')).toMatch(/does not call ssl_read_impl/);
  });

  it('errors of another library through the same file string are ignored', () => {
    const b = buildElf({ strings: { f: SSL_LIB }, functions: boringFunctions((r, l) => putError5('f', 99, r, l)) });
    expect(detect(b.path).stack).toBeNull();
  });
});

describe('aws-lc AEAD detector on a synthetic PIE binary', () => {
  const put = (r: number, l: number): Piece[] => putError5('f', 30, r, l, true);
  const functions: SynthFunction[] = [
    { name: 'ERR_put_error', body: [PROLOGUE, EPILOGUE] },
    fnWith('EVP_AEAD_CTX_seal', put(117, 172), put(103, 177), put(115, 182)),
    fnWith('EVP_AEAD_CTX_seal_scatter', put(115, 200), put(112, 205)),
    fnWith('EVP_AEAD_CTX_open', put(115, 244), put(101, 261), put(103, 267)),
    fnWith('EVP_AEAD_CTX_open_gather', put(115, 292), put(104, 297)),
    fnWith('app', [{ call: 'EVP_AEAD_CTX_seal' }], [{ call: 'EVP_AEAD_CTX_open' }]),
  ];

  it('finds seal and open (lea rip-relative file strings), not seal_scatter/open_gather', () => {
    const b = buildElf({ strings: { f: AEAD }, functions, pie: true });
    const elf = ElfFile.open(b.path);
    try {
      const r = detectAwsLcAead(elf, null, new FunctionBounds(elf, null));
      expect(r.stack).toBe('rustls-aws-lc');
      expect(r.probes.map((p) => [p.kind, p.vaddr])).toEqual([
        ['EVP_AEAD_CTX_seal', b.fn.EVP_AEAD_CTX_seal],
        ['EVP_AEAD_CTX_open', b.fn.EVP_AEAD_CTX_open],
      ]);
    } finally {
      elf.close();
    }
  });

  it('without rustls in the binary, discoverTls does not claim a rustls stack', () => {
    const b = buildElf({ strings: { f: AEAD }, functions, pie: true });
    const r = discoverTls(b.path, { useCache: false });
    expect(r.stack).toBeNull();
  });
});
