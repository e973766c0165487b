/**
 * TLS stacks we recognise but do not probe: named in the discovery detail so "no plaintext" comes with a
 * reason instead of silence.
 */
import { ElfFile } from './elf-file';
import { dataContains, findStringsEndingWith } from './error-sites';
import { readGoFuncs } from './go-pclntab';
import { UnprobedStack } from './types';

export interface OtherStacks {
  readonly found: UnprobedStack[];
  /** rustls is present (panic-location strings of the rustls crate). */
  readonly rustls: boolean;
  readonly notes: string[];
}

export function detectOtherStacks(elf: ElfFile): OtherStacks {
  const found: UnprobedStack[] = [];
  const notes: string[] = [];
  // One pass over the symbol tables for every name this module asks about.
  elf.findFunctions(['gnutls_record_send', 'gnutls_record_recv', 'PR_Write', 'SSL_ImportFD', 'crypto/tls.(*Conn).Write', 'crypto/tls.(*Conn).Read']);
  if (elf.findFunction('gnutls_record_send') || elf.findFunction('gnutls_record_recv')) {
    found.push('gnutls');
    notes.push('gnutls: gnutls_record_send/recv defined here');
  }
  if (elf.findFunction('PR_Write') && elf.findFunction('SSL_ImportFD')) {
    found.push('nss');
    notes.push('nss: PR_Write/SSL_ImportFD defined here (not probed)');
  }
  const goTls =
    elf.findFunction('crypto/tls.(*Conn).Write') ??
    elf.findFunction('crypto/tls.(*Conn).Read');
  // Go markers: the pclntab section (`.data.rel.ro.gopclntab` in PIE builds), build info, build id note.
  const goMarker = ['.gopclntab', '.data.rel.ro.gopclntab', '.go.buildinfo', '.note.go.buildid'].some((n) => elf.section(n));
  if (goTls) {
    found.push('go-crypto-tls');
    notes.push('go: crypto/tls.(*Conn).Write/Read symbols present');
  } else if (goMarker || elf.sections.length === 0) {
    // Stripped Go binaries keep function names in the pclntab (found by its magic when section headers are gone).
    const pcln = readGoFuncs(elf, ['crypto/tls.(*Conn).Write']);
    if (!('error' in pcln) && pcln.funcs.size > 0) {
      found.push('go-crypto-tls');
      notes.push(`go: crypto/tls.(*Conn).Write in the pclntab (${pcln.where})`);
    } else if (goMarker && findStringsEndingWith(elf, 'crypto/tls.(*Conn).Write').length > 0) {
      // a pclntab this reader does not parse (Go < 1.18): the name is still there to say "Go TLS"
      found.push('go-crypto-tls');
      notes.push(`go: crypto/tls.(*Conn).Write named in the data${'error' in pcln ? ` (${pcln.error})` : ''}`);
    } else if (goMarker) notes.push('go: Go binary without crypto/tls');
  }
  // Rust panic locations name crate source paths (not NUL-terminated, so search raw bytes).
  const rustls = dataContains(elf, '/rustls-0.');
  if (rustls) {
    notes.push('rustls: crate source paths present');
    const ring = dataContains(elf, '/ring-0.');
    const awsLc = dataContains(elf, '/aws-lc-rs-');
    if (ring) {
      // The crypto provider is picked at run time, so linking both says nothing about which one runs:
      // Codex 0.124.0 links aws-lc-rs but encrypts with ring (no aws-lc AEAD call at all, checked with gdb);
      // Codex 0.169.0 links ring but encrypts with aws-lc.
      found.push('rustls-ring');
      notes.push(
        awsLc
          ? 'rustls: both the ring and the aws-lc-rs providers are linked; which one runs is decided at run time, and ring is not probed'
          : 'rustls: ring provider only (not probed)',
      );
    }
  }
  return { found, rustls, notes };
}
