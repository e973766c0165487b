/** Decoders for the network records (bpf/net.h). Pure functions over one record's bytes; null when malformed. */
import { NET_DNS, NET_EVENT, NET_TLS, bytesToText } from '../decode/layout';
import type { RecordHeader } from '../process/process-events';

export const EV_NET = { CONNECT: 32, BIND: 33, LISTEN: 34, ACCEPT: 35, DNS: 36, TLS_HELLO: 37 } as const;
const NET_ADDR_OFF = 56;
const NET_ADDR_MAX = 108;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;

export interface NetEvent {
  kind: 'connect' | 'bind' | 'listen' | 'accept';
  /** struct sock pointer (key of the sock_bytes map), 0n when unknown. */
  sockId: bigint;
  ret: number;
  fd: number;
  family: 'inet' | 'inet6' | 'unix' | string;
  proto: string | null;
  addr: string;
  port: number | null;
  /** Final byte counters of the previous socket that had this sockId (see bpf/net.h). */
  prevSent: number;
  prevRecv: number;
}

export interface DnsEvent {
  kind: 'dns';
  data: Uint8Array;
  clipped: boolean;
}

/** Address families by number (linux/socket.h); others are stored as `af<N>`. netlink: glibc's getaddrinfo and ip(8). */
const FAMILIES: Record<number, string> = { [AF_UNIX]: 'unix', [AF_INET]: 'inet', [AF_INET6]: 'inet6', 16: 'netlink', 17: 'packet', 40: 'vsock' };

const KINDS: Record<number, NetEvent['kind']> = { 32: 'connect', 33: 'bind', 34: 'listen', 35: 'accept' };

/** The first bytes a process sent on a connected socket were a TLS ClientHello (bpf/net.h net_tls_event). */
export interface TlsHelloEvent {
  kind: 'tls-hello';
  sockId: bigint;
  /** Bytes of that first send. */
  len: number;
  version: number;
}

export function decodeNetEvent(bytes: Uint8Array, v: DataView, h: RecordHeader): NetEvent | DnsEvent | TlsHelloEvent | null {
  if (h.type === EV_NET.TLS_HELLO) {
    if (bytes.length < NET_TLS.size) return null;
    const f = NET_TLS.fields;
    return { kind: 'tls-hello', sockId: v.getBigUint64(f.sock_id[0], true), len: v.getUint32(f.len[0], true), version: v.getUint16(f.version[0], true) };
  }
  if (h.type === EV_NET.DNS) {
    if (bytes.length < NET_DNS.size) return null;
    const len = v.getUint32(NET_DNS.fields.len[0], true);
    const orig = v.getUint32(NET_DNS.fields.orig_len[0], true);
    if (NET_DNS.size + len > bytes.length) return null;
    return { kind: 'dns', data: bytes.subarray(NET_DNS.size, NET_DNS.size + len), clipped: orig > len };
  }
  const kind = KINDS[h.type];
  if (!kind || bytes.length < NET_EVENT.size) return null;
  const f = NET_EVENT.fields;
  const familyNum = v.getUint16(f.family[0], true);
  const addrLen = Math.min(v.getUint16(f.addr_len[0], true), NET_ADDR_MAX);
  const raw = bytes.subarray(NET_ADDR_OFF, NET_ADDR_OFF + addrLen);
  const sockType = v.getUint16(f.sock_type[0], true);
  const protocol = v.getUint16(f.protocol[0], true);
  const family = FAMILIES[familyNum] ?? `af${familyNum}`;
  let addr = '';
  if (familyNum === AF_INET && addrLen >= 4) addr = ipv4(raw);
  else if (familyNum === AF_INET6 && addrLen >= 16) addr = ipv6(raw);
  else if (familyNum === AF_UNIX) addr = unixPath(raw);
  const inet = familyNum === AF_INET || familyNum === AF_INET6;
  let proto: string | null = null;
  if (inet) proto = protocol === 6 ? 'tcp' : protocol === 17 ? 'udp' : protocol === 1 || protocol === 58 ? 'icmp' : sockTypeName(sockType);
  else proto = sockTypeName(sockType);
  return {
    kind,
    sockId: v.getBigUint64(f.sock_id[0], true),
    ret: Number(v.getBigInt64(f.ret[0], true)),
    fd: v.getInt32(f.fd[0], true),
    family,
    proto,
    addr,
    port: inet ? v.getUint16(f.port[0], true) : null,
    prevSent: Number(v.getBigUint64(f.prev_sent[0], true)),
    prevRecv: Number(v.getBigUint64(f.prev_recv[0], true)),
  };
}

function sockTypeName(t: number): string | null {
  return t === 1 ? 'stream' : t === 2 ? 'dgram' : t === 5 ? 'seqpacket' : null;
}

export function ipv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text: lower case, longest run of zero groups as `::`, IPv4-mapped as ::ffff:a.b.c.d. */
export function ipv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i] << 8) | b[i + 1]);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${ipv4(b.subarray(12, 16))}`;
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** sun_path: a path ends at its NUL; an abstract name (leading NUL) is shown as `@name`. */
function unixPath(raw: Uint8Array): string {
  if (raw.length === 0) return '';
  if (raw[0] === 0) {
    let end = raw.length;
    while (end > 1 && raw[end - 1] === 0) end--;
    const nul = raw.indexOf(0, 1);
    if (nul > 0 && nul < end) end = nul;
    return end > 1 ? '@' + bytesToText(raw.subarray(1, end)) : '';
  }
  const nul = raw.indexOf(0);
  return bytesToText(raw.subarray(0, nul < 0 ? raw.length : nul));
}
