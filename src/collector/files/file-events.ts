/** Decoders for the file records (bpf/file.h). Pure functions over one record's bytes; null when malformed. */
import { FILE_OP, FILE_WRITE, bytesToText, u64 } from '../decode/layout';
import type { RecordHeader } from '../decode/process-events';

export const EV_FILE_OP = 16;
export const EV_FILE_WRITE = 17;

/** enum file_op */
export const FOP = {
  OPEN: 1,
  TRUNCATE: 2,
  RENAME: 3,
  UNLINK: 4,
  RMDIR: 5,
  MKDIR: 6,
  CHMOD: 7,
  LINK: 8,
  SYMLINK: 9,
} as const;

/** header.flags bits */
export const FILE_F = {
  RESOLVED: 0x1,
  BASE_CLIPPED: 0x2,
  PATH_CLIPPED: 0x4,
  BASE2_CLIPPED: 0x8,
  PATH2_CLIPPED: 0x10,
  NO_BASE: 0x20,
  NOT_REG: 0x40,
} as const;

export interface FileOpEvent {
  kind: 'op';
  /** struct file pointer as a bigint (kernel pointers exceed 2^53), 0n when none. */
  fileId: bigint;
  ret: number;
  op: number;
  flags: number;
  mode: number;
  fmode: number;
  /** Absolute directory a relative path is relative to; null when path is absolute or resolved. */
  base: string | null;
  path: string;
  base2: string | null;
  path2: string | null;
  resolved: boolean;
  clipped: boolean;
  noBase: boolean;
  /** The opened file is not a regular file (O_TRUNC on /dev/null truncates nothing). */
  notRegular: boolean;
}

export interface FileWriteEvent {
  kind: 'write';
  fileId: bigint;
  bytes: number;
  fd: number;
  /** Set the first time the kernel sees this file (opened before capture or inherited). */
  path: string | null;
  clipped: boolean;
}

export function decodeFileEvent(bytes: Uint8Array, v: DataView, h: RecordHeader): FileOpEvent | FileWriteEvent | null {
  if (h.type === EV_FILE_OP) {
    if (bytes.length < FILE_OP.size) return null;
    const f = FILE_OP.fields;
    const lens = [f.base_len, f.path_len, f.base2_len, f.path2_len].map((x) => v.getUint16(x[0], true));
    const total = lens.reduce((a, b) => a + b, 0);
    if (FILE_OP.size + total > bytes.length) return null;
    let off = FILE_OP.size;
    const parts = lens.map((len) => {
      const s = len > 0 ? bytesToText(bytes.subarray(off, off + len)) : null;
      off += len;
      return s;
    });
    const op = v.getUint32(f.op[0], true);
    return {
      kind: 'op',
      fileId: v.getBigUint64(f.file_id[0], true),
      ret: Number(v.getBigInt64(f.ret[0], true)),
      op,
      flags: v.getUint32(f.flags[0], true),
      mode: v.getUint32(f.mode[0], true),
      fmode: v.getUint32(f.fmode[0], true),
      base: parts[0],
      path: parts[1] ?? '',
      base2: parts[2],
      // symlink targets and second paths; an empty string means "not given"
      path2: parts[3] ?? (op === FOP.RENAME || op === FOP.LINK || op === FOP.SYMLINK ? '' : null),
      resolved: (h.flags & FILE_F.RESOLVED) !== 0,
      clipped: (h.flags & (FILE_F.BASE_CLIPPED | FILE_F.PATH_CLIPPED | FILE_F.BASE2_CLIPPED | FILE_F.PATH2_CLIPPED)) !== 0,
      noBase: (h.flags & FILE_F.NO_BASE) !== 0,
      notRegular: (h.flags & FILE_F.NOT_REG) !== 0,
    };
  }
  if (h.type === EV_FILE_WRITE) {
    if (bytes.length < FILE_WRITE.size) return null;
    const f = FILE_WRITE.fields;
    const len = v.getUint16(f.path_len[0], true);
    if (FILE_WRITE.size + len > bytes.length) return null;
    return {
      kind: 'write',
      fileId: v.getBigUint64(f.file_id[0], true),
      bytes: Number(v.getBigInt64(f.bytes[0], true)),
      fd: v.getInt32(f.fd[0], true),
      path: len > 0 ? bytesToText(bytes.subarray(FILE_WRITE.size, FILE_WRITE.size + len)) : null,
      clipped: (h.flags & FILE_F.PATH_CLIPPED) !== 0,
    };
  }
  return null;
}
