/**
 * OpenSSL (and any library exporting the OpenSSL API by name: system libssl.so.3, /usr/bin/node's statically
 * linked OpenSSL, BoringSSL builds that keep symbols) located by its function symbols.
 */
import { ElfFile } from './elf-file';
import { EhFrameIndex } from './eh-frame';
import { DetectorResult, ProbeKind, TlsProbe } from './types';
import { checkSymbolEntry } from './verify';

/** Data functions first: at least one write and one read function must be present to call it found. */
const DATA_KINDS: readonly ProbeKind[] = ['SSL_write', 'SSL_read', 'SSL_write_ex', 'SSL_read_ex'];
/** Connection identity helpers, probed when present. */
const IDENTITY_KINDS: readonly ProbeKind[] = ['SSL_do_handshake', 'SSL_set_fd', 'SSL_free', 'SSL_clear'];

export function detectOpenSslSymbols(elf: ElfFile, eh: EhFrameIndex | null): DetectorResult {
  const notes: string[] = [];
  const probes: TlsProbe[] = [];
  const missing: string[] = [];
  const found = elf.findFunctions([...DATA_KINDS, ...IDENTITY_KINDS]);
  for (const kind of [...DATA_KINDS, ...IDENTITY_KINDS]) {
    const sym = found.get(kind);
    if (!sym) {
      missing.push(kind);
      continue;
    }
    const check = checkSymbolEntry(elf, eh, kind, sym.value);
    if (!check.ok) {
      notes.push(`openssl: rejected ${check.why}`);
      continue;
    }
    probes.push({ kind, symbol: sym.name, vaddr: sym.value, fileOffset: elf.vaddrToOffset(sym.value), method: sym.table });
  }
  const has = (k: ProbeKind): boolean => probes.some((p) => p.kind === k);
  const canWrite = has('SSL_write') || has('SSL_write_ex');
  const canRead = has('SSL_read') || has('SSL_read_ex');
  if (!canWrite || !canRead) {
    const why = probes.length === 0 ? 'no defined SSL_write/SSL_read symbols' : `incomplete: missing ${missing.join(', ')}`;
    return { stack: null, probes: [], notes: [...notes, `openssl: ${why}`] };
  }
  // Two data names at one address would double-report every byte; an identity helper at a data function's address
  // (or another helper's) is dropped instead.
  const byAddr = new Map<number, string>();
  for (const p of [...probes]) {
    const other = byAddr.get(p.vaddr);
    if (other && IDENTITY_KINDS.includes(p.kind)) {
      probes.splice(probes.indexOf(p), 1);
      notes.push(`openssl: ${p.kind} shares address 0x${p.vaddr.toString(16)} with ${other}: not probed`);
      continue;
    }
    if (other) return { stack: null, probes: [], notes: [...notes, `openssl: ${other} and ${p.kind} share address 0x${p.vaddr.toString(16)}`] };
    byAddr.set(p.vaddr, p.kind);
  }
  notes.push(`openssl: ${probes.map((p) => `${p.kind}@0x${p.vaddr.toString(16)}`).join(' ')}${missing.length ? `; absent: ${missing.join(', ')}` : ''}`);
  return { stack: 'openssl', probes, notes };
}
