/**
 * discoverTls(path): where in this executable or shared library to put the TLS plaintext uprobes.
 *
 * Tries, in order: OpenSSL-API symbols; aws-lc AEAD functions when rustls is present (Codex); BoringSSL
 * SSL_write/SSL_read by error-site analysis (Bun, Claude Code). Everything found is verified (verify.ts);
 * anything ambiguous is reported as not found with the reason, never guessed.
 *
 * Synchronous: it reads with fs.readSync and takes ~0.1–3 s on a cold 300 MB binary. A live collector should
 * call it off the event loop's critical path (or in a worker); results are cached by stat identity, build-id or
 * fingerprint (a traced process execing an unseen binary waits for this: see exec-hold.ts).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import { detectAwsLcAead } from './detect-aws-lc';
import { detectBoringSsl } from './detect-boringssl';
import { detectGnuTls } from './detect-gnutls';
import { detectGoTls } from './detect-go';
import { detectOpenSslSymbols } from './detect-openssl';
import { detectOtherStacks } from './detect-other';
import { EhFrameIndex } from './eh-frame';
import { ElfError, ElfFile } from './elf-file';
import { FunctionBounds } from './function-bounds';
import { cacheKey, defaultTlsCacheDir, readCache, writeCache } from './tls-cache';
import { TlsDiscovery, TlsProbe, TlsStack } from './types';
import { formatBytes, formatDuration } from '../../../present';

/** Bump when detection logic changes so cached results of older logic are recomputed. */
export const DISCOVERY_VERSION = 7; // 3: SSL_free/SSL_clear; 4: probe bytes, fingerprint instead of sha256; 5: gnutls; 6: go; 7: BoringSSL SSL_do_handshake

export interface DiscoverOptions {
  /** Cache directory; default defaultTlsCacheDir(). */
  readonly cacheDir?: string;
  /** false: neither read nor write the cache. */
  readonly useCache?: boolean;
  /**
   * The path is a /proc magic link to the very file (/proc/PID/exe, /proc/PID/map_files/…): not resolved, since
   * realpath reads the link's text, a path in the process's own mount namespace, and lands on the host's file of
   * that name (a container's node is another inode: containers/process-file.ts).
   */
  readonly exactPath?: boolean;
}

