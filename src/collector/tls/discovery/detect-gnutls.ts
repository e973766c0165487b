/**
 * GnuTLS (libgnutls.so.30: wget, git-remote-https through libcurl-gnutls, apt) located by its exported symbols.
 * gnutls_record_send/recv(gnutls_session_t session, const void *data, size_t size) → ssize_t have SSL_write/SSL_read's
 * register ABI (rdi, rsi, rdx → rax; ≤ 0 on error or GNUTLS_E_AGAIN), so the same BPF programs read them; the session
 * pointer is the connection, and gnutls_deinit(session) ends it (its address goes to the next session, like SSL_free).
 */
import { ElfFile } from './elf-file';
import { EhFrameIndex } from './eh-frame';
import { DetectorResult, ProbeKind } from './types';
import { symbolProbes } from './verify';

const KINDS: readonly ProbeKind[] = ['gnutls_record_send', 'gnutls_record_recv', 'gnutls_deinit'];

export function detectGnuTls(elf: ElfFile, eh: EhFrameIndex | null): DetectorResult {
  const found = elf.findFunctions(KINDS);
  const { probes, notes } = symbolProbes(elf, eh, KINDS, found, 'gnutls');
  const has = (k: ProbeKind): boolean => probes.some((p) => p.kind === k);
  if (!has('gnutls_record_send') || !has('gnutls_record_recv')) {
    if (found.size > 0 || notes.length > 0) notes.push('gnutls: gnutls_record_send and gnutls_record_recv are not both usable: not probed');
    return { stack: null, probes: [], notes };
  }
  // Two names at one address would report every byte twice (or end a connection at each send): refuse.
  if (new Set(probes.map((p) => p.vaddr)).size !== probes.length) {
    return { stack: null, probes: [], notes: [...notes, 'gnutls: two probed functions share an address: not probed'] };
  }
  notes.push(`gnutls: ${probes.map((p) => `${p.kind}@0x${p.vaddr.toString(16)}`).join(' ')}${has('gnutls_deinit') ? '' : '; gnutls_deinit absent (a reused session address may join two connections)'}`);
  return { stack: 'gnutls', probes, notes };
}
