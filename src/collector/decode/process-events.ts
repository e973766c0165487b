/** Decoders for the process records (bpf/process.h). Pure functions over one record's bytes. */
import { EVENT_HEADER, EV, EXEC_F_ARGV_CLIPPED, PROC_EXEC, PROC_EXIT, PROC_FORK, bytesToText, cstr, u64 } from './layout';

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

/**
 * Decode one process record, or null when the type is not a process record or the record is malformed.
 * Header fields are written out rather than spread: `{...h}` cost ~2 µs per record in V8 here.
 */
export function decodeProcessEvent(bytes: Uint8Array, v: DataView, h: RecordHeader): ProcessEvent | null {
  switch (h.type) {
    case EV.PROC_FORK: {
      if (bytes.length < PROC_FORK.size) return null;
      const f = PROC_FORK.fields;
      return {
        type: h.type, flags: h.flags, size: h.size, tsNs: h.tsNs, tgid: h.tgid, tid: h.tid, kind: 'fork', kstartNs: u64(v, f.kstart_ns[0]), parentKstartNs: u64(v, f.parent_kstart_ns[0]),
        parentTgid: v.getUint32(f.parent_tgid[0], true), uid: v.getUint32(f.uid[0], true), comm: cstr(bytes, f.comm[0], 16),
      };
    }
    case EV.PROC_EXEC:
    case EV.PROC_EXEC_FAILED: {
      if (bytes.length < PROC_EXEC.size) return null;
      const f = PROC_EXEC.fields;
      const exeLen = v.getUint16(f.exe_len[0], true);
      const cwdLen = v.getUint16(f.cwd_len[0], true);
      const argvLen = v.getUint32(f.argv_len[0], true);
      const base = PROC_EXEC.size;
      if (base + exeLen + cwdLen + argvLen > bytes.length) return null;
      const exe = bytesToText(bytes.subarray(base, base + exeLen));
      const cwd = cwdLen > 0 ? bytesToText(bytes.subarray(base + exeLen, base + exeLen + cwdLen)) : null;
      const argv = splitArgv(bytes.subarray(base + exeLen + cwdLen, base + exeLen + cwdLen + argvLen));
      return {
        type: h.type, flags: h.flags, size: h.size, tsNs: h.tsNs, tgid: h.tgid, tid: h.tid, kind: 'exec', failed: h.type === EV.PROC_EXEC_FAILED, kstartNs: u64(v, f.kstart_ns[0]),
        ppid: v.getUint32(f.ppid[0], true), uid: v.getUint32(f.uid[0], true), ret: v.getInt32(f.ret[0], true),
        exe, cwd, argv, argvClipped: (h.flags & EXEC_F_ARGV_CLIPPED) !== 0, comm: cstr(bytes, f.comm[0], 16),
      };
    }
    case EV.PROC_EXIT: {
      if (bytes.length < PROC_EXIT.size) return null;
      const f = PROC_EXIT.fields;
      return {
        type: h.type, flags: h.flags, size: h.size, tsNs: h.tsNs, tgid: h.tgid, tid: h.tid, kind: 'exit', kstartNs: u64(v, f.kstart_ns[0]), status: v.getUint32(f.exit_code[0], true),
        maxRssKb: u64(v, f.maxrss_kb[0]), comm: cstr(bytes, f.comm[0], 16),
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
