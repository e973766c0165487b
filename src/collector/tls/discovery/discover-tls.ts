/**
 * discoverTls(path): where in this executable or shared library to put the TLS plaintext uprobes.
 *
 * Tries, in order: OpenSSL-API symbols; aws-lc AEAD functions when rustls is present (Codex); BoringSSL
 * SSL_write/SSL_read by error-site analysis (Bun, Claude Code). Everything found is verified (verify.ts);
 * anything ambiguous is reported as not found with the reason, never guessed.
 *
 * Synchronous: it reads with fs.readSync and takes ~0.1–3 s on a cold 300 MB binary. A live collector should
 * call it off the event loop's critical path (or in a worker); results are cached by build-id.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import { detectAwsLcAead } from './detect-aws-lc';
import { detectBoringSsl } from './detect-boringssl';
import { detectOpenSslSymbols } from './detect-openssl';
import { detectOtherStacks } from './detect-other';
import { EhFrameIndex } from './eh-frame';
import { ElfError, ElfFile } from './elf-file';
import { FunctionBounds } from './function-bounds';
import { cacheKey, defaultTlsCacheDir, readCache, writeCache } from './tls-cache';
import { TlsDiscovery, TlsProbe, TlsStack } from './types';

/** Bump when detection logic changes so cached results of older logic are recomputed. */
export const DISCOVERY_VERSION = 3; // 3: SSL_free/SSL_clear

export interface DiscoverOptions {
  /** Cache directory; default defaultTlsCacheDir(). */
  readonly cacheDir?: string;
  /** false: neither read nor write the cache. */
  readonly useCache?: boolean;
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
      lines.push(`time: ${what} ${(now - last).toFixed(0)} ms`);
      last = now;
    };
  })();

  let resolved: string;
  try {
    resolved = fs.realpathSync(filePath);
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
    return failed(resolved, null, safeSha256(resolved), why, t0);
  }
  try {
    const buildId = elf.buildId();
    if (useCache && buildId) {
      const hit = readCache(cacheDir, cacheKey(buildId, null)!, DISCOVERY_VERSION);
      if (hit && hit.buildId === buildId) return { ...hit, path: resolved, cached: true, elapsedMs: performance.now() - t0 };
    }
    // Without a build-id (Codex's static-pie has none) hashing 300 MB costs ~0.5 s per run, so a stat-based
    // alias (device, inode, size, mtime) points at the sha256 entry; any change to the file misses it.
    const statKey = statCacheKey(resolved);
    if (useCache && !buildId && statKey) {
      const hit = readCache(cacheDir, statKey, DISCOVERY_VERSION);
      if (hit && hit.buildId === null) return { ...hit, path: resolved, cached: true, elapsedMs: performance.now() - t0 };
    }
    const sha256 = sha256File(elf);
    lap('sha256');
    if (useCache && !buildId) {
      const hit = readCache(cacheDir, cacheKey(null, sha256)!, DISCOVERY_VERSION);
      if (hit && hit.sha256 === sha256) {
        if (statKey) writeCache(cacheDir, statKey, hit);
        return { ...hit, path: resolved, cached: true, elapsedMs: performance.now() - t0 };
      }
    }

    lines.unshift(
      `file: ${resolved} (${(elf.size / 1e6).toFixed(1)} MB, ${elf.isPie ? 'PIE/shared' : 'non-PIE'}, machine ${elf.machine}, build-id ${buildId ?? 'none'})`,
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
    lines.push(`time: total ${elapsedMs.toFixed(0)} ms`);
    const result: TlsDiscovery = {
      path: resolved,
      buildId,
      sha256,
      stack,
      probes,
      unprobed: other.found,
      detail: lines.join('\n'),
      elapsedMs,
      cached: false,
      discoveryVersion: DISCOVERY_VERSION,
    };
    if (useCache) {
      const key = cacheKey(buildId, sha256)!;
      const err = writeCache(cacheDir, key, result);
      if (!err && !buildId && statKey) writeCache(cacheDir, statKey, result);
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

function sha256File(elf: ElfFile): string {
  const h = createHash('sha256');
  const chunk = 8 << 20;
  const scratch = Buffer.allocUnsafe(chunk);
  for (let off = 0; off < elf.size; off += chunk) h.update(elf.readInto(scratch, off, Math.min(chunk, elf.size - off)));
  return h.digest('hex');
}

/** sha256 of a non-ELF file, streamed (a script can be big too); '' when unreadable. */
function safeSha256(p: string): string {
  try {
    const fd = fs.openSync(p, 'r');
    try {
      const h = createHash('sha256');
      const buf = Buffer.alloc(8 << 20);
      for (let n = fs.readSync(fd, buf, 0, buf.length, null); n > 0; n = fs.readSync(fd, buf, 0, buf.length, null)) h.update(buf.subarray(0, n));
      return h.digest('hex');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}
