/**
 * Go crypto/tls in Go binaries (static or not, stripped or not): `crypto/tls.(*Conn).Write` / `.Read` / `.Close`,
 * by the symbol table or, when stripped, by Go's pclntab (go-pclntab.ts).
 *
 * Go functions never get a uretprobe (it rewrites a return address on a goroutine stack the runtime may move, and
 * the program crashes), so the result is read by uprobes on every RET of Write and Read. The RETs are found by the
 * shape of the Go compiler's frame: the prologue `sub rsp, N; mov [rsp+N-8], rbp` and, before each RET, the matching
 * epilogue `mov rbp, [rsp+N-8]; add rsp, N; ret` (10 or 16 bytes naming the same N, so a match inside another
 * instruction's bytes is not plausible); Go 1.21+ pushes instead: `push rbp; mov rbp, rsp; sub rsp, N` … `add rsp, N;
 * pop rbp; ret` (6 or 9 bytes). The entry must begin with the register-ABI stack check against g in R14
 * (`cmp rsp, [r14+0x10]`, or `lea r12, [rsp-k]; cmp r12, [r14+0x10]` for big frames): that is what the BPF side keys
 * calls by, and what says arguments come in registers (RAX receiver, RBX/RCX the []byte, RAX the int result).
 */
import { ElfFile } from './elf-file';
import { readGoFuncs } from './go-pclntab';
import { DetectorResult, ProbeKind, TlsProbe } from './types';

const FUNCS: ReadonlyArray<{ name: string; kind: ProbeKind; returns: ProbeKind | null }> = [
  { name: 'crypto/tls.(*Conn).Write', kind: 'go_tls_write', returns: 'go_tls_write_ret' },
  { name: 'crypto/tls.(*Conn).Read', kind: 'go_tls_read', returns: 'go_tls_read_ret' },
  { name: 'crypto/tls.(*Conn).Close', kind: 'go_tls_close', returns: null },
];

/** Longest function we decode (Write is ~2 KB in Go 1.19). */
const MAX_FUNC_BYTES = 64 << 10;

export function detectGoTls(elf: ElfFile): DetectorResult {
  const notes: string[] = [];
  const fail = (why: string): DetectorResult => ({ stack: null, probes: [], notes: [...notes, `go: ${why}`] });
  const pcln = readGoFuncs(elf, FUNCS.map((f) => f.name));
  if ('error' in pcln) return fail(pcln.error);
  const syms = elf.findFunctions(FUNCS.map((f) => f.name));
  const probes: TlsProbe[] = [];
  for (const f of FUNCS) {
    const fromPcln = pcln.funcs.get(f.name);
    const sym = syms.get(f.name);
    if (!fromPcln && !sym) {
      if (f.returns) return fail(`${f.name} not in ${pcln.where}`);
      notes.push(`go: ${f.name} absent (a reused *Conn address may join two connections)`);
      continue;
    }
    // Both sources when both exist: they must agree, or neither is trusted.
    if (fromPcln && sym && (sym.value !== fromPcln.entry || (sym.size > 0 && sym.value + sym.size > fromPcln.end))) {
      return fail(`${f.name}: symbol 0x${sym.value.toString(16)} disagrees with ${pcln.where} 0x${fromPcln.entry.toString(16)}`);
    }
    const entry = fromPcln?.entry ?? sym!.value;
    const end = fromPcln?.end ?? entry + sym!.size;
    const method = sym ? sym.table : `gopclntab (${pcln.where})`;
    if (!elf.isExecutableVaddr(entry) || end <= entry || end - entry > MAX_FUNC_BYTES) return fail(`${f.name}: bounds 0x${entry.toString(16)}-0x${end.toString(16)} not usable`);
    const code = elf.readVaddr(entry, end - entry);
    const frame = goFrame(code);
    if (!frame) return fail(`${f.name} at 0x${entry.toString(16)}: no register-ABI prologue (${code.subarray(0, 12).toString('hex')})`);
    probes.push({ kind: f.kind, symbol: f.name, vaddr: entry, fileOffset: elf.vaddrToOffset(entry), method });
    if (!f.returns) continue;
    const rets = epilogueRets(code, frame.size, frame.pushed);
    if (rets.length === 0) return fail(`${f.name}: no RET after an epilogue for frame ${frame.size}`);
    for (const r of rets) {
      const v = entry + r;
      probes.push({ kind: f.returns, symbol: `${f.name}+0x${r.toString(16)}`, vaddr: v, fileOffset: elf.vaddrToOffset(v), method: `${method}+epilogue` });
    }
    notes.push(`go: ${f.name}@0x${entry.toString(16)} (${method}), frame ${frame.size}, ${rets.length} RET`);
  }
  return { stack: 'go', probes, notes: [...notes, `go: pclntab ${pcln.version}`] };
}

