/**
 * Just enough x86-64 to find TLS functions in stripped code: locate instructions that load a given data
 * address (absolute `mov r32, imm32` in non-PIE code, `lea r64, [rip+disp32]` in PIE code), decode the short
 * straight-line sequence that sets up an `ERR_put_error` call, and count direct calls to chosen targets.
 *
 * The decoder only knows the handful of instructions compilers emit around such calls; anything else stops
 * decoding, and a sequence that cannot be read completely is reported as unreadable rather than guessed.
 */
import { ElfFile, PF_X, PT_LOAD } from './elf-file';

/** x86-64 register numbers (rax=0 … r15=15). */
export const REG = { rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7, r8: 8, r9: 9 } as const;

const CHUNK = 16 << 20;
/** Longest instruction we look at (lea rip / mov imm64) plus slack, so nothing straddles a chunk edge unseen. */
const OVERLAP = 16;

export interface CodeChunk {
  readonly buf: Buffer;
  readonly vaddr: number;
  /** Scan positions [0, scanEnd) belong to this chunk; bytes after scanEnd are look-ahead only. */
  readonly scanEnd: number;
}

/**
 * Iterates the file-backed bytes of executable PT_LOAD segments in 16 MiB chunks. The chunk buffer is reused
 * between iterations (no 16 MiB allocation per chunk): consumers must not keep it past their loop body.
 */
export function* codeChunks(elf: ElfFile): Generator<CodeChunk> {
  let scratch: Buffer | null = null;
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || !(seg.flags & PF_X)) continue;
    for (let pos = 0; pos < seg.filesz; pos += CHUNK) {
      const len = Math.min(CHUNK + OVERLAP, seg.filesz - pos);
      scratch ??= Buffer.allocUnsafe(CHUNK + OVERLAP);
      const buf = elf.readInto(scratch, seg.offset + pos, len);
      yield { buf, vaddr: seg.vaddr + pos, scanEnd: Math.min(CHUNK, buf.length) };
    }
  }
}

export interface AddressRef {
  /** vaddr of the instruction that materialises the address. */
  readonly insnVaddr: number;
  readonly insnLength: number;
  /** Destination register number. */
  readonly reg: number;
  readonly form: 'mov-imm32' | 'lea-rip';
  /** Another reading of the same bytes exists (with / without a REX.B prefix); see findAddressRefs. */
  readonly ambiguousRex?: boolean;
}

/**
 * Finds instructions that put one of `targets` into a register: `mov r32, imm32` (B8+r, optionally REX.B),
 * `mov r/m64, simm32` (REX.W C7 /0) and `lea r64, [rip+disp32]`.
 */
export function findAddressRefs(elf: ElfFile, targets: readonly number[]): AddressRef[] {
  const wanted = new Set(targets);
  const refs: AddressRef[] = [];
  const absTargets = targets.filter((t) => t < 2 ** 31);
  for (const { buf, vaddr, scanEnd } of codeChunks(elf)) {
    // Absolute immediates: search the 4 little-endian bytes, then check the opcode in front of them.
    for (const t of absTargets) {
      const imm = Buffer.alloc(4);
      imm.writeUInt32LE(t);
      for (let i = buf.indexOf(imm, 1); i >= 0 && i - 1 < scanEnd; i = buf.indexOf(imm, i + 1)) {
        const op = buf[i - 1];
        if (op >= 0xb8 && op <= 0xbf) {
          if (i >= 2 && buf[i - 2] === 0x48) continue; // REX.W B8: mov r64, imm64, the imm is 8 bytes: not ours
          // A 0x41 in front may be REX.B (mov r8d..r15d) or the last byte of the previous instruction
          // (e.g. `jmp rel8` 0xeb 0x41): both readings are returned, marked, and callers keep the one that fits.
          const rexPossible = i >= 2 && buf[i - 2] === 0x41;
          refs.push({ insnVaddr: vaddr + i - 1, insnLength: 5, reg: op - 0xb8, form: 'mov-imm32', ambiguousRex: rexPossible });
          if (rexPossible) refs.push({ insnVaddr: vaddr + i - 2, insnLength: 6, reg: op - 0xb8 + 8, form: 'mov-imm32', ambiguousRex: true });
        } else if (i >= 3 && (buf[i - 3] & 0xf8) === 0x48 && buf[i - 2] === 0xc7 && (buf[i - 1] & 0xf8) === 0xc0) {
          refs.push({ insnVaddr: vaddr + i - 3, insnLength: 7, reg: (buf[i - 1] & 7) + (buf[i - 3] & 1 ? 8 : 0), form: 'mov-imm32' });
        }
      }
    }
    // RIP-relative lea: REX.W(+R) 8D modrm(mod=00, rm=101) disp32. Non-PIE code uses it too, so always scanned.
    {
      // indexOf (memchr) hops between 0x8d opcode bytes: ~10x faster than a JS loop over 250 MB of code.
      for (let j = buf.indexOf(0x8d, 1); j >= 0 && j - 1 < scanEnd && j + 6 <= buf.length; j = buf.indexOf(0x8d, j + 1)) {
        const i = j - 1;
        if ((buf[i] & 0xfb) !== 0x48 || (buf[i + 2] & 0xc7) !== 0x05) continue;
        const target = vaddr + i + 7 + buf.readInt32LE(i + 3);
        if (!wanted.has(target)) continue;
        refs.push({ insnVaddr: vaddr + i, insnLength: 7, reg: ((buf[i + 2] >> 3) & 7) + (buf[i] & 4 ? 8 : 0), form: 'lea-rip' });
      }
    }
  }
  refs.sort((a, b) => a.insnVaddr - b.insnVaddr);
  return refs;
}

