/**
 * Whether a file carries TLS code of its own, by the strings every TLS implementation must hold: the TLS 1.3 key
 * schedule's HKDF label prefix ("tls13 ", RFC 8446 §7.1) or the TLS 1.2 PRF labels ("master secret", "key
 * expansion", RFC 5246 §8.1, §6.3), or the name of a TLS library it links. A program without any (sh, env, true)
 * cannot produce TLS plaintext itself: what it starts is examined when it execs, and libraries an interpreter
 * dlopens later are probed system-wide. So `record` warns only about programs that carry TLS it cannot probe.
 */
import fs from 'node:fs';

const MARKERS = ['tls13 ', 'master secret', 'key expansion', 'libssl.so', 'libgnutls.so', 'libnss3.so', 'libcrypto.so'].map((m) => Buffer.from(m, 'latin1'));
const LONGEST = Math.max(...MARKERS.map((m) => m.length));
const CHUNK = 1 << 20;

/** True when the file holds a TLS marker, or cannot be read (then nothing can be said, so it is not ruled out). */
export function carriesTls(path: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch {
    return true;
  }
  try {
    const buf = Buffer.allocUnsafe(CHUNK + LONGEST);
    let keep = 0;
    let pos = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, keep, CHUNK, pos);
      if (n <= 0) return false;
      const view = buf.subarray(0, keep + n);
      if (MARKERS.some((m) => view.includes(m))) return true;
      pos += n;
      // The chunk's tail, so a marker across two reads is still seen.
      keep = Math.min(LONGEST - 1, view.length);
      view.copy(buf, 0, view.length - keep);
    }
  } catch {
    return true;
  } finally {
    fs.closeSync(fd);
  }
}
