/**
 * Sanity checks before a location becomes a probe. A uprobe at a wrong offset (mid-instruction, or in the
 * wrong function) can crash or silently corrupt the traced agent, so every candidate must pass all checks;
 * a failed check makes discovery report "not found" with the reason.
 */
import { ElfFile, ElfSymbol } from './elf-file';
import { EhFrameIndex } from './eh-frame';
import { FunctionStart } from './function-bounds';
import type { ProbeKind, TlsProbe } from './types';
import { CallCount, looksLikePrologue } from './x86-scan';

export interface Check {
  readonly ok: boolean;
  readonly why: string;
}

/** Checks a function entry found in stripped code. */
export function checkFunctionEntry(elf: ElfFile, eh: EhFrameIndex | null, fn: FunctionStart, calls: CallCount | undefined): Check {
  const hex = `0x${fn.start.toString(16)}`;
  if (!elf.isExecutableVaddr(fn.start)) return { ok: false, why: `${hex} is not in an executable segment` };
  const bytes = elf.readVaddr(fn.start, 16);
  if (!looksLikePrologue(bytes)) return { ok: false, why: `${hex} does not start with a recognised prologue (${bytes.subarray(0, 8).toString('hex')})` };
  const direct = calls ? calls.calls + calls.tailJumps : 0;
  if (fn.source === 'eh_frame') {
    if (!eh?.isFunctionStart(fn.start)) return { ok: false, why: `${hex} is not an .eh_frame function start` };
    const callNote = calls ? `${direct} direct call site(s)` : 'call sites not counted';
    return { ok: true, why: `${hex}: .eh_frame function start, prologue ${bytes.subarray(0, 4).toString('hex')}, ${callNote}` };
  }
  // No unwind info: a boundary from the code's layout is only trusted when code elsewhere calls exactly this address.
  const how = fn.source === 'int3-padding' ? 'int3-padded boundary' : 'boundary after a terminating instruction';
  if (direct === 0) return { ok: false, why: `${hex}: ${how} without any direct call to it` };
  if (eh && eh.functionContaining(fn.start)) return { ok: false, why: `${hex}: inside an .eh_frame-described function` };
  return { ok: true, why: `${hex}: ${how}, prologue ${bytes.subarray(0, 4).toString('hex')}, ${direct} direct call site(s)` };
}

/** Checks a symbol-table function address. */
export function checkSymbolEntry(elf: ElfFile, eh: EhFrameIndex | null, name: string, vaddr: number): Check {
  const hex = `0x${vaddr.toString(16)}`;
  if (!elf.isExecutableVaddr(vaddr)) return { ok: false, why: `${name} at ${hex} is not in an executable segment` };
  if (eh && eh.count > 0 && eh.functionContaining(vaddr) && !eh.isFunctionStart(vaddr)) {
    return { ok: false, why: `${name} at ${hex} falls inside another .eh_frame function` };
  }
  return { ok: true, why: `${name} at ${hex}` };
}

/** Probes for the found symbols of `kinds` that pass checkSymbolEntry; the rest are named in missing or notes. */
export function symbolProbes(
  elf: ElfFile,
  eh: EhFrameIndex | null,
  kinds: readonly ProbeKind[],
  found: Map<string, ElfSymbol>,
  label: string,
): { probes: TlsProbe[]; missing: ProbeKind[]; notes: string[] } {
  const probes: TlsProbe[] = [];
  const missing: ProbeKind[] = [];
  const notes: string[] = [];
  for (const kind of kinds) {
    const sym = found.get(kind);
    if (!sym) {
      missing.push(kind);
      continue;
    }
    const check = checkSymbolEntry(elf, eh, kind, sym.value);
    if (!check.ok) {
      notes.push(`${label}: rejected ${check.why}`);
      continue;
    }
    probes.push({ kind, symbol: sym.name, vaddr: sym.value, fileOffset: elf.vaddrToOffset(sym.value), method: sym.table });
  }
  return { probes, missing, notes };
}
