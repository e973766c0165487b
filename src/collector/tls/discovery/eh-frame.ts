/**
 * Function boundaries from `.eh_frame_hdr` / `.eh_frame`.
 *
 * Stripped binaries keep their unwind tables: the `.eh_frame_hdr` binary-search table lists the start address
 * of every function that has an FDE, and each FDE gives the function's length. This is the ground truth we
 * check probe candidates against (a uprobe must sit on an instruction boundary, best at a function entry).
 */
import { ElfFile, PT_GNU_EH_FRAME } from './elf-file';

const DW_EH_PE_omit = 0xff;

export interface FunctionRange {
  readonly start: number;
  readonly end: number;
}

export class EhFrameIndex {
  private constructor(
    private readonly elf: ElfFile,
    /** Sorted function start vaddrs. */
    readonly starts: Float64Array,
    /** vaddr of each start's FDE, same order. */
    private readonly fdes: Float64Array,
  ) {}

  /** Reads the `.eh_frame_hdr` search table; null when the file has none (or an unsorted/unknown encoding). */
  static load(elf: ElfFile): EhFrameIndex | null {
    const seg = elf.segments.find((s) => s.type === PT_GNU_EH_FRAME);
    const sec = elf.section('.eh_frame_hdr');
    const hdrVaddr = seg?.vaddr ?? sec?.addr;
    const hdrOff = seg?.offset ?? sec?.offset;
    if (hdrVaddr === undefined || hdrOff === undefined) return null;
    const head = elf.read(hdrOff, 64);
    if (head.length < 12 || head[0] !== 1) return null;
    const ehFramePtrEnc = head[1];
    const countEnc = head[2];
    const tableEnc = head[3];
    // Only the layout every linker emits is supported: count as udata4, table as datarel sdata4.
    if (countEnc === DW_EH_PE_omit || tableEnc !== 0x3b) return null;
    let p = 4;
    const ptr = decodePointer(head, p, ehFramePtrEnc, hdrVaddr + p, hdrVaddr);
    if (!ptr) return null;
    p += ptr.size;
    const count = decodePointer(head, p, countEnc, hdrVaddr + p, hdrVaddr);
    if (!count) return null;
    p += count.size;
    const n = count.value;
    const table = elf.read(hdrOff + p, n * 8);
    if (table.length < n * 8) return null;
    const starts = new Float64Array(n);
    const fdes = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      starts[i] = hdrVaddr + table.readInt32LE(i * 8);
      fdes[i] = hdrVaddr + table.readInt32LE(i * 8 + 4);
      if (i > 0 && starts[i] < starts[i - 1]) return null;
    }
    return new EhFrameIndex(elf, starts, fdes);
  }

  get count(): number {
    return this.starts.length;
  }

  /** Whether `vaddr` is exactly a function start listed in the table. */
  isFunctionStart(vaddr: number): boolean {
    const i = this.indexAtOrBefore(vaddr);
    return i >= 0 && this.starts[i] === vaddr;
  }

  /** The FDE-described function that contains `vaddr`, or null when no FDE covers it. */
  functionContaining(vaddr: number): FunctionRange | null {
    const i = this.indexAtOrBefore(vaddr);
    if (i < 0) return null;
    const start = this.starts[i];
    const len = this.fdeRange(this.fdes[i]);
    if (len === null || vaddr >= start + len) return null;
    return { start, end: start + len };
  }

  private indexAtOrBefore(vaddr: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= vaddr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  /** pc_range of the FDE at `fdeVaddr`, decoded with its CIE's pointer encoding. */
  private fdeRange(fdeVaddr: number): number | null {
    let fde: Buffer;
    try {
      fde = this.elf.readVaddr(fdeVaddr, 64);
    } catch {
      return null;
    }
    if (fde.length < 16) return null;
    let p = 0;
    let len = fde.readUInt32LE(p);
    p += 4;
    if (len === 0xffffffff) {
      p += 8; // 64-bit DWARF length; the CIE pointer stays 4 bytes in .eh_frame
      len = 0;
    }
    const ciePtrPos = fdeVaddr + p;
    const cieDelta = fde.readUInt32LE(p);
    p += 4;
    const enc = this.cieFdeEncoding(ciePtrPos - cieDelta);
    if (enc === null) return null;
    const begin = decodePointer(fde, p, enc, fdeVaddr + p, 0);
    if (!begin) return null;
    p += begin.size;
    const range = decodePointer(fde, p, enc & 0x0f, 0, 0);
    return range ? range.value : null;
  }

  private readonly cieCache = new Map<number, number | null>();

  /** The 'R' augmentation (FDE pointer encoding) of the CIE at `cieVaddr`. */
  private cieFdeEncoding(cieVaddr: number): number | null {
    const cached = this.cieCache.get(cieVaddr);
    if (cached !== undefined) return cached;
    let result: number | null = null;
    try {
      const b = this.elf.readVaddr(cieVaddr, 128);
      let p = 4;
      if (b.readUInt32LE(0) === 0xffffffff) p += 8;
      p += 4; // CIE id (0)
      const version = b[p++];
      const augEnd = b.indexOf(0, p);
      const aug = b.toString('latin1', p, augEnd);
      p = augEnd + 1;
      p = skipUleb(b, p); // code alignment
      p = skipUleb(b, p); // data alignment (sleb has the same length rules)
      p = version === 1 ? p + 1 : skipUleb(b, p); // return address register
      result = 0; // absptr when no 'R'
      if (aug.startsWith('z')) {
        p = skipUleb(b, p); // augmentation data length
        for (const c of aug.slice(1)) {
          if (c === 'R') {
            result = b[p++];
            break;
          } else if (c === 'P') {
            const penc = b[p++];
            const ptr = decodePointer(b, p, penc & 0x7f, 0, 0);
            if (!ptr) break;
            p += ptr.size;
          } else if (c === 'L') p++;
          else if (c === 'S' || c === 'B' || c === 'G') continue;
          else break;
        }
      }
    } catch {
      result = null;
    }
    this.cieCache.set(cieVaddr, result);
    return result;
  }
}