/** The frame size N of a register-ABI Go function, from its stack check and `sub rsp, N; mov [rsp+N-8], rbp`. */
export function goFrame(code: Buffer): { size: number; pushed: boolean } | null {
  let p = 0;
  const at = (hex: string): boolean => code.subarray(p, p + hex.length / 2).toString('hex') === hex;
  if (at('493b6610')) p += 4; // cmp rsp, [r14+0x10]
  else if (at('4c8d6424') && code.subarray(p + 5, p + 9).toString('hex') === '4d3b6610') p += 9; // lea r12,[rsp-k]; cmp r12,[r14+0x10]
  else if (at('4c8da424') && code.subarray(p + 8, p + 12).toString('hex') === '4d3b6610') p += 12;
  else return null;
  if (at('0f86')) p += 6; // jbe morestack
  else if (at('76')) p += 2;
  else return null;
  // Go >= 1.21 (seen in 1.23): `push rbp; mov rbp, rsp; sub rsp, N`, epilogue `add rsp, N; pop rbp; ret`.
  if (at('554889e5')) {
    p += 4;
    if (at('4883ec')) return { size: code[p + 3], pushed: true };
    if (at('4881ec')) return { size: code.readUInt32LE(p + 3), pushed: true };
    return null;
  }
  let size: number;
  if (at('4883ec')) {
    size = code[p + 3];
    p += 4;
    if (code.subarray(p, p + 5).toString('hex') !== `48896c24${(size - 8).toString(16).padStart(2, '0')}`) return null;
  } else if (at('4881ec')) {
    size = code.readUInt32LE(p + 3);
    p += 7;
    const want = Buffer.from('4889ac2400000000', 'hex');
    want.writeUInt32LE(size - 8, 4);
    if (!code.subarray(p, p + 8).equals(want)) return null;
  } else return null;
  return size >= 16 ? { size, pushed: false } : null;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/**
 * Offsets of the RETs that end the epilogue matching the prologue, within the function's bytes:
 * `mov rbp, [rsp+N-8]; add rsp, N; ret`, or after `push rbp` (pushed) `add rsp, N; pop rbp; ret`.
 */
export function epilogueRets(code: Buffer, size: number, pushed = false): number[] {
  let pat: Buffer;
  if (pushed) {
    pat = size < 0x80 ? Buffer.from(`4883c4${size.toString(16).padStart(2, '0')}5dc3`, 'hex') : Buffer.concat([Buffer.from('4881c4', 'hex'), u32(size), Buffer.from('5dc3', 'hex')]);
  } else if (size < 0x80 && size - 8 < 0x80) pat = Buffer.from(`488b6c24${(size - 8).toString(16).padStart(2, '0')}4883c4${size.toString(16).padStart(2, '0')}c3`, 'hex');
  else {
    pat = Buffer.alloc(16);
    Buffer.from('488bac24', 'hex').copy(pat, 0);
    pat.writeUInt32LE(size - 8, 4);
    Buffer.from('4881c4', 'hex').copy(pat, 8);
    pat.writeUInt32LE(size, 11);
    pat[15] = 0xc3;
  }
  const out: number[] = [];
  for (let at = code.indexOf(pat); at >= 0; at = code.indexOf(pat, at + 1)) out.push(at + pat.length - 1);
  return out;
}
