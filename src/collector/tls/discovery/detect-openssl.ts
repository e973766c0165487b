/**
 * OpenSSL (and any library exporting the OpenSSL API by name: system libssl.so.3, /usr/bin/node's statically
 * linked OpenSSL, BoringSSL builds that keep symbols) located by its function symbols.
 */
import { ElfFile } from './elf-file';
import { EhFrameIndex } from './eh-frame';
import { DetectorResult, ProbeKind } from './types';
import { symbolProbes } from './verify';

/** Data functions first: at least one write and one read function must be present to call it found. */
const DATA_KINDS: readonly ProbeKind[] = ['SSL_write', 'SSL_read', 'SSL_write_ex', 'SSL_read_ex'];
/** Connection identity helpers, probed when present. */
const IDENTITY_KINDS: readonly ProbeKind[] = ['SSL_do_handshake', 'SSL_set_fd', 'SSL_free', 'SSL_clear'];

export function detectOpenSslSymbols(elf: ElfFile, eh: EhFrameIndex | null): DetectorResult {
  const found = elf.findFunctions([...DATA_KINDS, ...IDENTITY_KINDS]);
  const { probes, missing, notes } = symbolProbes(elf, eh, [...DATA_KINDS, ...IDENTITY_KINDS], found, 'openssl');
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
  // SSL_do_handshake only stands in for SSL_free (a handshake on an SSL* that carried data = a reused address); with
  // SSL_free present it would add a probe hit per handshake step for nothing.
  if (has('SSL_free') && has('SSL_do_handshake')) probes.splice(probes.findIndex((p) => p.kind === 'SSL_do_handshake'), 1);
  notes.push(`openssl: ${probes.map((p) => `${p.kind}@0x${p.vaddr.toString(16)}`).join(' ')}${missing.length ? `; absent: ${missing.join(', ')}` : ''}`);
  return { stack: 'openssl', probes, notes };
}
