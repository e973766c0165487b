/** Decoders for the file records (bpf/file.h). Pure functions over one record's bytes; null when malformed. */
import { FILE_OP, FILE_UNTRACED, FILE_URING_DONE, FILE_WRITE, bytesToText } from '../decode/layout';
import type { RecordHeader } from '../process/process-events';

export const EV_FILE_OP = 16;
export const EV_FILE_WRITE = 17;
export const EV_FILE_UNTRACED = 18;
export const EV_FILE_URING_DONE = 19;

/** enum file_write_how: which way the bytes reached the file */
export const FW = {
  WRITE: 0,
  COPY_FILE_RANGE: 1,
  SENDFILE: 2,
  SPLICE: 3,
  FALLOCATE: 4,
  IO_URING: 5,
  CLONE: 6,
  MMAP: 7,
} as const;

/** IORING_OP_* names of the io_uring requests that can change files (bpf/file.bpf.c uring_changes_files). */
export const IORING_OP_NAMES: Readonly<Record<number, string>> = {
  2: 'writev', 5: 'write_fixed', 17: 'fallocate', 18: 'openat', 23: 'write', 28: 'openat2', 30: 'splice',
  35: 'renameat', 36: 'unlinkat', 37: 'mkdirat', 38: 'symlinkat', 39: 'linkat', 41: 'fsetxattr', 42: 'setxattr',
  55: 'ftruncate', 61: 'writev_fixed',
};

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
  URING_PENDING: 0x80,
} as const;

export interface FileOpEvent {
  kind: 'op';
  /** struct file pointer folded to 53 bits (see fileIdAt), 0 when none. */
  fileId: number;
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
  /** An io_uring request seen at submission: ret comes later in a FileUringDoneEvent for the request in fileId. */
  uringPending: boolean;
}

export interface FileWriteEvent {
  kind: 'write';
  fileId: number;
  bytes: number;
  fd: number;
  /** Set the first time the kernel sees this file (opened before capture or inherited). */
  path: string | null;
  clipped: boolean;
  /** FW: write family, copy_file_range, sendfile, splice, fallocate (bytes = the range), io_uring, a reflink clone
   *  or a shared writable mmap (bytes = the length mapped) */
  how: number;
  /** fallocate mode bits (FALLOC_FL_*), else 0 */
  mode: number;
}

/** The result of an io_uring path operation whose FileOpEvent (uringPending, fileId = req) came at submission. */
export interface FileUringDoneEvent {
  kind: 'uring-done';
  req: number;
  res: number;
}

/** An io_uring request that can change files but is not recorded as a file operation (counted as a loss). */
export interface FileUntracedEvent {
  kind: 'untraced';
  opcode: number;
  res: number;
  /** Seen at submission: its completion is not posted (IOSQE_CQE_SKIP_SUCCESS). */
  atSubmit: boolean;
}

/**
 * Path bytes as text. Nearly every path is ASCII: decode those directly (a fatal UTF-8 TextDecoder per path cost more
 * than the rest of the record's handling); anything else goes through bytesToText (UTF-8, or byte-exact latin1).
 */
export function pathText(bytes: Uint8Array): string {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return bytesToText(bytes);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/**
 * A kernel pointer as a Map-friendly number: the low 53 bits. Slab objects live in the kernel's direct map
 * (0xffff888000000000 + physical address), so pointers differ only in bits a 53-bit number keeps; a BigInt per record
 * cost more than the rest of the decoding.
 */
export function fileIdAt(v: DataView, off: number): number {
  return (v.getUint32(off + 4, true) & 0x1fffff) * 0x1_0000_0000 + v.getUint32(off, true);
}

export function decodeFileEvent(
  bytes: Uint8Array, v: DataView, h: RecordHeader,
): FileOpEvent | FileWriteEvent | FileUntracedEvent | FileUringDoneEvent | null {
  if (h.type === EV_FILE_OP) {
    if (bytes.length < FILE_OP.size) return null;
    const f = FILE_OP.fields;
    const baseLen = v.getUint16(f.base_len[0], true);
    const pathLen = v.getUint16(f.path_len[0], true);
    const base2Len = v.getUint16(f.base2_len[0], true);
    const path2Len = v.getUint16(f.path2_len[0], true);
    let off = FILE_OP.size;
    if (off + baseLen + pathLen + base2Len + path2Len > bytes.length) return null;
    const part = (len: number): string | null => {
      const s = len > 0 ? pathText(bytes.subarray(off, off + len)) : null;
      off += len;
      return s;
    };
    const base = part(baseLen);
    const path = part(pathLen);
    const base2 = part(base2Len);
    const path2 = part(path2Len);
    const op = v.getUint32(f.op[0], true);
    return {
      kind: 'op',
      fileId: fileIdAt(v, f.file_id[0]),
      // s64 result: errno values and fds fit the low word; the high word only carries the sign
      ret: v.getInt32(f.ret[0], true),
      op,
      flags: v.getUint32(f.flags[0], true),
      mode: v.getUint32(f.mode[0], true),
      fmode: v.getUint32(f.fmode[0], true),
      base,
      path: path ?? '',
      base2,
      // symlink targets and second paths; an empty string means "not given"
      path2: path2 ?? (op === FOP.RENAME || op === FOP.LINK || op === FOP.SYMLINK ? '' : null),
      resolved: (h.flags & FILE_F.RESOLVED) !== 0,
      clipped: (h.flags & (FILE_F.BASE_CLIPPED | FILE_F.PATH_CLIPPED | FILE_F.BASE2_CLIPPED | FILE_F.PATH2_CLIPPED)) !== 0,
      noBase: (h.flags & FILE_F.NO_BASE) !== 0,
      notRegular: (h.flags & FILE_F.NOT_REG) !== 0,
      uringPending: (h.flags & FILE_F.URING_PENDING) !== 0,
    };
  }
  if (h.type === EV_FILE_WRITE) {
    if (bytes.length < FILE_WRITE.size) return null;
    const f = FILE_WRITE.fields;
    const len = v.getUint16(f.path_len[0], true);
    if (FILE_WRITE.size + len > bytes.length) return null;
    return {
      kind: 'write',
      fileId: fileIdAt(v, f.file_id[0]),
      bytes: Number(v.getBigInt64(f.bytes[0], true)),
      fd: v.getInt32(f.fd[0], true),
      path: len > 0 ? pathText(bytes.subarray(FILE_WRITE.size, FILE_WRITE.size + len)) : null,
      clipped: (h.flags & FILE_F.PATH_CLIPPED) !== 0,
      how: v.getUint8(f.how[0]),
      mode: v.getUint8(f.mode[0]),
    };
  }
  if (h.type === EV_FILE_UNTRACED) {
    if (bytes.length < FILE_UNTRACED.size) return null;
    const f = FILE_UNTRACED.fields;
    return { kind: 'untraced', opcode: v.getUint8(f.opcode[0]), res: v.getInt32(f.res[0], true), atSubmit: v.getUint8(f.at_submit[0]) !== 0 };
  }
  if (h.type === EV_FILE_URING_DONE) {
    if (bytes.length < FILE_URING_DONE.size) return null;
    const f = FILE_URING_DONE.fields;
    return { kind: 'uring-done', req: fileIdAt(v, f.req[0]), res: v.getInt32(f.res[0], true) };
  }
  return null;
}
