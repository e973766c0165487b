import { isUtf8 } from 'node:buffer';

/**
 * Byte layouts of the records in bpf/events.h and bpf/process.h, as data. test/collector/decode/layout.test.ts compiles the C
 * headers and checks every offset and size here against them, so the two cannot drift apart silently.
 */
export type FieldType = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 'comm';

export interface StructLayout {
  readonly cName: string;
  readonly size: number;
  /** field name (as in C) → [offset, type] */
  readonly fields: Readonly<Record<string, readonly [number, FieldType]>>;
}

export const EVENT_HEADER: StructLayout = {
  cName: 'event_header',
  size: 24,
  fields: { type: [0, 'u16'], flags: [2, 'u16'], size: [4, 'u32'], ts_ns: [8, 'u64'], tgid: [16, 'u32'], tid: [20, 'u32'] },
};

export const PROC_FORK: StructLayout = {
  cName: 'proc_fork_event',
  size: 64,
  fields: { kstart_ns: [24, 'u64'], parent_kstart_ns: [32, 'u64'], parent_tgid: [40, 'u32'], uid: [44, 'u32'], comm: [48, 'comm'] },
};

export const PROC_EXEC: StructLayout = {
  cName: 'proc_exec_event',
  size: 72,
  fields: {
    kstart_ns: [24, 'u64'], ppid: [32, 'u32'], uid: [36, 'u32'], ret: [40, 's32'], exe_len: [44, 'u16'],
    cwd_len: [46, 'u16'], argv_len: [48, 'u32'], ns_tgid: [52, 'u32'], comm: [56, 'comm'],
  },
};

export const PROC_EXIT: StructLayout = {
  cName: 'proc_exit_event',
  size: 64,
  fields: { kstart_ns: [24, 'u64'], exit_code: [32, 'u32'], maxrss_kb: [40, 'u64'], comm: [48, 'comm'] },
};

/** exec_held map values (bpf/process.h): read by src/collector/tls/exec-hold.ts. */
export const EXEC_HOLD: StructLayout = {
  cName: 'exec_hold',
  size: 32,
  fields: { ts_ns: [0, 'u64'], kstart_ns: [8, 'u64'], 'file.dev': [16, 'u64'], 'file.ino': [24, 'u64'] },
};

export const AGENTSIGHT_CFG: StructLayout = {
  cName: 'agentsight_cfg',
  size: 16,
  fields: { self_tgid: [0, 'u32'], all_processes: [4, 'u32'], wakeup_bytes: [8, 'u32'] },
};

/* bpf/file.h and bpf/net.h (src/collector/files, src/collector/net). s64 fields are declared u64: same size, the
 * decoders read them signed. */
export const FILE_OP: StructLayout = {
  cName: 'file_op_event',
  size: 72,
  fields: {
    file_id: [24, 'u64'], ret: [32, 'u64'], op: [40, 'u32'], flags: [44, 'u32'], mode: [48, 'u32'], fmode: [52, 'u32'],
    base_len: [56, 'u16'], path_len: [58, 'u16'], base2_len: [60, 'u16'], path2_len: [62, 'u16'],
  },
};

export const FILE_WRITE: StructLayout = {
  cName: 'file_write_event',
  size: 48,
  fields: { file_id: [24, 'u64'], bytes: [32, 'u64'], fd: [40, 's32'], path_len: [44, 'u16'], how: [46, 'u8'], mode: [47, 'u8'] },
};

export const FILE_UNTRACED: StructLayout = {
  cName: 'file_untraced_event',
  size: 32,
  fields: { res: [24, 's32'], opcode: [28, 'u8'], at_submit: [29, 'u8'] },
};

export const FILE_URING_DONE: StructLayout = {
  cName: 'file_uring_done_event',
  size: 40,
  fields: { req: [24, 'u64'], res: [32, 's32'] },
};

/** addr (u8[108]) starts at 56, right after _pad. */
export const NET_EVENT: StructLayout = {
  cName: 'net_event',
  size: 184,
  fields: {
    sock_id: [24, 'u64'], ret: [32, 'u64'], fd: [40, 's32'], family: [44, 'u16'], port: [46, 'u16'],
    sock_type: [48, 'u16'], protocol: [50, 'u16'], addr_len: [52, 'u16'], prev_sent: [168, 'u64'], prev_recv: [176, 'u64'],
  },
};

export const NET_DNS: StructLayout = {
  cName: 'net_dns_event',
  size: 32,
  fields: { len: [24, 'u32'], orig_len: [28, 'u32'] },
};

export const NET_TLS: StructLayout = {
  cName: 'net_tls_event',
  size: 40,
  fields: { sock_id: [24, 'u64'], len: [32, 'u32'], version: [36, 'u16'] },
};

