/**
 * Builds small x86-64 ELF executables in memory for decoder and detector tests: one read-only data segment
 * with strings and one code segment with functions laid out like clang+lld lay them out (16-byte aligned,
 * gaps filled with int3). Calls are resolved after layout.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const RODATA_VADDR = 0x400000;
export const RODATA_OFFSET = 0x1000;
export const TEXT_VADDR = 0x401000;
export const TEXT_OFFSET = 0x2000;

/** A piece of code: bytes, or a call/jmp to a named function (resolved at layout), or a string address. */
export type Piece = number[] | { call: string } | { jmp: string } | { movImmStr: string; reg: number } | { leaRipStr: string; reg: number };

export interface SynthFunction {
  readonly name: string;
  readonly body: Piece[];
}

export interface SynthElf {
  readonly path: string;
  readonly fn: Record<string, number>;
  readonly str: Record<string, number>;
}

function pieceLength(p: Piece): number {
  if (Array.isArray(p)) return p.length;
  if ('call' in p || 'jmp' in p) return 5;
  if ('movImmStr' in p) return p.reg >= 8 ? 6 : 5;
  return 7;
}

const le32 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];

export function buildElf(opts: { strings: Record<string, string>; functions: SynthFunction[]; pie?: boolean }): SynthElf {
  // Layout: strings, then functions at 16-byte boundaries with int3 padding in between.
  const str: Record<string, number> = {};
  const rodata: number[] = [];
  for (const [key, s] of Object.entries(opts.strings)) {
    rodata.push(0, 0, 0, 0); // separators so each string's start is unambiguous
    str[key] = RODATA_VADDR + rodata.length;
    rodata.push(...Buffer.from(s + '\0', 'latin1'));
  }
  const fn: Record<string, number> = {};
  let addr = TEXT_VADDR;
  const starts: number[] = [];
  for (const f of opts.functions) {
    addr = Math.ceil(addr / 16) * 16;
    if (starts.length > 0 && addr === starts[starts.length - 1]) addr += 16;
    fn[f.name] = addr;
    starts.push(addr);
    addr += f.body.reduce((n, p) => n + pieceLength(p), 0);
    // Guarantee at least one int3 after each function, as lld does whenever the next start is not adjacent.
    addr += 1;
  }
  const textLen = Math.ceil((addr - TEXT_VADDR) / 16) * 16 + 16;
  const text = new Array<number>(textLen).fill(0xcc);
  opts.functions.forEach((f) => {
    let pc = fn[f.name];
    for (const p of f.body) {
      const at = pc - TEXT_VADDR;
      let bytes: number[];
      if (Array.isArray(p)) bytes = p;
      else if ('call' in p) bytes = [0xe8, ...le32(fn[p.call] - (pc + 5))];
      else if ('jmp' in p) bytes = [0xe9, ...le32(fn[p.jmp] - (pc + 5))];
      else if ('movImmStr' in p) bytes = p.reg >= 8 ? [0x41, 0xb8 + (p.reg - 8), ...le32(str[p.movImmStr])] : [0xb8 + p.reg, ...le32(str[p.movImmStr])];
      else bytes = [p.reg >= 8 ? 0x4c : 0x48, 0x8d, 0x05 | ((p.reg & 7) << 3), ...le32(str[p.leaRipStr] - (pc + 7))];
      bytes.forEach((b, i) => (text[at + i] = b));
      pc += bytes.length;
    }
  });

  const phnum = 2;
  const header = Buffer.alloc(64 + 56 * phnum);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // ELFCLASS64
  header[5] = 1; // little-endian
  header[6] = 1;
  header.writeUInt16LE(opts.pie ? 3 : 2, 16);
  header.writeUInt16LE(62, 18); // x86-64
  header.writeUInt32LE(1, 20);
  header.writeBigUInt64LE(BigInt(TEXT_VADDR), 24);
  header.writeBigUInt64LE(64n, 32); // phoff
  header.writeBigUInt64LE(0n, 40); // no section headers: a stripped-to-the-bone binary
  header.writeUInt16LE(64, 52);
  header.writeUInt16LE(56, 54);
  header.writeUInt16LE(phnum, 56);
  header.writeUInt16LE(64, 58);
  const ph = (i: number, flags: number, offset: number, vaddr: number, size: number): void => {
    const b = 64 + i * 56;
    header.writeUInt32LE(1, b); // PT_LOAD
    header.writeUInt32LE(flags, b + 4);
    header.writeBigUInt64LE(BigInt(offset), b + 8);
    header.writeBigUInt64LE(BigInt(vaddr), b + 16);
    header.writeBigUInt64LE(BigInt(vaddr), b + 24);
    header.writeBigUInt64LE(BigInt(size), b + 32);
    header.writeBigUInt64LE(BigInt(size), b + 40);
    header.writeBigUInt64LE(0x1000n, b + 48);
  };
  ph(0, 4, RODATA_OFFSET, RODATA_VADDR, rodata.length);
  ph(1, 5, TEXT_OFFSET, TEXT_VADDR, text.length);
  const file = Buffer.alloc(TEXT_OFFSET + text.length);
  header.copy(file, 0);
  Buffer.from(rodata).copy(file, RODATA_OFFSET);
  Buffer.from(text).copy(file, TEXT_OFFSET);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-synth-'));
  const p = path.join(dir, 'synthetic');
  fs.writeFileSync(p, file, { mode: 0o755 });
  return { path: p, fn, str };
}

// Instruction helpers (bytes).
export const PROLOGUE = [0x55, 0x48, 0x89, 0xe5]; // push rbp; mov rbp, rsp
export const EPILOGUE = [0x5d, 0xc3]; // pop rbp; ret
export const movEdi = (v: number): number[] => [0xbf, ...le32(v)];
export const movEsi = (v: number): number[] => [0xbe, ...le32(v)];
export const movEdx = (v: number): number[] => [0xba, ...le32(v)];
export const movEcx = (v: number): number[] => [0xb9, ...le32(v)];
export const movR8d = (v: number): number[] => [0x41, 0xb8, ...le32(v)];
export const XOR_ESI = [0x31, 0xf6];

/** OPENSSL_PUT_ERROR as older BoringSSL / aws-lc compile it: ERR_put_error(lib, 0, reason, file, line). */
export function putError5(file: string, lib: number, reason: number, line: number, pie = false): Piece[] {
  return [pie ? { leaRipStr: file, reg: 1 } : { movImmStr: file, reg: 1 }, movEdi(lib), XOR_ESI, movEdx(reason), movR8d(line), { call: 'ERR_put_error' }];
}

/** Current BoringSSL: ERR_put_error(lib, reason, file, line). */
export function putError4(file: string, lib: number, reason: number, line: number): Piece[] {
  return [{ movImmStr: file, reg: 2 }, movEdi(lib), movEsi(reason), movEcx(line), { call: 'ERR_put_error' }];
}
