/**
 * DNS answers (RFC 1035 wire format) → which name each address was looked up as. Only what naming needs: the
 * question name, CNAME chains, A and AAAA records. Bad input returns what was parsed so far, never throws.
 */
import { ipv4, ipv6 } from './net-events';

export interface DnsAnswer {
  /** The name the process asked for (the question), not the end of a CNAME chain. */
  name: string;
  addr: string;
}

export function parseDnsAnswers(buf: Uint8Array): DnsAnswer[] {
  try {
    return parse(buf);
  } catch {
    return [];
  }
}

function parse(buf: Uint8Array): DnsAnswer[] {
  if (buf.length < 12) return [];
  const flags = (buf[2] << 8) | buf[3];
  if ((flags & 0x8000) === 0) return []; // a query, not a response
  const qd = (buf[4] << 8) | buf[5];
  const an = (buf[6] << 8) | buf[7];
  let off = 12;
  let question: string | null = null;
  for (let i = 0; i < qd; i++) {
    const [name, next] = readName(buf, off);
    question ??= name;
    off = next + 4;
  }
  const out: DnsAnswer[] = [];
  for (let i = 0; i < an && off + 10 <= buf.length; i++) {
    const [, next] = readName(buf, off);
    off = next;
    if (off + 10 > buf.length) break;
    const type = (buf[off] << 8) | buf[off + 1];
    const rdlen = (buf[off + 8] << 8) | buf[off + 9];
    const rd = off + 10;
    if (rd + rdlen > buf.length) break;
    if (question) {
      if (type === 1 && rdlen === 4) out.push({ name: question, addr: ipv4(buf.subarray(rd, rd + 4)) });
      else if (type === 28 && rdlen === 16) out.push({ name: question, addr: ipv6(buf.subarray(rd, rd + 16)) });
    }
    off = rd + rdlen;
  }
  return out;
}

/** A (possibly compressed) name at off → [name, offset after it]. */
function readName(buf: Uint8Array, off: number): [string, number] {
  const labels: string[] = [];
  let end = -1;
  for (let hops = 0; hops < 64; hops++) {
    if (off >= buf.length) throw new Error('name past end');
    const len = buf[off];
    if (len === 0) {
      if (end < 0) end = off + 1;
      return [labels.join('.').toLowerCase(), end];
    }
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= buf.length) throw new Error('pointer past end');
      if (end < 0) end = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1];
      continue;
    }
    labels.push(String.fromCharCode(...buf.subarray(off + 1, off + 1 + len)));
    off += 1 + len;
  }
  throw new Error('name too long');
}
