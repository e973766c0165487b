/**
 * OPENSSL_PUT_ERROR call sites of one source file, decoded from machine code.
 *
 * BoringSSL and aws-lc keep `__FILE__` strings for their error queue even in stripped binaries, and every
 * OPENSSL_PUT_ERROR(lib, reason) compiles to `ERR_put_error(lib, [0,] reason, __FILE__, __LINE__)` with all
 * arguments as immediates. So for a file like `ssl/ssl_lib.cc` we get the list of (function, reason, line)
 * triples, which identifies functions by what their source does (reason codes are public ABI and the order of
 * lines follows the source), without any per-version offset table.
 */
import { ElfFile, PF_W, PF_X, PT_LOAD } from './elf-file';
import { FunctionBounds, FunctionStart } from './function-bounds';
import { decodeCallSetup, findAddressRefs, REG } from './x86-scan';

export interface ErrorSite {
  readonly vaddr: number;
  readonly lib: number;
  readonly reason: number;
  readonly line: number;
  /** The ERR_put_error callee (all sites of one binary share it). */
  readonly callee: number;
  readonly fn: FunctionStart | null;
}

export interface ErrorSiteScan {
  /** vaddrs of the matching `__FILE__` strings. */
  readonly strings: number[];
  readonly sites: ErrorSite[];
  /** References whose argument set-up could not be decoded (surfaced, never silently dropped). */
  readonly unreadable: { vaddr: number; why: string }[];
}

const CHUNK = 16 << 20;

/** Read-only data segments: where compilers put string literals (not code, not writable data such as Bun's embedded bundle). */
function isReadOnlyData(seg: { type: number; flags: number }): boolean {
  return seg.type === PT_LOAD && !(seg.flags & PF_X) && !(seg.flags & PF_W);
}

/**
 * vaddrs of NUL-terminated strings ending with `suffix` in the file's read-only data segments.
 * Both the whole string's start and the suffix position are returned (linkers merge string tails).
 */
export function findStringsEndingWith(elf: ElfFile, suffix: string): number[] {
  const needle = Buffer.from(suffix + '\0', 'latin1');
  const found = new Set<number>();
  const scratch = Buffer.allocUnsafe(CHUNK + needle.length + 4096);
  for (const seg of elf.segments) {
    if (!isReadOnlyData(seg)) continue;
    for (let pos = 0; pos < seg.filesz; pos += CHUNK) {
      const len = Math.min(CHUNK + needle.length + 4096, seg.filesz - pos);
      const buf = elf.readInto(scratch, seg.offset + pos, len);
      for (let i = buf.indexOf(needle); i >= 0 && i < CHUNK; i = buf.indexOf(needle, i + 1)) {
        found.add(seg.vaddr + pos + i);
        // Walk back to the start of the C string (bounded: paths are short).
        let s = i;
        while (s > 0 && i - s < 512 && buf[s - 1] >= 0x20 && buf[s - 1] < 0x7f) s--;
        if (s === 0 && pos > 0) continue; // start lies in the previous chunk; the suffix position still counts
        found.add(seg.vaddr + pos + s);
      }
    }
  }
  return [...found].sort((a, b) => a - b);
}

/** Whether `needle` occurs in the file's read-only data segments (e.g. a Rust crate path in panic data). */
export function dataContains(elf: ElfFile, needle: string): boolean {
  const n = Buffer.from(needle, 'latin1');
  const scratch = Buffer.allocUnsafe(CHUNK + n.length);
  for (const seg of elf.segments) {
    if (!isReadOnlyData(seg)) continue;
    for (let pos = 0; pos < seg.filesz; pos += CHUNK) {
      const buf = elf.readInto(scratch, seg.offset + pos, Math.min(CHUNK + n.length, seg.filesz - pos));
      if (buf.indexOf(n) >= 0) return true;
    }
  }
  return false;
}

/** Decodes every ERR_put_error call whose file argument is one of `fileStrings` and whose library is `lib`. */
export function scanErrorSites(elf: ElfFile, bounds: FunctionBounds, fileStrings: number[], lib: number): ErrorSiteScan {
  const refs = findAddressRefs(elf, fileStrings);
  const sites: ErrorSite[] = [];
  const unreadable: { vaddr: number; why: string }[] = [];
  for (const ref of refs) {
    const setup = decodeCallSetup(elf, ref.insnVaddr);
    if (setup.callTarget === null) {
      unreadable.push({ vaddr: ref.insnVaddr, why: setup.stop ?? 'no call' });
      continue;
    }
    // Two calling conventions are in use: ERR_put_error(lib, unused, reason, file, line) in older BoringSSL
    // and aws-lc, ERR_put_error(lib, reason, file, line) in current BoringSSL. The file's register tells which.
    let reasonReg: number;
    let lineReg: number;
    if (ref.reg === REG.rcx) {
      reasonReg = REG.rdx;
      lineReg = REG.r8;
    } else if (ref.reg === REG.rdx) {
      reasonReg = REG.rsi;
      lineReg = REG.rcx;
    } else {
      // The REX.B reading of an ambiguous `41 b8+r` is the wrong one whenever the plain reading is an argument.
      if (!ref.ambiguousRex) unreadable.push({ vaddr: ref.insnVaddr, why: `file string loaded into register ${ref.reg}, not an ERR_put_error argument` });
      continue;
    }
    const l = setup.regs.get(REG.rdi);
    const reason = setup.regs.get(reasonReg);
    const line = setup.regs.get(lineReg);
    if (l === undefined || reason === undefined || line === undefined) {
      unreadable.push({ vaddr: ref.insnVaddr, why: 'library, reason or line not set by immediates' });
      continue;
    }
    if (l !== lib) continue;
    sites.push({ vaddr: ref.insnVaddr, lib: l, reason, line, callee: setup.callTarget, fn: bounds.containing(ref.insnVaddr) });
  }
  return { strings: fileStrings, sites, unreadable };
}

/** Sites grouped by containing function start (sites without a known function are left out and counted). */
export function groupByFunction(sites: readonly ErrorSite[]): Map<number, { fn: FunctionStart; sites: ErrorSite[] }> {
  const groups = new Map<number, { fn: FunctionStart; sites: ErrorSite[] }>();
  for (const s of sites) {
    if (!s.fn) continue;
    const g = groups.get(s.fn.start);
    if (g) g.sites.push(s);
    else groups.set(s.fn.start, { fn: s.fn, sites: [s] });
  }
  for (const g of groups.values()) g.sites.sort((a, b) => a.line - b.line);
  return groups;
}

/** Whether the function raises `reasons` in this source-line order (other reasons may be interleaved). */
export function raisesInOrder(sites: readonly ErrorSite[], reasons: readonly number[]): boolean {
  let k = 0;
  for (const s of [...sites].sort((a, b) => a.line - b.line)) {
    if (k < reasons.length && s.reason === reasons[k]) k++;
  }
  return k === reasons.length;
}

export function describeSites(sites: readonly ErrorSite[]): string {
  return sites.map((s) => `${s.reason}@${s.line}`).join(',');
}