export interface CallCount {
  calls: number;
  tailJumps: number;
  /** vaddrs of the call/jmp instructions (first 64). */
  sites: number[];
}

/**
 * Counts `call rel32` (and `jmp rel32` tail calls) that land exactly on each target. A byte-wise scan, so an
 * E8/E9 byte inside another instruction can count too: a hit is evidence, not proof, and no hit on a
 * heuristic function start is a reason to reject it.
 */
export function countDirectCalls(elf: ElfFile, targets: readonly number[]): Map<number, CallCount> {
  const counts = new Map<number, CallCount>();
  for (const t of targets) counts.set(t, { calls: 0, tailJumps: 0, sites: [] });
  for (const { buf, vaddr, scanEnd } of codeChunks(elf)) {
    const limit = Math.min(scanEnd, buf.length - 5);
    // indexOf (memchr) hops between candidate opcode bytes, much faster than a JS loop over every byte.
    for (const op of [0xe8, 0xe9]) {
      for (let i = buf.indexOf(op); i >= 0 && i <= limit; i = buf.indexOf(op, i + 1)) {
        const c = counts.get(vaddr + i + 5 + buf.readInt32LE(i + 1));
        if (!c) continue;
        if (op === 0xe8) c.calls++;
        else c.tailJumps++;
        if (c.sites.length < 64) c.sites.push(vaddr + i);
      }
    }
  }
  return counts;
}

export interface DecodedSetup {
  /** Register values set by immediate moves / zeroing / rip-relative lea on the path to the call. */
  readonly regs: ReadonlyMap<number, number>;
  /** Target of the `call rel32` that ends the sequence, or null when decoding stopped first. */
  readonly callTarget: number | null;
  /** Why decoding stopped when it did not reach a call. */
  readonly stop?: string;
}

interface Insn {
  length: number;
  /** Register written and its now-known value (null = written with an unknown value). */
  write?: { reg: number; value: number | null };
  /** Register-to-register copy. */
  copy?: { dst: number; src: number };
  call?: number;
  jump?: number;
}

/** Decodes one instruction of the supported subset at buf[p] (its vaddr is `va`), or null. */
function decodeOne(buf: Buffer, p: number, va: number): Insn | null {
  if (p >= buf.length) return null;
  let rex = 0;
  let q = p;
  if ((buf[q] & 0xf0) === 0x40) rex = buf[q++];
  const w = (rex & 8) !== 0;
  const r = rex & 4 ? 8 : 0;
  const b = rex & 1 ? 8 : 0;
  const op = buf[q];
  if (q + 1 > buf.length) return null;
  if (op >= 0xb8 && op <= 0xbf) {
    if (w) {
      if (q + 9 > buf.length) return null;
      return { length: q + 9 - p, write: { reg: op - 0xb8 + b, value: Number(buf.readBigUInt64LE(q + 1)) } };
    }
    if (q + 5 > buf.length) return null;
    return { length: q + 5 - p, write: { reg: op - 0xb8 + b, value: buf.readUInt32LE(q + 1) } };
  }
  if (op === 0xe8 && rex === 0) return q + 5 <= buf.length ? { length: 5, call: va + 5 + buf.readInt32LE(q + 1) } : null;
  if (op === 0xe9 && rex === 0) return q + 5 <= buf.length ? { length: 5, jump: va + 5 + buf.readInt32LE(q + 1) } : null;
  if (op === 0xeb && rex === 0) return q + 2 <= buf.length ? { length: 2, jump: va + 2 + buf.readInt8(q + 1) } : null;
  const modrm = buf[q + 1];
  if (modrm === undefined) return null;
  const mod = modrm >> 6;
  const reg = ((modrm >> 3) & 7) + r;
  const rm = (modrm & 7) + b;
  if ((op === 0x31 || op === 0x33) && mod === 3) {
    return { length: q + 2 - p, write: { reg, value: reg === rm ? 0 : null } };
  }
  if (op === 0x89 && mod === 3) return { length: q + 2 - p, copy: { dst: rm, src: reg } };
  if (op === 0x8b && mod === 3) return { length: q + 2 - p, copy: { dst: reg, src: rm } };
  if (op === 0x8d && mod === 0 && (modrm & 7) === 5) {
    if (q + 6 > buf.length) return null;
    const end = q + 6;
    return { length: end - p, write: { reg, value: va + (end - p) + buf.readInt32LE(q + 2) } };
  }
  if (op === 0xc7 && mod === 3 && ((modrm >> 3) & 7) === 0) {
    if (q + 6 > buf.length) return null;
    return { length: q + 6 - p, write: { reg: rm, value: w ? buf.readInt32LE(q + 2) : buf.readUInt32LE(q + 2) } };
  }
  return null;
}

