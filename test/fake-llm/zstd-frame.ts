/**
 * zstd output for the fake server. No maintained pure-JS package compresses zstd (fzstd only decodes) and
 * Node 20's zlib has no zstd, so:
 * - `zstdCompress` uses the `zstd` CLI when installed (real compressed frames), else stored blocks;
 * - `ZstdStoredStream` writes one frame of "raw" (stored) blocks, one block per write: a valid zstd stream
 *   (RFC 8878 §3.1.1.2, Block_Type 0) that any decoder streams, which is what SSE over zstd needs.
 */
import { execFileSync } from 'node:child_process';

const MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/** Frame header descriptor: no checksum, no content size, not single-segment → a Window_Descriptor follows. */
const FHD = 0x00;
/**
 * Window_Descriptor: exponent 6 → 1 << (10+6) = 64 KiB. Decoders allocate the window up front, so a small one
 * keeps each stream cheap; blocks may not exceed it.
 */
const WINDOW = 6 << 3;
const MAX_BLOCK = 64 * 1024;

function blockHeader(last: boolean, size: number): Buffer {
  const v = (size << 3) | (0 << 1) | (last ? 1 : 0);
  return Buffer.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff]);
}

export class ZstdStoredStream {
  private started = false;
  write(data: Uint8Array): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      parts.push(MAGIC, Buffer.from([FHD, WINDOW]));
    }
    for (let i = 0; i < data.length; i += MAX_BLOCK) {
      const piece = data.subarray(i, Math.min(data.length, i + MAX_BLOCK));
      parts.push(blockHeader(false, piece.length), Buffer.from(piece));
    }
    return Buffer.concat(parts);
  }
  end(): Buffer {
    const head = this.started ? Buffer.alloc(0) : Buffer.concat([MAGIC, Buffer.from([FHD, WINDOW])]);
    this.started = true;
    return Buffer.concat([head, blockHeader(true, 0)]);
  }
}

let cliWorks: boolean | null = null;

export function zstdCompress(data: Uint8Array): Buffer {
  if (cliWorks !== false) {
    try {
      const out = execFileSync('zstd', ['-q', '-c', '-3'], { input: data, stdio: ['pipe', 'pipe', 'ignore'] });
      cliWorks = true;
      return out;
    } catch {
      cliWorks = false;
    }
  }
  const s = new ZstdStoredStream();
  return Buffer.concat([s.write(data), s.end()]);
}
