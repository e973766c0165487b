/**
 * BoringSSL's SSL_write / SSL_read in stripped binaries (Bun, and binaries built with `bun build --compile`
 * such as Claude Code's native build), located by the OPENSSL_PUT_ERROR sites of `ssl/ssl_lib.cc`.
 *
 * What the source says (BoringSSL ssl/ssl_lib.cc, stable for years):
 *   SSL_write:     ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED (QUIC), SSL_R_UNINITIALIZED, SSL_R_SSL_HANDSHAKE_FAILURE,
 *                  SSL_R_BAD_LENGTH — in this line order, and it is the only function raising BAD_LENGTH after
 *                  a handshake failure.
 *   ssl_read_impl: SSL_R_UNINITIALIZED, SSL_R_SSL_HANDSHAKE_FAILURE (defined just above SSL_read).
 *   SSL_peek:      ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED, then calls ssl_read_impl; SSL_read calls SSL_peek and
 *                  compilers inline SSL_peek into SSL_read. It lies between ssl_read_impl and SSL_write.
 *   SSL_do_handshake: SSL_R_CONNECTION_TYPE_NOT_SET, its only raise in the file; SSL_write and ssl_read_impl call it
 *                  while the handshake runs. No SSL_free here (it raises nothing): a handshake step returning ≤ 0 on
 *                  an SSL* that already carried data marks the address's next connection (EV_TLS_HANDSHAKE).
 * Reason codes are public ABI (include/openssl/ssl.h, err.h); line numbers are only compared, never stored.
 */
import { ElfFile } from './elf-file';
import { EhFrameIndex } from './eh-frame';
import { describeSites, ErrorSite, findStringsEndingWith, groupByFunction, raisesInOrder, scanErrorSites } from './error-sites';
import { FunctionBounds, FunctionStart } from './function-bounds';
import { DetectorResult, TlsProbe } from './types';
import { checkFunctionEntry } from './verify';
import { countDirectCalls } from './x86-scan';

const ERR_LIB_SSL = 16;
const ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED = 66;
const SSL_R_BAD_LENGTH = 111;
const SSL_R_CONNECTION_TYPE_NOT_SET = 134;
const SSL_R_SSL_HANDSHAKE_FAILURE = 215;
const SSL_R_UNINITIALIZED = 226;

