/**
 * A read-only ELF64 little-endian reader over a file descriptor.
 *
 * Agent binaries are large (Claude Code ~245 MB, Codex ~295 MB), so nothing reads the whole file: headers,
 * section headers and symbol tables are read with positioned reads, and code is read in ranges by callers.
 */
import * as fs from 'fs';

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_GNU_EH_FRAME = 0x6474e550;
export const PF_X = 1;
export const PF_W = 2;
export const SHT_SYMTAB = 2;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const STT_FUNC = 2;
export const STT_GNU_IFUNC = 10;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_RUNPATH = 29;
const DT_RPATH = 15;
const NT_GNU_BUILD_ID = 3;

export interface ElfSegment {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
}

export interface ElfSection {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly entsize: number;
}

export interface ElfSymbol {
  readonly name: string;
  readonly value: number;
  readonly size: number;
  /** STT_* */
  readonly type: number;
  /** STB_* */
  readonly bind: number;
  readonly shndx: number;
  readonly table: 'symtab' | 'dynsym';
}

export class ElfError extends Error {
  constructor(
    readonly code: 'NOT_ELF' | 'UNSUPPORTED_ELF' | 'TRUNCATED' | 'BAD_ADDRESS',
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'ElfError';
  }
}

export class ElfFile {
  readonly type: number;
  readonly machine: number;
  readonly entry: number;
  readonly segments: readonly ElfSegment[];
  readonly sections: readonly ElfSection[];
  readonly size: number;
  private readonly symbolCache = new Map<'symtab' | 'dynsym', ElfSymbol[]>();
  /** Per-name lookup memo (null = known absent). */
  private readonly symbolIndex = new Map<string, ElfSymbol | null>();
  private readonly rawTables = new Map<'symtab' | 'dynsym', { data: Buffer; strs: Buffer; entsize: number } | null>();

  private constructor(
    readonly path: string,
    private fd: number | null,
  ) {
    const st = fs.fstatSync(this.requireFd());
    this.size = st.size;
    const ident = this.read(0, 64);
    if (ident.length < 64 || ident.readUInt32BE(0) !== 0x7f454c46) throw new ElfError('NOT_ELF', path, 'not an ELF file');
    if (ident[4] !== 2 || ident[5] !== 1) throw new ElfError('UNSUPPORTED_ELF', path, 'only ELF64 little-endian is supported');
    this.type = ident.readUInt16LE(16);
    this.machine = ident.readUInt16LE(18);
    this.entry = num(ident.readBigUInt64LE(24));
    const phoff = num(ident.readBigUInt64LE(32));
    const shoff = num(ident.readBigUInt64LE(40));
    const phentsize = ident.readUInt16LE(54);
    const phnum = ident.readUInt16LE(56);
    const shentsize = ident.readUInt16LE(58);
    let shnum = ident.readUInt16LE(60);
    let shstrndx = ident.readUInt16LE(62);

    const ph = this.read(phoff, phentsize * phnum);
    const segments: ElfSegment[] = [];
    for (let i = 0; i < phnum; i++) {
      const b = i * phentsize;
      if (b + 56 > ph.length) throw new ElfError('TRUNCATED', path, 'program headers truncated');
      segments.push({
        type: ph.readUInt32LE(b),
        flags: ph.readUInt32LE(b + 4),
        offset: num(ph.readBigUInt64LE(b + 8)),
        vaddr: num(ph.readBigUInt64LE(b + 16)),
        filesz: num(ph.readBigUInt64LE(b + 32)),
        memsz: num(ph.readBigUInt64LE(b + 40)),
      });
    }
    this.segments = segments;

    const sections: ElfSection[] = [];
    if (shoff !== 0 && shentsize >= 64) {
      // Extended numbering: when there are too many sections, the real counts live in section 0.
      if (shnum === 0 || shstrndx === 0xffff) {
        const s0 = this.read(shoff, 64);
        if (shnum === 0) shnum = num(s0.readBigUInt64LE(32));
        if (shstrndx === 0xffff) shstrndx = s0.readUInt32LE(40);
      }
      const sh = this.read(shoff, shentsize * shnum);
      const raw: (Omit<ElfSection, 'name'> & { nameOff: number })[] = [];
      for (let i = 0; i < shnum && (i + 1) * shentsize <= sh.length; i++) {
        const b = i * shentsize;
        raw.push({
          nameOff: sh.readUInt32LE(b),
          type: sh.readUInt32LE(b + 4),
          flags: num(sh.readBigUInt64LE(b + 8)),
          addr: num(sh.readBigUInt64LE(b + 16)),
          offset: num(sh.readBigUInt64LE(b + 24)),
          size: num(sh.readBigUInt64LE(b + 32)),
          link: sh.readUInt32LE(b + 40),
          entsize: num(sh.readBigUInt64LE(b + 56)),
        });
      }
      const strtab = raw[shstrndx];
      const names = strtab && strtab.type !== SHT_NOBITS ? this.read(strtab.offset, strtab.size) : Buffer.alloc(0);
      for (const r of raw) {
        const { nameOff, ...rest } = r;
        sections.push({ ...rest, name: cstr(names, nameOff) });
      }
    }
    this.sections = sections;
  }

