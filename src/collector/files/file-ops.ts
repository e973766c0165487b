/** What an open meant and which operation name a file record becomes in the store (FileOpRow.op). */
import { FOP } from './file-events';

const O_ACCMODE = 0o3;
const O_RDONLY = 0;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const O_DIRECTORY = 0o200000;
const O_TMPFILE = 0o20000000 | O_DIRECTORY;
/**
 * f_mode bit the kernel sets when this open created the file (include/linux/fs.h, stable since 4.19). Checked by
 * test/collector/files (a new file comes out as 'create', an existing one as 'open').
 */
export const FMODE_CREATED = 0x100000;

export type OpenIntent = 'read' | 'write' | 'create' | 'truncate' | 'append' | 'directory';

/** The intents an open(2) flags value expresses. */
export function openIntent(flags: number): OpenIntent[] {
  const out: OpenIntent[] = [];
  const acc = flags & O_ACCMODE;
  if (acc === O_RDONLY || acc === 2) out.push('read');
  if (acc === 1 || acc === 2) out.push('write');
  if (flags & O_CREAT || (flags & O_TMPFILE) === O_TMPFILE) out.push('create');
  if (flags & O_TRUNC && acc !== O_RDONLY) out.push('truncate');
  if (flags & O_APPEND) out.push('append');
  if ((flags & O_DIRECTORY) !== 0 && (flags & O_TMPFILE) !== O_TMPFILE) out.push('directory');
  return out;
}

/**
 * Store operation of a file record: an open that created the file is a 'create', one that truncated an existing
 * file for writing is a 'truncate', any other open (failed ones included, result says why) is an 'open'.
 */
export function storeOp(op: number, flags: number, fmode: number, ret: number, regular = true): string {
  switch (op) {
    case FOP.OPEN:
      if (ret < 0) return 'open';
      if (fmode & FMODE_CREATED) return 'create';
      if (regular && flags & O_TRUNC && (flags & O_ACCMODE) !== O_RDONLY) return 'truncate';
      return 'open';
    case FOP.TRUNCATE:
      return 'truncate';
    case FOP.RENAME:
      return 'rename';
    case FOP.UNLINK:
      return 'unlink';
    case FOP.RMDIR:
      return 'rmdir';
    case FOP.MKDIR:
      return 'mkdir';
    case FOP.CHMOD:
      return 'chmod';
    case FOP.LINK:
      return 'link';
    case FOP.SYMLINK:
      return 'symlink';
    default:
      return `op${op}`;
  }
}
