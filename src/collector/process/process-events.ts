/** Decoders for the process records (bpf/process.h). Pure functions over one record's bytes. */
import { EVENT_HEADER, EV, EXEC_F_ARGV_CLIPPED, PROC_EXEC, PROC_EXIT, PROC_FORK, bytesToText, cstrAt, textAt, u64 } from '../decode/layout';

export interface RecordHeader {
  type: number;
  flags: number;
  size: number;
  /** CLOCK_MONOTONIC ns */
  tsNs: number;
  tgid: number;
  tid: number;
}

export interface ForkEvent extends RecordHeader {
  kind: 'fork';
  kstartNs: number;
  parentKstartNs: number;
  parentTgid: number;
  uid: number;
  comm: string;
}

export interface ExecEvent extends RecordHeader {
  kind: 'exec';
  failed: boolean;
  kstartNs: number;
  ppid: number;
  uid: number;
  ret: number;
  exe: string;
  cwd: string | null;
  argv: string[];
  argvClipped: boolean;
  comm: string;
  /** Its pid in its own pid namespace (a container's); == tgid on the host, 0 for a failed exec. */
  nsTgid: number;
}

export interface ExitEvent extends RecordHeader {
  kind: 'exit';
  kstartNs: number;
  /** wait(2) status */
  status: number;
  maxRssKb: number;
  comm: string;
}

export type ProcessEvent = ForkEvent | ExecEvent | ExitEvent;

export function decodeHeader(v: DataView): RecordHeader {
  const f = EVENT_HEADER.fields;
  return {
    type: v.getUint16(f.type[0], true),
    flags: v.getUint16(f.flags[0], true),
    size: v.getUint32(f.size[0], true),
    tsNs: u64(v, f.ts_ns[0]),
    tgid: v.getUint32(f.tgid[0], true),
    tid: v.getUint32(f.tid[0], true),
  };
}

/** Split a NUL-separated argv block. A trailing NUL ends the last argument; a missing one means it was clipped. */
export function splitArgv(bytes: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      out.push(bytesToText(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  if (start < bytes.length) out.push(bytesToText(bytes.subarray(start)));
  return out;
}

/** Decode one process record (bytes and v cover exactly the record), or null; see decodeProcessEventAt. */
export function decodeProcessEvent(bytes: Uint8Array, v: DataView, h: RecordHeader): ProcessEvent | null {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < EVENT_HEADER.size || h.type !== v.getUint16(EVENT_HEADER.fields.type[0], true)) return null;
  return decodeProcessEventAt(buf, new DataView(buf.buffer, 0, buf.byteOffset + buf.byteLength), 0, buf.length);
}

/** Split the argv block buf[start, end) as splitArgv does, decoding straight from the batch. */
function argvAt(buf: Buffer, start: number, end: number): string[] {
  const out: string[] = [];
  let from = start;
  for (let i = start; i < end; i++) {
    if (buf[i] === 0) {
      out.push(textAt(buf, from, i));
      from = i + 1;
    }
  }
  if (from < end) out.push(textAt(buf, from, end));
  return out;
}

/**
 * Decode the process record at buf[at, at + len) of a batch, or null when the type is not a process record or the
 * record is malformed. `v` is a DataView over buf's whole ArrayBuffer (so buf.byteOffset + at is the record's
 * offset in it). Fields are read at their offsets in the batch: a DataView and a subarray per record were a
 * measurable share of the per-event cost. Header fields are written out rather than spread: `{...h}` cost ~2 µs per
 * record in V8 here.
 */
export function decodeProcessEventAt(buf: Buffer, v: DataView, at: number, len: number): ProcessEvent | null {
  if (len < EVENT_HEADER.size) return null;
  const hf = EVENT_HEADER.fields;
  const o = buf.byteOffset + at;
  const type = v.getUint16(o + hf.type[0], true);
  const flags = v.getUint16(o + hf.flags[0], true);
  const size = v.getUint32(o + hf.size[0], true);
  const tsNs = u64(v, o + hf.ts_ns[0]);
  const tgid = v.getUint32(o + hf.tgid[0], true);
  const tid = v.getUint32(o + hf.tid[0], true);
  switch (type) {
    case EV.PROC_FORK: {
      if (len < PROC_FORK.size) return null;
      const f = PROC_FORK.fields;
      return {
        type, flags, size, tsNs, tgid, tid, kind: 'fork', kstartNs: u64(v, o + f.kstart_ns[0]), parentKstartNs: u64(v, o + f.parent_kstart_ns[0]),
        parentTgid: v.getUint32(o + f.parent_tgid[0], true), uid: v.getUint32(o + f.uid[0], true), comm: cstrAt(buf, at + f.comm[0], 16),
      };
    }
    case EV.PROC_EXEC:
    case EV.PROC_EXEC_FAILED: {
      if (len < PROC_EXEC.size) return null;
      const f = PROC_EXEC.fields;
      const exeLen = v.getUint16(o + f.exe_len[0], true);
      const cwdLen = v.getUint16(o + f.cwd_len[0], true);
      const argvLen = v.getUint32(o + f.argv_len[0], true);
      if (PROC_EXEC.size + exeLen + cwdLen + argvLen > len) return null;
      const exeAt = at + PROC_EXEC.size;
      const cwdAt = exeAt + exeLen;
      const argvStart = cwdAt + cwdLen;
      return {
        type, flags, size, tsNs, tgid, tid, kind: 'exec', failed: type === EV.PROC_EXEC_FAILED, kstartNs: u64(v, o + f.kstart_ns[0]),
        ppid: v.getUint32(o + f.ppid[0], true), uid: v.getUint32(o + f.uid[0], true), ret: v.getInt32(o + f.ret[0], true),
        exe: textAt(buf, exeAt, cwdAt), cwd: cwdLen > 0 ? textAt(buf, cwdAt, argvStart) : null,
        argv: argvAt(buf, argvStart, argvStart + argvLen), argvClipped: (flags & EXEC_F_ARGV_CLIPPED) !== 0,
        comm: cstrAt(buf, at + f.comm[0], 16), nsTgid: v.getUint32(o + f.ns_tgid[0], true),
      };
    }
    case EV.PROC_EXIT: {
      if (len < PROC_EXIT.size) return null;
      const f = PROC_EXIT.fields;
      return {
        type, flags, size, tsNs, tgid, tid, kind: 'exit', kstartNs: u64(v, o + f.kstart_ns[0]), status: v.getUint32(o + f.exit_code[0], true),
        maxRssKb: u64(v, o + f.maxrss_kb[0]), comm: cstrAt(buf, at + f.comm[0], 16),
      };
    }
    default:
      return null;
  }
}

/** wait(2) status → exit code or signal. */
export function decodeWaitStatus(status: number): { exitCode: number | null; signal: number | null; core: boolean } {
  const sig = status & 0x7f;
  if (sig === 0) return { exitCode: (status >> 8) & 0xff, signal: null, core: false };
  return { exitCode: null, signal: sig, core: (status & 0x80) !== 0 };
}
