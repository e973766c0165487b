/**
 * Disk space held for the end of a recording. When the disk fills, the store's last writes — the end time, the
 * command's exit status, how much could not be stored — need room too. A reserve file is written next to the
 * recording at start and unlinked at once, its descriptor kept: the blocks stay allocated while it is open, and
 * closing it gives them back. A recorder killed by SIGKILL closes it too, so nothing is left behind.
 *
 * Measured on a 2 MiB tmpfs filled by the recording (test/e2e/record-faults.test.ts): with 1 MiB freed the end marker
 * and loss rows are written and the file leaves WAL mode.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** 1 MiB: the end rows take a few pages; the rest lets the final checkpoint copy a small WAL back into the file. */
export const RESERVE_BYTES = 1 << 20;

export class SpaceReserve {
  private constructor(private fd: number | null) {}

  /** Take `bytes` in `dir`; null when there is not that much room (then nothing is left in `dir`). */
  static take(dir: string, bytes = RESERVE_BYTES): SpaceReserve | null {
    const file = path.join(dir, `.agentsight-reserve-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    } catch {
      return null;
    }
    try {
      fs.unlinkSync(file);
      // Written, not just sized: a sparse file (ftruncate) holds no blocks.
      const zeros = Buffer.alloc(Math.min(bytes, 1 << 20));
      for (let done = 0; done < bytes; ) done += fs.writeSync(fd, zeros, 0, Math.min(zeros.length, bytes - done));
      return new SpaceReserve(fd);
    } catch {
      fs.rmSync(file, { force: true });
      fs.closeSync(fd);
      return null;
    }
  }

  /** Give the space back (idempotent). */
  release(): void {
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = null;
  }
}
