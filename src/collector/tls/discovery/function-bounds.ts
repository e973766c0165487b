/**
 * Where does the function containing an address start?
 *
 * First choice: the `.eh_frame_hdr` table (exact). Bun's release binaries ship no `.eh_frame_hdr` at all and
 * Claude Code's covers only part of the code, so the fallback reads the linker's layout: with
 * -ffunction-sections, lld pads the gap between functions with int3 (0xcc) up to the 16-byte alignment, and
 * clang pads inside functions with multi-byte nops, never int3. A 16-aligned address right after int3
 * padding whose bytes look like a prologue is therefore a function start. Because a stray 0xcc inside an
 * instruction could fake that, callers must confirm a heuristic start with direct call sites to it.
 *
 * A function whose end falls on the 16-byte boundary gets no padding at all: Bun 1.3.14 lays ssl_read_impl and
 * SSL_write end to end, and the padding rule alone merged them into one "function" (no SSL_write found). So a
 * 16-aligned address is also a start when the instruction before it ends the previous function (ret, jmp, ud2, or a
 * call that does not return) and it begins with a frame-setting prologue (push rbp; mov rbp, rsp, or endbr64): what
 * clang emits at every entry of these builds and never at the start of an inner block. Such starts, like padded
 * ones, are trusted only with direct call sites (verify.ts).
 */
import { ElfFile } from './elf-file';
import { EhFrameIndex } from './eh-frame';
import { looksLikePrologue } from './x86-scan';

export interface FunctionStart {
  readonly start: number;
  /** End (exclusive) when known from the FDE. */
  readonly end: number | null;
  readonly source: 'eh_frame' | 'int3-padding' | 'after-terminator';
}

/** How far back we look for the padding before giving up (BoringSSL's SSL_* functions are well below this). */
const MAX_FUNCTION_BYTES = 64 * 1024;

export class FunctionBounds {
  private readonly cache = new Map<number, FunctionStart | null>();

  constructor(
    private readonly elf: ElfFile,
    readonly eh: EhFrameIndex | null,
  ) {}

  /** The function containing `vaddr`, or null when neither method finds a boundary. */
  containing(vaddr: number): FunctionStart | null {
    const fde = this.eh?.functionContaining(vaddr);
    if (fde) return { start: fde.start, end: fde.end, source: 'eh_frame' };
    return this.byPadding(vaddr);
  }

  private byPadding(vaddr: number): FunctionStart | null {
    const seg = this.elf.segmentForVaddr(vaddr);
    if (!seg) return null;
    // Never read before the segment: code near its start would otherwise find no boundary at all.
    const from = Math.max(seg.vaddr, vaddr - MAX_FUNCTION_BYTES);
    let buf: Buffer;
    try {
      buf = this.elf.readVaddr(from, vaddr - from + 16);
    } catch {
      return null;
    }
    for (let i = vaddr - from; i >= 0; i--) {
      const va = from + i;
      if (va % 16 !== 0) continue;
      const boundary = (i > 0 && buf[i - 1] === 0xcc) || va === seg.vaddr;
      if (!boundary) {
        if (endsFunction(buf, i) && isFramePrologue(buf.subarray(i, i + 4))) {
          const result = { start: va, end: null, source: 'after-terminator' as const };
          this.cache.set(va, result);
          return result;
        }
        continue;
      }
      if (this.cache.has(va)) return this.cache.get(va) ?? null;
      const result = looksLikePrologue(buf.subarray(i, i + 8)) ? { start: va, end: null, source: 'int3-padding' as const } : null;
      this.cache.set(va, result);
      // The nearest padding boundary is the only candidate: stepping past it would cross into another function.
      return result;
    }
    return null;
  }
}

/** The bytes before `i` end with an instruction after which the previous function cannot go on. */
function endsFunction(buf: Buffer, i: number): boolean {
  if (i >= 1 && buf[i - 1] === 0xc3) return true; // ret
  if (i >= 2 && buf[i - 2] === 0x0f && buf[i - 1] === 0x0b) return true; // ud2
  if (i >= 2 && buf[i - 2] === 0xeb) return true; // jmp rel8
  if (i >= 5 && (buf[i - 5] === 0xe9 || buf[i - 5] === 0xe8)) return true; // jmp rel32, call rel32 (to a noreturn function)
  return false;
}

/** push rbp; mov rbp, rsp — or endbr64. */
function isFramePrologue(b: Buffer): boolean {
  if (b.length < 4) return false;
  return (b[0] === 0x55 && b[1] === 0x48 && b[2] === 0x89 && b[3] === 0xe5) || (b[0] === 0xf3 && b[1] === 0x0f && b[2] === 0x1e && b[3] === 0xfa);
}