/**
 * Decodes forward from `startVaddr` through register set-up instructions and up to two unconditional jumps,
 * until a `call rel32`. Also looks back up to 32 bytes for a run of supported instructions that ends exactly
 * at `startVaddr` (compilers sometimes hoist one argument's `mov` above the others).
 */
export function decodeCallSetup(elf: ElfFile, startVaddr: number, maxInsns = 12): DecodedSetup {
  const regs = new Map<number, number>();
  const apply = (insn: Insn): void => {
    if (insn.write) {
      if (insn.write.value === null) regs.delete(insn.write.reg);
      else regs.set(insn.write.reg, insn.write.value);
    }
    if (insn.copy) {
      const v = regs.get(insn.copy.src);
      if (v === undefined) regs.delete(insn.copy.dst);
      else regs.set(insn.copy.dst, v);
    }
  };

  // Look-back: the longest supported run that lands exactly on startVaddr.
  const backLen = 32;
  let back: Buffer;
  try {
    back = elf.readVaddr(startVaddr - backLen, backLen);
  } catch {
    back = Buffer.alloc(0);
  }
  if (back.length === backLen) {
    for (let k = backLen; k >= 2; k--) {
      const prefix: Insn[] = [];
      let p = backLen - k;
      while (p < backLen) {
        const insn = decodeOne(back, p, startVaddr - backLen + p);
        if (!insn || insn.call !== undefined || insn.jump !== undefined) break;
        prefix.push(insn);
        p += insn.length;
      }
      if (p === backLen && prefix.length > 0) {
        prefix.forEach(apply);
        break;
      }
    }
  }

  let va = startVaddr;
  let jumps = 0;
  for (let n = 0; n < maxInsns; n++) {
    let buf: Buffer;
    try {
      buf = elf.readVaddr(va, 16);
    } catch {
      return { regs, callTarget: null, stop: 'left the file' };
    }
    const insn = decodeOne(buf, 0, va);
    if (!insn) return { regs, callTarget: null, stop: `unsupported instruction at 0x${va.toString(16)}` };
    if (insn.call !== undefined) return { regs, callTarget: insn.call };
    if (insn.jump !== undefined) {
      if (++jumps > 2) return { regs, callTarget: null, stop: 'too many jumps' };
      va = insn.jump;
      continue;
    }
    apply(insn);
    va += insn.length;
  }
  return { regs, callTarget: null, stop: 'no call within the instruction budget' };
}

/**
 * Whether the bytes at a function entry look like a compiler-generated prologue. Used as a sanity check
 * before trusting a boundary (a probe in the middle of an instruction corrupts the traced program).
 */
export function looksLikePrologue(bytes: Buffer): boolean {
  if (bytes.length < 4) return false;
  const [b0, b1, b2, b3] = bytes;
  if (b0 === 0xf3 && b1 === 0x0f && b2 === 0x1e && b3 === 0xfa) return true; // endbr64
  if (b0 === 0x55 || b0 === 0x53 || b0 === 0x50) return true; // push rbp / rbx / rax
  if (b0 === 0x41 && b1 >= 0x54 && b1 <= 0x57) return true; // push r12..r15
  if (b0 === 0x48 && (b1 === 0x83 || b1 === 0x81) && b2 === 0xec) return true; // sub rsp, imm
  if (b0 === 0x48 && b1 === 0x89 && (b2 & 0xc7) === 0x44 && b3 === 0x24) return true; // mov [rsp+d8], reg
  if (b0 === 0x48 && b1 === 0x89 && b2 === 0x5c && b3 === 0x24) return true; // mov [rsp+d8], rbx
  return false;
}
