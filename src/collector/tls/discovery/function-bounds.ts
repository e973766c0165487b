/**
 * Where does the function containing an address start?
 *
 * First choice: the `.eh_frame_hdr` table (exact). Bun's release binaries ship no `.eh_frame_hdr` at all and
 * Claude Code's covers only part of the code, so the fallback reads the linker's layout: with
 * -ffunction-sections, lld pads the gap between functions with int3 (0xcc) up to the 16-byte alignment, and
 * clang pads inside functions with multi-byte nops, never int3. A 16-aligned address right after int3
 * padding whose bytes look like a prologue is therefore a function start. Because a stray 0xcc inside an
 * instruction could fake that, callers must confirm a heuristic start with direct call sites to it.
 */
import { ElfFile } from './elf-file';
import { EhFrameIndex } from './eh-frame';
import { looksLikePrologue } from './x86-scan';

export interface FunctionStart {
  readonly start: number;
  /** End (exclusive) when known from the FDE. */
  readonly end: number | null;
  readonly source: 'eh_frame' | 'int3-padding';
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
      if (!boundary) continue;
      if (this.cache.has(va)) return this.cache.get(va) ?? null;
      const result = looksLikePrologue(buf.subarray(i, i + 8)) ? { start: va, end: null, source: 'int3-padding' as const } : null;
      this.cache.set(va, result);
      // The nearest padding boundary is the only candidate: stepping past it would cross into another function.
      return result;
    }
    return null;
  }
}