export function discoverTls(filePath: string, options: DiscoverOptions = {}): TlsDiscovery {
  const t0 = performance.now();
  const useCache = options.useCache !== false;
  const cacheDir = options.cacheDir ?? defaultTlsCacheDir();
  const lines: string[] = [];
  const lap = (() => {
    let last = t0;
    return (what: string): void => {
      const now = performance.now();
      lines.push(`time: ${what} ${formatDuration((now - last) * 1e6)}`);
      last = now;
    };
  })();

  let resolved: string;
  try {
    resolved = options.exactPath ? filePath : fs.realpathSync(filePath);
  } catch (err) {
    return failed(filePath, null, '', `cannot resolve ${filePath}: ${(err as Error).message}`, t0);
  }
  // Only regular files: opening a FIFO would block, a directory or device is not a program.
  try {
    if (!fs.statSync(resolved).isFile()) return failed(resolved, null, '', `${resolved}: not a regular file`, t0);
  } catch (err) {
    return failed(resolved, null, '', `cannot stat ${resolved}: ${(err as Error).message}`, t0);
  }
  let elf: ElfFile;
  try {
    elf = ElfFile.open(resolved);
  } catch (err) {
    const why = err instanceof ElfError ? err.message : `cannot open: ${(err as Error).message}`;
    return failed(resolved, null, '', why, t0);
  }
  try {
    // A known file costs a stat and a small JSON read: the stat identity (device, inode, size, mtime) is tried first,
    // then the build-id (another copy of the same build), then, for files without one, a fingerprint of the parts
    // that identify a build (see buildFingerprint). Nothing hashes the whole file: that was 0.3-2 s for a 100-300 MB
    // agent binary, while its process waited at exec for the probes. Every hit is checked against the file's bytes at
    // each probe offset (verifyProbeBytes), so an entry that does not describe this file is recomputed, not used.
    const statKey = statCacheKey(resolved);
    const served = (hit: TlsDiscovery | null, how: string): TlsDiscovery | null => {
      if (!hit || !verifyProbeBytes(elf, hit.probes)) return null;
      return { ...hit, path: resolved, cached: true, elapsedMs: performance.now() - t0, detail: `${hit.detail}\ncache: ${how}` };
    };
    if (useCache && statKey) {
      const hit = served(readCache(cacheDir, statKey, DISCOVERY_VERSION), 'stat identity');
      if (hit) return hit;
    }
    const buildId = elf.buildId();
    if (useCache && buildId) {
      const hit = served(readCache(cacheDir, cacheKey(buildId, null)!, DISCOVERY_VERSION), 'build-id');
      if (hit && hit.buildId === buildId) {
        if (statKey) writeCache(cacheDir, statKey, hit);
        return hit;
      }
    }
    const fingerprint = buildId ? null : buildFingerprint(elf);
    if (fingerprint) lap('fingerprint');
    if (useCache && fingerprint) {
      const hit = served(readCache(cacheDir, fingerprintKey(fingerprint), DISCOVERY_VERSION), 'fingerprint');
      if (hit && hit.fingerprint === fingerprint) {
        if (statKey) writeCache(cacheDir, statKey, hit);
        return hit;
      }
    }
    const sha256 = '';

    lines.unshift(
      `file: ${resolved} (${formatBytes(elf.size)}, ${elf.isPie ? 'PIE/shared' : 'non-PIE'}, machine ${elf.machine}, build-id ${buildId ?? `none, fingerprint ${fingerprint}`})`,
    );
    const eh = EhFrameIndex.load(elf);
    lines.push(eh ? `eh_frame_hdr: ${eh.count} function starts` : 'eh_frame_hdr: none (function starts from int3 padding + call sites)');
    lap('eh_frame_hdr');
    const bounds = new FunctionBounds(elf, eh);

    let stack: TlsStack | null = null;
    let probes: TlsProbe[] = [];
    const ossl = detectOpenSslSymbols(elf, eh);
    lines.push(...ossl.notes);
    lap('openssl symbols');
    const other = detectOtherStacks(elf);
    lines.push(...other.notes);
    lap('other stacks');
    if (other.rustls) {
      const aws = detectAwsLcAead(elf, eh, bounds);
      lines.push(...aws.notes);
      lap('aws-lc');
      if (aws.stack) {
        stack = aws.stack;
        probes = aws.probes;
        if (ossl.stack) lines.push('openssl symbols are present too; rustls does not call them, so they are not probed');
      }
    }
    if (!stack && ossl.stack) {
      stack = ossl.stack;
      probes = ossl.probes;
    }
    if (!stack && other.found.includes('gnutls')) {
      const gnutls = detectGnuTls(elf, eh);
      lines.push(...gnutls.notes);
      if (gnutls.stack) {
        stack = gnutls.stack;
        probes = gnutls.probes;
      }
    }
    if (!stack && other.found.includes('go-crypto-tls')) {
      const go = detectGoTls(elf);
      lines.push(...go.notes);
      lap('go');
      if (go.stack) {
        stack = go.stack;
        probes = go.probes;
      }
    }
    if (!stack) {
      const bssl = detectBoringSsl(elf, eh, bounds);
      lines.push(...bssl.notes);
      lap('boringssl');
      if (bssl.stack) {
        stack = bssl.stack;
        probes = bssl.probes;
      }
    }
    lines.push(
      stack
        ? `result: ${stack}: ${probes.map((p) => `${p.kind} vaddr 0x${p.vaddr.toString(16)} offset 0x${p.fileOffset.toString(16)}`).join('; ')}`
        : `result: no probeable TLS stack${other.found.length ? ` (present but not probed: ${other.found.join(', ')})` : ''}`,
    );
    const elapsedMs = performance.now() - t0;
    lines.push(`time: total ${formatDuration(elapsedMs * 1e6)}`);
    const result: TlsDiscovery = {
      path: resolved,
      buildId,
      sha256,
      fingerprint,
      stack,
      probes: probes.map((p) => ({ ...p, bytes: probeBytes(elf, p.fileOffset) })),
      // a stack that got probes is no longer "recognised but not probed"
      unprobed: other.found.filter((u) => !(u === stack || (u === 'go-crypto-tls' && stack === 'go'))),
      detail: lines.join('\n'),
      elapsedMs,
      cached: false,
      discoveryVersion: DISCOVERY_VERSION,
    };
    const key = buildId ? cacheKey(buildId, null) : fingerprint ? fingerprintKey(fingerprint) : null;
    if (useCache && key) {
      const err = writeCache(cacheDir, key, result);
      if (!err && statKey) writeCache(cacheDir, statKey, result);
      if (err) return { ...result, detail: `${result.detail}\ncache: not written (${err})` };
    }
    return result;
  } catch (err) {
    // Bad input (truncated or odd ELF) must not throw out of the pipeline: it is a "not found" with a reason.
    lines.push(`error: ${(err as Error).message}`);
    return failed(resolved, null, '', lines.join('\n'), t0);
  } finally {
    elf.close();
  }
}

