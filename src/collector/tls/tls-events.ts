/** Decoders for TLS records (bpf/tls.h). */
import { TLS_BIND, TLS_DATA, u64 } from '../decode/layout';
import type { RecordHeader } from '../process/process-events';

export const EV_TLS_DATA = 48;
export const EV_TLS_BIND = 49;
/** A socket fd that AEAD contexts were bound to was closed (tls_bind_event with conn 0). */
export const EV_TLS_UNBIND = 50;
/** An SSL* was freed or cleared (SSL_free, SSL_clear): its connection is over. */
export const EV_TLS_FREE = 51;
/** A handshake is running on an SSL* (SSL_do_handshake returned ≤ 0): a connection that carried data on it is over. */
export const EV_TLS_HANDSHAKE = 52;
export const TLS_API_SSL = 1;
export const TLS_API_AEAD = 2;

export interface TlsDataEvent extends RecordHeader {
  kind: 'data';
  conn: bigint;
  callTsNs: number;
  callLen: number;
  offset: number;
  lostBefore: number;
  dir: 0 | 1;
  api: number;
  /** A view into the batch: copy before keeping it beyond this batch. */
  data: Uint8Array;
}

export interface TlsBindEvent extends RecordHeader {
  kind: 'bind' | 'unbind' | 'free' | 'handshake';
  conn: bigint;
  fd: number;
  dir: 0 | 1;
}

/** Records sharing tls_bind_event's layout, by type. */
const BIND_KINDS: Record<number, TlsBindEvent['kind']> = {
  [EV_TLS_BIND]: 'bind',
  [EV_TLS_UNBIND]: 'unbind',
  [EV_TLS_FREE]: 'free',
  [EV_TLS_HANDSHAKE]: 'handshake',
};

function ptr(v: DataView, off: number): bigint {
  return v.getBigUint64(off, true);
}

export function decodeTlsEvent(bytes: Uint8Array, v: DataView, h: RecordHeader): TlsDataEvent | TlsBindEvent | null {
  if (h.type === EV_TLS_DATA) {
    if (bytes.length < TLS_DATA.size) return null;
    const f = TLS_DATA.fields;
    const len = v.getUint32(f.len[0], true);
    if (TLS_DATA.size + len > bytes.length) return null;
    return {
      type: h.type, flags: h.flags, size: h.size, tsNs: h.tsNs, tgid: h.tgid, tid: h.tid, kind: 'data', conn: ptr(v, f.conn[0]), callTsNs: u64(v, f.call_ts_ns[0]), callLen: v.getUint32(f.call_len[0], true),
      offset: v.getUint32(f.offset[0], true), lostBefore: v.getUint32(f.lost_before[0], true),
      dir: (v.getUint8(f.dir[0]) ? 1 : 0), api: v.getUint8(f.api[0]), data: bytes.subarray(TLS_DATA.size, TLS_DATA.size + len),
    };
  }
  const kind = BIND_KINDS[h.type];
  if (kind) {
    if (bytes.length < TLS_BIND.size) return null;
    const f = TLS_BIND.fields;
    return { type: h.type, flags: h.flags, size: h.size, tsNs: h.tsNs, tgid: h.tgid, tid: h.tid, kind, conn: ptr(v, f.conn[0]), fd: v.getInt32(f.fd[0], true), dir: (v.getUint8(f.dir[0]) ? 1 : 0) };
  }
  return null;
}

/**
 * TLS 1.3 inner plaintext (content ‖ content type ‖ zero padding) → the content when it is application data (0x17),
 * else null (handshake messages under the application key, alerts).
 */
export function innerPlaintextAppData(p: Uint8Array): Uint8Array | null {
  let end = p.length;
  while (end > 0 && p[end - 1] === 0) end--;
  if (end === 0) return null;
  return p[end - 1] === 0x17 ? p.subarray(0, end - 1) : null;
}
