/**
 * Go's function table (pclntab), which survives `-ldflags=-s -w`: it maps every function's name to its entry and,
 * through the next entry, its end. Read from the `.gopclntab` section, or found by its header magic in the read-only
 * data when the section headers are gone. Only the Go 1.18+ layouts (magic 0xfffffff0, 1.20+ 0xfffffff1): older
 * toolchains also predate or only just began the register ABI the probes rely on.
 */
import { ElfFile, PF_X, PT_LOAD } from './elf-file';

const MAGIC_118 = 0xfffffff0;
const MAGIC_120 = 0xfffffff1;

export interface GoFunc {
  readonly name: string;
  readonly entry: number;
  /** First address after the function (the next function's entry). */
  readonly end: number;
}

export interface GoPclntab {
  /** '1.18+' or '1.20+', from the magic. */
  readonly version: string;
  readonly where: string;
  /** The wanted names that were found. */
  readonly funcs: Map<string, GoFunc>;
}

/** Looks the wanted functions up; null when there is no usable pclntab (with why). */
export function readGoFuncs(elf: ElfFile, wanted: readonly string[]): GoPclntab | { error: string } {
  const loc = locate(elf);
  if ('error' in loc) return loc;
  const { buf, where } = loc;
  const magic = buf.readUInt32LE(0);
  if (magic !== MAGIC_118 && magic !== MAGIC_120) return { error: `pclntab magic 0x${magic.toString(16)}: Go older than 1.18 is not probed` };
  if (buf[6] !== 1 || buf[7] !== 8) return { error: `pclntab quantum ${buf[6]} pointer size ${buf[7]}: not amd64` };
  const u = (o: number): number => Number(buf.readBigUInt64LE(o));
  const nfunc = u(8);
  // PIE builds may leave textStart to a dynamic relocation (0 in the file): runtime.text is where .text starts.
  let textStart = u(24);
  if (!elf.isExecutableVaddr(textStart)) textStart = elf.section('.text')?.addr ?? textStart;
  if (!elf.isExecutableVaddr(textStart)) return { error: `pclntab text start 0x${textStart.toString(16)} is not code` };
  const funcnameOff = u(32);
  const pclnOff = u(64);
  if (nfunc <= 0 || nfunc > 10_000_000 || pclnOff + (nfunc + 1) * 8 > buf.length) return { error: 'pclntab header out of range' };
  const names = new Map(wanted.map((n) => [n, Buffer.from(`${n}\0`, 'latin1')]));
  const funcs = new Map<string, GoFunc>();
  for (let i = 0; i < nfunc && funcs.size < names.size; i++) {
    const ft = pclnOff + i * 8;
    const funcoff = buf.readUInt32LE(ft + 4);
    const fp = pclnOff + funcoff;
    if (fp + 8 > buf.length) return { error: `pclntab func ${i} out of range` };
    const nameAt = funcnameOff + buf.readInt32LE(fp + 4);
    for (const [name, needle] of names) {
      if (funcs.has(name) || nameAt + needle.length > buf.length) continue;
      if (buf.compare(needle, 0, needle.length, nameAt, nameAt + needle.length) !== 0) continue;
      const entry = textStart + buf.readUInt32LE(ft);
      const end = textStart + buf.readUInt32LE(ft + 8);
      if (end <= entry) return { error: `${name}: pclntab end 0x${end.toString(16)} not after entry` };
      funcs.set(name, { name, entry, end });
    }
  }
  return { version: magic === MAGIC_118 ? '1.18+' : '1.20+', where, funcs };
}

function locate(elf: ElfFile): { buf: Buffer; where: string } | { error: string } {
  for (const name of ['.gopclntab', '.data.rel.ro.gopclntab']) {
    const sec = elf.section(name); // the second in PIE builds
    if (sec && sec.size > 64 && sec.offset + sec.size <= elf.size) return { buf: elf.read(sec.offset, sec.size), where: name };
  }
  // Section headers removed, or a linker that keeps the pclntab inside .data.rel.ro (Go 1.2x PIE, e.g. docker): search
  // the data segments for the header (magic, 0, 0, quantum 1, pointer size 8).
  const head = [Buffer.from([0xf0, 0xff, 0xff, 0xff, 0, 0, 1, 8]), Buffer.from([0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8])];
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || seg.flags & PF_X || seg.filesz < 64) continue;
    const data = elf.read(seg.offset, seg.filesz);
    for (const h of head) {
      for (let at = data.indexOf(h); at >= 0; at = data.indexOf(h, at + 8)) {
        if (at % 8 !== 0) continue;
        return { buf: data.subarray(at), where: `magic at file offset 0x${(seg.offset + at).toString(16)}` };
      }
    }
  }
  return { error: 'no .gopclntab section and no pclntab header in the data' };
}