function failed(p: string, buildId: string | null, sha256: string, detail: string, t0: number): TlsDiscovery {
  return {
    path: p,
    buildId,
    sha256,
    fingerprint: null,
    stack: null,
    probes: [],
    unprobed: [],
    detail,
    elapsedMs: performance.now() - t0,
    cached: false,
    discoveryVersion: DISCOVERY_VERSION,
  };
}

function statCacheKey(p: string): string | null {
  try {
    const st = fs.statSync(p, { bigint: true });
    return `stat-${st.dev}-${st.ino}-${st.size}-${st.mtimeNs}`;
  } catch {
    return null;
  }
}

/** Bytes compared at each probe offset when a cached result is used: a few instructions of the probed function. */
const PROBE_BYTES = 16;

function probeBytes(elf: ElfFile, offset: number): string {
  return elf.read(offset, PROBE_BYTES).toString('hex');
}

/** Every probe of a cached result still finds the bytes it was placed on (entries of older versions have none). */
function verifyProbeBytes(elf: ElfFile, probes: readonly TlsProbe[]): boolean {
  try {
    return probes.every((p) => p.bytes !== undefined && p.fileOffset + PROBE_BYTES <= elf.size && probeBytes(elf, p.fileOffset) === p.bytes);
  } catch {
    return false;
  }
}

function fingerprintKey(fp: string): string {
  return `fingerprint-${fp}`;
}

/*
 * What identifies a build without a build-id (Codex's static-pie has none), read in ~5 ms instead of hashing 300 MB:
 * the size; the ELF, program and section headers (any change of code or data size moves them); the .eh_frame_hdr
 * table (every function's start: any code change moves it); and 64 KiB at 64 evenly spaced offsets. Two builds
 * that agree on all of it and differ elsewhere are still caught: a cached result is used only when the bytes at
 * every probe offset are the ones it was found on (verifyProbeBytes).
 */
const SAMPLES = 64;
const SAMPLE_BYTES = 64 << 10;
const EH_FRAME_HDR_MAX = 16 << 20;

export function buildFingerprint(elf: ElfFile): string {
  const h = createHash('sha256');
  h.update(`size ${elf.size}\n`);
  const head = Math.min(elf.size, 64 << 10);
  h.update(elf.read(0, head));
  const shoff = elf.read(0x28, 8).readBigUInt64LE(0);
  const shSize = 64 * elf.sections.length;
  if (shoff > 0n && Number(shoff) + shSize <= elf.size) h.update(elf.read(Number(shoff), shSize));
  const eh = elf.section('.eh_frame_hdr');
  if (eh && eh.size > 0 && eh.size <= EH_FRAME_HDR_MAX && eh.offset + eh.size <= elf.size) h.update(elf.read(eh.offset, eh.size));
  const scratch = Buffer.allocUnsafe(SAMPLE_BYTES);
  for (let i = 0; i < SAMPLES; i++) {
    const off = Math.floor(((elf.size - SAMPLE_BYTES) * i) / (SAMPLES - 1));
    if (off < 0) break;
    h.update(elf.readInto(scratch, off, Math.min(SAMPLE_BYTES, elf.size - off)));
  }
  return h.digest('hex').slice(0, 40);
}

