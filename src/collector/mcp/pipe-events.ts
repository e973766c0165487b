/** Decoder for pipe records (bpf/pipe.h): bytes traced processes wrote into JSON-RPC pipes and unix sockets. */
import { PIPE_DATA, u64 } from '../decode/layout';
import type { RecordHeader } from '../process/process-events';

export const EV_PIPE_DATA = 64;
export const PIPE_KIND_FIFO = 1;
export const PIPE_KIND_UNIX = 2;
/** A TCP socket whose first write was plaintext HTTP/1.1: stdinIno holds its ports (local << 16 | remote). */
export const PIPE_KIND_TCP = 3;

export interface PipeDataEvent extends RecordHeader {
  /** The inode the reading end sees (pipe inode, or the unix socket's peer). */
  ino: number;
  /** The writer's own stdin inode. */
  stdinIno: number;
  callTsNs: number;
  callLen: number;
  offset: number;
  lostBefore: number;
  fd: number;
  kind: number;
  /** A view into the batch: copy before keeping it beyond this batch. */
  data: Uint8Array;
}

export function decodePipeEvent(bytes: Uint8Array, v: DataView, h: RecordHeader): PipeDataEvent | null {
  if (h.type !== EV_PIPE_DATA || bytes.length < PIPE_DATA.size) return null;
  const f = PIPE_DATA.fields;
  const len = v.getUint32(f.len[0], true);
  if (PIPE_DATA.size + len > bytes.length) return null;
  return {
    type: h.type, flags: h.flags, size: h.size, tsNs: h.tsNs, tgid: h.tgid, tid: h.tid,
    ino: u64(v, f.ino[0]), stdinIno: u64(v, f.stdin_ino[0]), callTsNs: u64(v, f.call_ts_ns[0]),
    callLen: v.getUint32(f.call_len[0], true), offset: v.getUint32(f.offset[0], true),
    lostBefore: v.getUint32(f.lost_before[0], true), fd: v.getInt32(f.fd[0], true), kind: v.getUint8(f.kind[0]),
    data: bytes.subarray(PIPE_DATA.size, PIPE_DATA.size + len),
  };
}
