/**
 * aws-lc's EVP_AEAD_CTX_seal / EVP_AEAD_CTX_open in stripped static binaries (Codex: Rust, rustls with the
 * aws-lc-rs provider), located by the OPENSSL_PUT_ERROR sites of `crypto/fipsmodule/cipher/aead.c`.
 *
 * What the source says (aws-lc crypto/fipsmodule/cipher/aead.c):
 *   EVP_AEAD_CTX_seal:  CIPHER_R_TOO_LARGE, CIPHER_R_BUFFER_TOO_SMALL, CIPHER_R_OUTPUT_ALIASES_INPUT (in order).
 *   EVP_AEAD_CTX_open:  CIPHER_R_OUTPUT_ALIASES_INPUT, CIPHER_R_BAD_DECRYPT, CIPHER_R_BUFFER_TOO_SMALL, and is
 *                       defined after seal. (seal_scatter raises ALIASES then INVALID_OPERATION; open_gather
 *                       ALIASES then CTRL_NOT_IMPLEMENTED: neither matches.)
 *
 * ABI at entry (System V): seal/open(ctx=rdi, out=rsi, size_t *out_len=rdx, max_out_len=rcx, nonce=r8,
 * nonce_len=r9, in=[rsp+8], in_len=[rsp+16], ad=[rsp+24], ad_len=[rsp+32]) → int (1 = success).
 *   seal: plaintext is (in, in_len) at entry — stack arguments.
 *   open: plaintext is (out, *out_len) at return when it returned 1 — save rsi/rdx at entry.
 * For TLS 1.3 the plaintext is the inner plaintext: record content + one content-type byte at the end
 * (0x17 application data, 0x16 handshake, 0x15 alert); only 0x17 is application data. The AD is the 5-byte
 * record header (0x17 0x03 0x03 len16), so ad_len == 5 tells TLS records from other AEAD users.
 */
import { ElfFile } from './elf-file';
import { EhFrameIndex } from './eh-frame';
import { describeSites, ErrorSite, findStringsEndingWith, groupByFunction, raisesInOrder, scanErrorSites } from './error-sites';
import { FunctionBounds, FunctionStart } from './function-bounds';
import { DetectorResult, TlsProbe } from './types';
import { checkFunctionEntry } from './verify';
import { countDirectCalls } from './x86-scan';

const ERR_LIB_CIPHER = 30;
const CIPHER_R_BAD_DECRYPT = 101;
const CIPHER_R_BUFFER_TOO_SMALL = 103;
const CIPHER_R_OUTPUT_ALIASES_INPUT = 115;
const CIPHER_R_TOO_LARGE = 117;

export function detectAwsLcAead(elf: ElfFile, eh: EhFrameIndex | null, bounds: FunctionBounds): DetectorResult {
  const notes: string[] = [];
  const none = (why: string): DetectorResult => ({ stack: null, probes: [], notes: [...notes, why] });
  if (elf.machine !== 62) return none('aws-lc: only x86-64 code is analysed');
  const strings = findStringsEndingWith(elf, 'crypto/fipsmodule/cipher/aead.c');
  if (strings.length === 0) return none('aws-lc: no "crypto/fipsmodule/cipher/aead.c" error string');
  const scan = scanErrorSites(elf, bounds, strings, ERR_LIB_CIPHER);
  notes.push(`aws-lc: ${scan.sites.length} aead.c error sites decoded, ${scan.unreadable.length} unreadable`);
  const groups = [...groupByFunction(scan.sites).values()];
  const seals = groups.filter((g) => raisesInOrder(g.sites, [CIPHER_R_TOO_LARGE, CIPHER_R_BUFFER_TOO_SMALL, CIPHER_R_OUTPUT_ALIASES_INPUT]));
  if (seals.length !== 1) return none(`aws-lc: ${seals.length} EVP_AEAD_CTX_seal candidates (need 1): ${groups.map(fmtGroup).join(' ')}`);
  const seal = seals[0];
  const sealLast = Math.max(...seal.sites.map((s) => s.line));
  const opens = groups.filter(
    (g) =>
      g !== seal &&
      raisesInOrder(g.sites, [CIPHER_R_OUTPUT_ALIASES_INPUT, CIPHER_R_BAD_DECRYPT, CIPHER_R_BUFFER_TOO_SMALL]) &&
      g.sites.every((s) => s.line > sealLast),
  );
  if (opens.length !== 1) return none(`aws-lc: ${opens.length} EVP_AEAD_CTX_open candidates (need 1): ${groups.map(fmtGroup).join(' ')}`);
  const open = opens[0];
  notes.push(`aws-lc: EVP_AEAD_CTX_seal = ${fmtGroup(seal)}, EVP_AEAD_CTX_open = ${fmtGroup(open)}`);
  if (seal.fn.start === open.fn.start) return none('aws-lc: seal and open resolved to the same function');

  // Call sites only matter for heuristic boundaries; with FDE starts the (slow, 250 MB) scan is skipped.
  const needCalls = seal.fn.source !== 'eh_frame' || open.fn.source !== 'eh_frame';
  const calls = needCalls ? countDirectCalls(elf, [seal.fn.start, open.fn.start]) : new Map();
  const probes: TlsProbe[] = [];
  for (const [kind, g] of [
    ['EVP_AEAD_CTX_seal', seal],
    ['EVP_AEAD_CTX_open', open],
  ] as const) {
    const check = checkFunctionEntry(elf, eh, g.fn, calls.get(g.fn.start));
    notes.push(`aws-lc: ${kind} check: ${check.why}`);
    if (!check.ok) return none(`aws-lc: ${kind} rejected`);
    probes.push({ kind, vaddr: g.fn.start, fileOffset: elf.vaddrToOffset(g.fn.start), method: `aead.c error sites + ${g.fn.source}` });
  }
  return { stack: 'rustls-aws-lc', probes, notes };
}

function fmtGroup(g: { fn: FunctionStart; sites: ErrorSite[] }): string {
  return `0x${g.fn.start.toString(16)}[${describeSites(g.sites)}]`;
}