export const TLS_DATA: StructLayout = {
  cName: 'tls_data_event',
  size: 64,
  fields: {
    conn: [24, 'u64'], call_ts_ns: [32, 'u64'], call_len: [40, 'u32'], offset: [44, 'u32'], len: [48, 'u32'],
    lost_before: [52, 'u32'], dir: [56, 'u8'], api: [57, 'u8'],
  },
};

export const TLS_BIND: StructLayout = {
  cName: 'tls_bind_event',
  size: 40,
  fields: { conn: [24, 'u64'], fd: [32, 's32'], dir: [36, 'u8'] },
};

export const PIPE_DATA: StructLayout = {
  cName: 'pipe_data_event',
  size: 72,
  fields: {
    ino: [24, 'u64'], stdin_ino: [32, 'u64'], call_ts_ns: [40, 'u64'], call_len: [48, 'u32'], offset: [52, 'u32'],
    len: [56, 'u32'], lost_before: [60, 'u32'], fd: [64, 's32'], kind: [68, 'u8'],
  },
};

/** Layouts the layout test checks, with the header that defines each. */
export const CHECKED_LAYOUTS: ReadonlyArray<{ header: string; layout: StructLayout }> = [
  { header: 'events.h', layout: EVENT_HEADER },
  { header: 'events.h', layout: AGENTSIGHT_CFG },
  { header: 'process.h', layout: PROC_FORK },
  { header: 'process.h', layout: PROC_EXEC },
  { header: 'process.h', layout: PROC_EXIT },
  { header: 'process.h', layout: EXEC_HOLD },
  { header: 'file.h', layout: FILE_OP },
  { header: 'file.h', layout: FILE_WRITE },
  { header: 'file.h', layout: FILE_UNTRACED },
  { header: 'file.h', layout: FILE_URING_DONE },
  { header: 'net.h', layout: NET_EVENT },
  { header: 'net.h', layout: NET_DNS },
  { header: 'net.h', layout: NET_TLS },
  { header: 'tls.h', layout: TLS_DATA },
  { header: 'tls.h', layout: TLS_BIND },
  { header: 'pipe.h', layout: PIPE_DATA },
];

/** enum event_type */
export const EV = {
  PROC_FORK: 1,
  PROC_EXEC: 2,
  PROC_EXIT: 3,
  PROC_EXEC_FAILED: 4,
} as const;

/** enum stat_index: in-kernel loss and clipping counters (shared_stats). */
export const STATS = [
  'ringbuf:events',
  'argv:clipped',
  'path:clipped',
  'exec:missed-entry',
  'scratch:unavailable',
  'tls:clipped',
  'tls:missed-entry',
  'ringbuf:tls',
  'file:agg-full',
  'file:missed-entry',
  'net:missed-entry',
  'dns:clipped',
  'pipe:clipped',
  'ringbuf:pipe',
] as const;
export const STAT_MAX = 16;

export const EXEC_F_ARGV_CLIPPED = 0x1;
/** The process was stopped at this exec until its TLS probes were attached (bpf/process.h). */
export const EXEC_F_HELD = 0x8;

/** Little-endian readers over a DataView. u64 values (ns since boot, sizes) stay below 2^53. */
export function u64(v: DataView, off: number): number {
  return v.getUint32(off, true) + v.getUint32(off + 4, true) * 0x1_0000_0000;
}

/** A Buffer over the same memory (no copy): Buffer's native toString is far cheaper than TextDecoder per field. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A NUL-padded fixed char array (comm). */
export function cstr(bytes: Uint8Array, off: number, max: number): string {
  let end = off;
  while (end < off + max && bytes[end] !== 0) end++;
  return asBuffer(bytes).toString('utf8', off, end);
}

/** Bytes as text: UTF-8 when valid, byte-exact latin1 otherwise (paths and argv are bytes, not text, on Linux). */
export function bytesToText(bytes: Uint8Array): string {
  const b = asBuffer(bytes);
  return isUtf8(b) ? b.toString('utf8') : b.toString('latin1');
}

/**
 * Bytes [start, end) of a batch as text, like bytesToText, without a view per field: ASCII (nearly every path, argv
 * and comm) is valid UTF-8 and reads the same as latin1, which is the cheapest native decode.
 */
export function textAt(buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) if (buf[i] >= 0x80) return bytesToText(buf.subarray(start, end));
  return buf.latin1Slice(start, end);
}

/** A NUL-padded fixed char array at buf[off, off + max) (comm), as cstr does. */
export function cstrAt(buf: Buffer, off: number, max: number): string {
  let end = off;
  let ascii = true;
  for (; end < off + max; end++) {
    const c = buf[end];
    if (c === 0) break;
    if (c >= 0x80) ascii = false;
  }
  return ascii ? buf.latin1Slice(off, end) : buf.toString('utf8', off, end);
}

declare module 'node:buffer' {
  interface Buffer {
    /** Node's native latin1 decode of [start, end) (what toString('latin1', …) calls after checking arguments). */
    latin1Slice(start: number, end: number): string;
  }
}