function skipUleb(b: Buffer, p: number): number {
  while (p < b.length && b[p] & 0x80) p++;
  return p + 1;
}

function readUleb(b: Buffer, p: number): { value: number; size: number } {
  let result = 0;
  let shift = 0;
  let i = p;
  for (;;) {
    const byte = b[i++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80) || i >= b.length) break;
  }
  return { value: result, size: i - p };
}

/** Decodes a DW_EH_PE-encoded pointer at b[p]; `pcVaddr` is the field's own vaddr (pcrel), `dataBase` for datarel. */
function decodePointer(b: Buffer, p: number, enc: number, pcVaddr: number, dataBase: number): { value: number; size: number } | null {
  if (enc === DW_EH_PE_omit) return null;
  let value: number;
  let size: number;
  switch (enc & 0x0f) {
    case 0x00:
    case 0x04:
      value = Number(b.readBigUInt64LE(p));
      size = 8;
      break;
    case 0x0c:
      value = Number(b.readBigInt64LE(p));
      size = 8;
      break;
    case 0x01: {
      const r = readUleb(b, p);
      value = r.value;
      size = r.size;
      break;
    }
    case 0x02:
      value = b.readUInt16LE(p);
      size = 2;
      break;
    case 0x03:
      value = b.readUInt32LE(p);
      size = 4;
      break;
    case 0x0a:
      value = b.readInt16LE(p);
      size = 2;
      break;
    case 0x0b:
      value = b.readInt32LE(p);
      size = 4;
      break;
    default:
      return null;
  }
  switch (enc & 0x70) {
    case 0x00:
      break;
    case 0x10:
      value += pcVaddr;
      break;
    case 0x30:
      value += dataBase;
      break;
    default:
      return null;
  }
  return { value, size };
}