export function detectBoringSsl(elf: ElfFile, eh: EhFrameIndex | null, bounds: FunctionBounds): DetectorResult {
  const notes: string[] = [];
  const none = (why: string): DetectorResult => ({ stack: null, probes: [], notes: [...notes, why] });
  if (elf.machine !== 62) return none('boringssl: only x86-64 code is analysed');

  const strings = findStringsEndingWith(elf, 'ssl/ssl_lib.cc');
  if (strings.length === 0) return none('boringssl: no "ssl/ssl_lib.cc" error string: not BoringSSL');
  const scan = scanErrorSites(elf, bounds, strings, ERR_LIB_SSL);
  const unplaced = scan.sites.filter((s) => !s.fn).length;
  notes.push(
    `boringssl: ${scan.sites.length} ssl_lib.cc error sites decoded, ${scan.unreadable.length} unreadable, ${unplaced} without a function boundary`,
  );
  if (scan.sites.length === 0) return none('boringssl: the ssl_lib.cc string is present but no ERR_put_error call uses it');
  const callees = new Set(scan.sites.map((s) => s.callee));
  if (callees.size !== 1) notes.push(`boringssl: error sites call ${callees.size} different functions (expected one ERR_put_error)`);

  const groups = [...groupByFunction(scan.sites).values()];
  const writes = groups.filter(
    (g) =>
      raisesInOrder(g.sites, [ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED, SSL_R_UNINITIALIZED, SSL_R_SSL_HANDSHAKE_FAILURE, SSL_R_BAD_LENGTH]) &&
      g.sites.every((s) => [ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED, SSL_R_UNINITIALIZED, SSL_R_SSL_HANDSHAKE_FAILURE, SSL_R_BAD_LENGTH].includes(s.reason)),
  );
  if (writes.length !== 1) {
    return none(`boringssl: ${writes.length} functions match SSL_write's error pattern (need exactly 1): ${groups.map(fmtGroup).join(' ')}`);
  }
  const write = writes[0];
  const writeQuicLine = write.sites.find((s) => s.reason === ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED)!.line;
  notes.push(`boringssl: SSL_write = ${fmtGroup(write)}`);

  // ssl_read_impl: UNINITIALIZED then HANDSHAKE_FAILURE, both above SSL_write in the source; it may be inlined.
  const readImpls = groups.filter(
    (g) =>
      g !== write &&
      raisesInOrder(g.sites, [SSL_R_UNINITIALIZED, SSL_R_SSL_HANDSHAKE_FAILURE]) &&
      g.sites.every((s) => s.line < writeQuicLine) &&
      g.sites.some((s) => s.reason === SSL_R_SSL_HANDSHAKE_FAILURE),
  );
  const lastImplLine = (g: { sites: ErrorSite[] }): number =>
    Math.max(...g.sites.filter((s) => s.reason === SSL_R_SSL_HANDSHAKE_FAILURE).map((s) => s.line));
  // SSL_peek (inlined into SSL_read, or SSL_read's callee): the QUIC check between ssl_read_impl and SSL_write.
  const peekCandidates = (implLine: number) =>
    groups.filter((g) => g !== write && g.sites.some((s) => s.reason === ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED && s.line > implLine && s.line < writeQuicLine));

  let read: { fn: FunctionStart; sites: ErrorSite[] } | null = null;
  let implStart: number | null = null;
  if (readImpls.length === 1) {
    const impl = readImpls[0];
    let peeks = peekCandidates(lastImplLine(impl));
    if (peeks.length > 1) {
      // Both SSL_peek and SSL_read (with SSL_peek inlined) can survive linking (Bun 1.1). They take the same
      // arguments and copy the same bytes, so the one the code actually calls is the read path; if that does
      // not single one out, it stays ambiguous.
      const counts = countDirectCalls(elf, peeks.map((g) => g.fn.start));
      const called = peeks.filter((g) => (counts.get(g.fn.start)?.calls ?? 0) + (counts.get(g.fn.start)?.tailJumps ?? 0) > 0);
      notes.push(
        `boringssl: ${peeks.length} SSL_peek/SSL_read candidates: ${peeks.map((g) => `${fmtGroup(g)} ${counts.get(g.fn.start)?.calls ?? 0} call(s)`).join(', ')}`,
      );
      if (called.length === 1) peeks = called;
    }
    if (peeks.length !== 1) {
      return none(`boringssl: ssl_read_impl = ${fmtGroup(impl)} but ${peeks.length} SSL_peek/SSL_read candidates (need 1)`);
    }
    read = peeks[0];
    if (read !== impl) implStart = impl.fn.start;
    notes.push(`boringssl: ssl_read_impl = ${fmtGroup(impl)}${read === impl ? ' (inlined into SSL_read)' : ''}`);
  } else {
    return none(`boringssl: ${readImpls.length} ssl_read_impl candidates (need 1): ${groups.map(fmtGroup).join(' ')}`);
  }
  notes.push(`boringssl: SSL_read (SSL_peek's QUIC check) = ${fmtGroup(read)}`);
  if (read.fn.start === write.fn.start) return none('boringssl: SSL_read and SSL_write resolved to the same function');

  // SSL_do_handshake: the function raising only CONNECTION_TYPE_NOT_SET that SSL_write itself calls (SSL_connect and
  // SSL_accept may carry inlined copies; the one SSL_write calls is the one every implicit handshake step runs).
  const handshakes = groups.filter((g) => g.sites.every((s) => s.reason === SSL_R_CONNECTION_TYPE_NOT_SET));
  const targets = [write.fn.start, read.fn.start, ...(implStart !== null ? [implStart] : []), ...handshakes.map((g) => g.fn.start)];
  const calls = countDirectCalls(elf, targets);
  const calledByWrite = handshakes.filter((g) => calls.get(g.fn.start)!.sites.some((site) => bounds.containing(site)?.start === write.fn.start));
  if (implStart !== null) {
    // The read function must call ssl_read_impl itself (not merely share the source neighbourhood).
    const implCalls = calls.get(implStart)!.sites.filter((site) => bounds.containing(site)?.start === read!.fn.start);
    if (implCalls.length === 0) return none(`boringssl: SSL_read candidate 0x${read.fn.start.toString(16)} does not call ssl_read_impl`);
  }
  const probes: TlsProbe[] = [];
  for (const [kind, g] of [
    ['SSL_write', write],
    ['SSL_read', read],
  ] as const) {
    const check = checkFunctionEntry(elf, eh, g.fn, calls.get(g.fn.start));
    notes.push(`boringssl: ${kind} check: ${check.why}`);
    if (!check.ok) return none(`boringssl: ${kind} rejected`);
    probes.push({ kind, vaddr: g.fn.start, fileOffset: elf.vaddrToOffset(g.fn.start), method: `ssl_lib.cc error sites + ${g.fn.source}` });
  }
  // Without it connections that reuse a freed SSL*'s address merge, so its absence is said, not fatal to the data.
  if (calledByWrite.length === 1) {
    const g = calledByWrite[0];
    const check = checkFunctionEntry(elf, eh, g.fn, calls.get(g.fn.start));
    notes.push(`boringssl: SSL_do_handshake = ${fmtGroup(g)}, called by SSL_write; check: ${check.why}`);
    if (check.ok) {
      probes.push({ kind: 'SSL_do_handshake', vaddr: g.fn.start, fileOffset: elf.vaddrToOffset(g.fn.start), method: `ssl_lib.cc error sites + ${g.fn.source}` });
    }
  } else {
    notes.push(
      `boringssl: ${calledByWrite.length} SSL_do_handshake candidates called by SSL_write (need 1; of ${handshakes.map(fmtGroup).join(' ') || 'none'}): connections reusing an SSL* address may merge`,
    );
  }
  return { stack: 'boringssl', probes, notes };
}

function fmtGroup(g: { fn: FunctionStart; sites: ErrorSite[] }): string {
  return `0x${g.fn.start.toString(16)}[${describeSites(g.sites)}]`;
}