  /** Opens `path`; throws ElfError for non-ELF or unsupported files. Call close() when done. */
  static open(path: string): ElfFile {
    const fd = fs.openSync(path, 'r');
    try {
      return new ElfFile(path, fd);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  /** Position-independent (ET_DYN): code refers to data RIP-relative rather than by absolute immediates. */
  get isPie(): boolean {
    return this.type === ET_DYN;
  }

  /** Reads up to `length` bytes at file offset `offset` (shorter at end of file). */
  read(offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(Math.max(0, length));
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.requireFd(), buf, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? buf : buf.subarray(0, done);
  }

  /** Like read(), into a caller-owned buffer; returns the filled prefix. */
  readInto(target: Buffer, offset: number, length: number): Buffer {
    const want = Math.min(length, target.length);
    let done = 0;
    while (done < want) {
      const n = fs.readSync(this.requireFd(), target, done, want - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return target.subarray(0, done);
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  loadSegments(): ElfSegment[] {
    return this.segments.filter((s) => s.type === PT_LOAD);
  }

  /** The PT_LOAD segment whose file-backed part holds `vaddr`. */
  segmentForVaddr(vaddr: number): ElfSegment | undefined {
    return this.segments.find((s) => s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
  }

  /** File offset of `vaddr` (uprobes attach at file offsets, not virtual addresses). */
  vaddrToOffset(vaddr: number): number {
    const seg = this.segmentForVaddr(vaddr);
    if (!seg) throw new ElfError('BAD_ADDRESS', this.path, `vaddr 0x${vaddr.toString(16)} is not in a file-backed PT_LOAD segment`);
    return vaddr - seg.vaddr + seg.offset;
  }

  offsetToVaddr(offset: number): number | null {
    const seg = this.segments.find((s) => s.type === PT_LOAD && offset >= s.offset && offset < s.offset + s.filesz);
    return seg ? offset - seg.offset + seg.vaddr : null;
  }

  /** Whether `vaddr` lies in an executable PT_LOAD segment. */
  isExecutableVaddr(vaddr: number): boolean {
    const seg = this.segmentForVaddr(vaddr);
    return !!seg && (seg.flags & PF_X) !== 0;
  }

  readVaddr(vaddr: number, length: number): Buffer {
    const seg = this.segmentForVaddr(vaddr);
    if (!seg) throw new ElfError('BAD_ADDRESS', this.path, `vaddr 0x${vaddr.toString(16)} is not mapped from the file`);
    const avail = seg.vaddr + seg.filesz - vaddr;
    return this.read(vaddr - seg.vaddr + seg.offset, Math.min(length, avail));
  }

  /** GNU build-id as hex, or null. Looked up through SHT_NOTE sections, then PT_NOTE segments. */
  buildId(): string | null {
    const candidates: { offset: number; size: number }[] = [];
    for (const s of this.sections) if (s.type === SHT_NOTE) candidates.push({ offset: s.offset, size: s.size });
    for (const p of this.segments) if (p.type === 4 /* PT_NOTE */) candidates.push({ offset: p.offset, size: p.filesz });
    for (const c of candidates) {
      if (c.size > 1 << 20) continue;
      const b = this.read(c.offset, c.size);
      let p = 0;
      while (p + 12 <= b.length) {
        const namesz = b.readUInt32LE(p);
        const descsz = b.readUInt32LE(p + 4);
        const type = b.readUInt32LE(p + 8);
        const nameStart = p + 12;
        const descStart = nameStart + align4(namesz);
        if (descStart + descsz > b.length) break;
        if (type === NT_GNU_BUILD_ID && b.toString('latin1', nameStart, nameStart + namesz).startsWith('GNU')) {
          return b.toString('hex', descStart, descStart + descsz);
        }
        p = descStart + align4(descsz);
      }
    }
    return null;
  }

  /** All symbols of .dynsym then .symtab (each read once, lazily). */
  symbols(): ElfSymbol[] {
    return [...this.tableSymbols('dynsym'), ...this.tableSymbols('symtab')];
  }

  private tableSymbols(table: 'symtab' | 'dynsym'): ElfSymbol[] {
    const cached = this.symbolCache.get(table);
    if (cached) return cached;
    const out: ElfSymbol[] = [];
    const type = table === 'symtab' ? SHT_SYMTAB : SHT_DYNSYM;
    for (const s of this.sections) {
      if (s.type !== type) continue;
      const strSec = this.sections[s.link];
      if (!strSec || s.entsize < 24) continue;
      const data = this.read(s.offset, s.size);
      const strs = this.read(strSec.offset, strSec.size);
      for (let p = s.entsize; p + 24 <= data.length; p += s.entsize) {
        const info = data[p + 4];
        out.push({
          name: cstr(strs, data.readUInt32LE(p)),
          type: info & 0xf,
          bind: info >> 4,
          shndx: data.readUInt16LE(p + 6),
          value: num(data.readBigUInt64LE(p + 8)),
          size: num(data.readBigUInt64LE(p + 16)),
          table,
        });
      }
    }
    this.symbolCache.set(table, out);
    return out;
  }

  /**
   * A defined function symbol by exact name (versions stripped: `SSL_write@@OPENSSL_3.0.0` → `SSL_write`).
   * .dynsym is searched first (exported names are what we probe), then .symtab.
   */
  findFunction(name: string): ElfSymbol | undefined {
    return this.findFunctions([name]).get(name);
  }

  /**
   * Batch lookup in one pass per table, comparing name bytes in place: node's .symtab has ~100k entries and
   * materialising them costs ~1 s and >100 MB, which a handful of wanted names does not need.
   */
  findFunctions(names: readonly string[]): Map<string, ElfSymbol> {
    const result = new Map<string, ElfSymbol>();
    let wanted = names.filter((n) => {
      const memo = this.symbolIndex.get(n);
      if (memo !== undefined) {
        if (memo) result.set(n, memo);
        return false;
      }
      return true;
    });
    for (const table of ['dynsym', 'symtab'] as const) {
      if (wanted.length === 0) break;
      const raw = this.rawTable(table);
      if (!raw) continue;
      const { data, strs, entsize } = raw;
      const needles = wanted.map((n) => ({ name: n, bytes: Buffer.from(n, 'latin1') }));
      const firstBytes = new Set(needles.map((n) => n.bytes[0]));
      for (let p = entsize; p + 24 <= data.length && needles.length > 0; p += entsize) {
        const nameOff = data.readUInt32LE(p);
        if (nameOff >= strs.length || !firstBytes.has(strs[nameOff])) continue;
        const info = data[p + 4];
        const type = info & 0xf;
        if (type !== STT_FUNC && type !== STT_GNU_IFUNC) continue;
        const shndx = data.readUInt16LE(p + 6);
        const value = num(data.readBigUInt64LE(p + 8));
        if (shndx === 0 || value === 0) continue;
        for (let k = 0; k < needles.length; k++) {
          const nb = needles[k].bytes;
          const end = nameOff + nb.length;
          if (end > strs.length || (strs[end] !== 0 && strs[end] !== 0x40 /* @ */)) continue;
          if (strs.compare(nb, 0, nb.length, nameOff, end) !== 0) continue;
          const sym: ElfSymbol = {
            name: cstr(strs, nameOff),
            type,
            bind: info >> 4,
            shndx,
            value,
            size: num(data.readBigUInt64LE(p + 16)),
            table,
          };
          result.set(needles[k].name, sym);
          this.symbolIndex.set(needles[k].name, sym);
          needles.splice(k, 1);
          break;
        }
      }
      wanted = needles.map((n) => n.name);
    }
    for (const n of wanted) this.symbolIndex.set(n, null);
    return result;
  }

  private rawTable(table: 'symtab' | 'dynsym'): { data: Buffer; strs: Buffer; entsize: number } | null {
    const cached = this.rawTables.get(table);
    if (cached !== undefined) return cached;
    const type = table === 'symtab' ? SHT_SYMTAB : SHT_DYNSYM;
    const s = this.sections.find((x) => x.type === type);
    const strSec = s ? this.sections[s.link] : undefined;
    const raw = s && strSec && s.entsize >= 24 ? { data: this.read(s.offset, s.size), strs: this.read(strSec.offset, strSec.size), entsize: s.entsize } : null;
    this.rawTables.set(table, raw);
    return raw;
  }

  /** DT_NEEDED, DT_RUNPATH and DT_RPATH of a dynamically linked file. */
  dynamicInfo(): { needed: string[]; runpath: string[]; interp: string | null } {
    const interpSeg = this.segments.find((s) => s.type === PT_INTERP);
    const interp = interpSeg ? cstr(this.read(interpSeg.offset, interpSeg.filesz), 0) : null;
    const dyn = this.segments.find((s) => s.type === PT_DYNAMIC);
    if (!dyn) return { needed: [], runpath: [], interp };
    const b = this.read(dyn.offset, dyn.filesz);
    const entries: [number, number][] = [];
    for (let p = 0; p + 16 <= b.length; p += 16) {
      const tag = num(b.readBigInt64LE(p));
      if (tag === 0) break;
      entries.push([tag, num(b.readBigUInt64LE(p + 8))]);
    }
    const strtabVaddr = entries.find((e) => e[0] === DT_STRTAB)?.[1];
    const strsz = entries.find((e) => e[0] === DT_STRSZ)?.[1] ?? 0;
    if (strtabVaddr === undefined || strsz <= 0) return { needed: [], runpath: [], interp };
    let strs: Buffer;
    try {
      strs = this.readVaddr(strtabVaddr, strsz);
    } catch {
      return { needed: [], runpath: [], interp };
    }
    const needed = entries.filter((e) => e[0] === DT_NEEDED).map((e) => cstr(strs, e[1]));
    const runpath = entries
      .filter((e) => e[0] === DT_RUNPATH || e[0] === DT_RPATH)
      .flatMap((e) => cstr(strs, e[1]).split(':'))
      .filter((p) => p.length > 0);
    return { needed, runpath, interp };
  }

  private requireFd(): number {
    if (this.fd === null) throw new Error(`${this.path}: ElfFile used after close()`);
    return this.fd;
  }
}

function num(v: bigint): number {
  // Offsets and addresses of user-space x86-64/arm64 binaries fit in 2^53.
  return Number(v);
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

export function cstr(buf: Buffer, offset: number): string {
  if (offset < 0 || offset >= buf.length) return '';
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end < 0 ? buf.length : end);
}
