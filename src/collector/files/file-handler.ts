/**
 * File records → aggregated FileOpRows: one row per distinct (process, op, path, path2, result) with its count,
 * bytes and first/last time, so an `npm install` of 100k opens stays a bounded number of rows without losing any
 * distinct operation. Rows changed since the last tick are written once per tick (putFileOp is an upsert by id).
 */
import type { CollectorContext, RecordHandler } from '../collector';
import type { RawRecord } from '../bpf-capture';
import type { RecordHeader } from '../process/process-events';
import type { FileOpRow, ProcessRow } from '../../store/types';
import { absolutePath } from './absolute-path';
import {
  decodeFileEvent, EV_FILE_OP, EV_FILE_URING_DONE, EV_FILE_WRITE, FOP, FW, IORING_OP_NAMES, type FileOpEvent, type FileUntracedEvent,
  type FileWriteEvent,
} from './file-events';
import { storeOp } from './file-ops';
import { processFor } from './process-for';

/** How many struct file pointers → path we remember. The kernel's known_files LRU (65536) forgets first. */
const MAX_KNOWN_FILES = 200_000;
const O_ACCMODE = 3;

export class FileHandler implements RecordHandler {
  readonly types = [EV_FILE_OP, EV_FILE_URING_DONE] as const; // first and last record type
  private readonly rows = new Map<string, FileOpRow>();
  private rowTotal = 0;
  private readonly dirty = new Set<FileOpRow>();
  /** struct file id → path, for files that can be written (read-only opens never see a write) */
  private readonly files = new Map<number, string>();
  private readonly clippedFiles = new Set<number>();
  /** file records per second since the last tick (timeline), added to the store once per tick */
  private readonly activity = new Map<number, number>();
  /** Counters for tests and the bench: records seen, rows written. */
  records = 0;
  malformed = 0;
  private unattributedWrites = 0;
  private unattributedBytes = 0;
  private unknownProcess = 0;
  /** io_uring requests not recorded as file operations since the last tick, per process: opcode name → count */
  private readonly untraced = new Map<number, Map<string, number>>();
  /** io_uring path operations seen at submission, waiting for their result: tgid → request → (event, process, time) */
  private readonly pending = new Map<number, Map<number, { e: FileOpEvent; proc: ProcessRow; ts: number }>>();

  handle(rec: RawRecord, h: RecordHeader, ctx: CollectorContext): void {
    this.records++;
    const e = decodeFileEvent(rec.bytes, rec.view, h);
    if (!e) {
      this.malformed++;
      return;
    }
    const proc = processFor(ctx, h.tgid);
    if (!proc) {
      this.unknownProcess++;
      return;
    }
    const ts = ctx.unix(h.tsNs);
    if (e.kind === 'op') {
      if (e.uringPending) this.hold(h.tgid, e, proc, ts);
      else this.onOp(e, proc, ts);
    } else if (e.kind === 'write') this.onWrite(e, proc, ts);
    else if (e.kind === 'uring-done') this.onUringDone(h.tgid, e.req, e.res);
    else this.onUntraced(e, proc);
    const sec = Math.floor(ts / 1e9);
    this.activity.set(sec, (this.activity.get(sec) ?? 0) + 1);
  }

  private onOp(e: FileOpEvent, proc: ProcessRow, ts: number): void {
    const path = e.resolved ? e.path : absolutePath(e.noBase ? null : e.base, e.path);
    let path2: string | null = null;
    if (e.op === FOP.SYMLINK) path2 = e.path2; // the target text, as the process gave it
    else if (e.path2 !== null) path2 = absolutePath(e.base2, e.path2);
    if (e.fileId !== 0 && e.ret >= 0 && (e.op !== FOP.OPEN || (e.flags & O_ACCMODE) !== 0)) this.remember(e.fileId, path, e.clipped);
    const op = storeOp(e.op, e.flags, e.fmode, e.ret, !e.notRegular);
    const flags = e.op === FOP.OPEN ? e.flags : e.op === FOP.MKDIR || e.op === FOP.CHMOD ? e.mode : null;
    const row = this.row(proc, op, path, path2, e.ret < 0 ? e.ret : 0, ts, e.clipped);
    row.count++;
    // a path opened with different flags keeps their union: the row says every way it was opened
    if (flags !== null) row.flags = (row.flags ?? 0) | flags;
  }

  private onWrite(e: FileWriteEvent, proc: ProcessRow, ts: number): void {
    if (e.path !== null) this.remember(e.fileId, e.path, e.clipped);
    const path = this.files.get(e.fileId);
    if (path === undefined) {
      this.unattributedWrites++;
      this.unattributedBytes += e.bytes;
      return;
    }
    // fallocate reserves (or punches, zeroes) a range without writing data, and a shared writable mmap may be
    // written through without a syscall: their own rows (bytes = the range), so neither is counted as bytes written;
    // fallocate's flags keep the union of its modes
    const op = e.how === FW.FALLOCATE ? 'fallocate' : e.how === FW.MMAP ? 'mmap' : 'write';
    const row = this.row(proc, op, path, null, 0, ts, this.clippedFiles.has(e.fileId));
    row.count++;
    row.bytes += e.bytes;
    if (e.how === FW.FALLOCATE) row.flags = (row.flags ?? 0) | e.mode;
  }

  /** An io_uring path operation seen at submission waits for its completion's result. */
  private hold(tgid: number, e: FileOpEvent, proc: ProcessRow, ts: number): void {
    let reqs = this.pending.get(tgid);
    if (!reqs) this.pending.set(tgid, (reqs = new Map()));
    reqs.set(e.fileId, { e, proc, ts });
  }

  /** The operation keeps its submission time and path, and takes the completion's result. */
  private onUringDone(tgid: number, req: number, res: number): void {
    const reqs = this.pending.get(tgid);
    const p = reqs?.get(req);
    if (!p) return; // its submission record was lost (counted by the ring's loss counter)
    reqs!.delete(req);
    this.onOp({ ...p.e, ret: res, fileId: 0, uringPending: false }, p.proc, p.ts);
  }

  /** Requests of a process that ended (or of the capture) before their completion came: counted, not guessed. */
  private dropPending(tgid: number): void {
    const reqs = this.pending.get(tgid);
    if (!reqs) return;
    for (const { e, proc } of reqs.values()) this.countUntraced(proc.id, `${storeOp(e.op, e.flags, e.fmode, 0)} (no completion seen)`);
    this.pending.delete(tgid);
  }

  onProcessExit(row: ProcessRow): void {
    this.dropPending(row.pid);
  }

  /** The collector's tick after this stores what the dropped requests count as. */
  finish(): void {
    for (const tgid of [...this.pending.keys()]) this.dropPending(tgid);
  }

  private countUntraced(processId: number, name: string): void {
    let ops = this.untraced.get(processId);
    if (!ops) this.untraced.set(processId, (ops = new Map()));
    ops.set(name, (ops.get(name) ?? 0) + 1);
  }

  private onUntraced(e: FileUntracedEvent, proc: ProcessRow): void {
    const name = `${IORING_OP_NAMES[e.opcode] ?? `op ${e.opcode}`}${e.atSubmit ? ' (no completion posted)' : e.opcode === 18 || e.opcode === 28 ? (e.res < 0 ? ' (failed)' : ' (fixed slot)') : ''}`;
    this.countUntraced(proc.id, name);
  }

  /** Oldest-first eviction (Map insertion order); the kernel's LRU re-sends a path it has forgotten first. */
  private remember(id: number, path: string, clipped: boolean): void {
    this.files.set(id, path);
    if (clipped) this.clippedFiles.add(id);
    else if (this.clippedFiles.size > 0) this.clippedFiles.delete(id);
    if (this.files.size > MAX_KNOWN_FILES) {
      const oldest = this.files.keys().next().value as number;
      this.files.delete(oldest);
      this.clippedFiles.delete(oldest);
    }
  }

  private row(proc: ProcessRow, op: string, path: string, path2: string | null, result: number, ts: number, clipped: boolean): FileOpRow {
    const key = path2 === null ? `${proc.id} ${op} ${result}\0${path}` : `${proc.id} ${op} ${result}\0${path}\0${path2}`;
    let row = this.rows.get(key);
    if (!row) {
      row = {
        id: -1, processId: proc.id, sessionId: proc.sessionId, op, path, path2, flags: null, result,
        count: 0, bytes: 0, firstNs: ts, lastNs: ts, pathClipped: clipped,
      };
      this.rows.set(key, row);
      this.rowTotal++;
    }
    row.lastNs = ts;
    this.dirty.add(row);
    return row;
  }

  tick(ctx: CollectorContext): void {
    for (const [sec, n] of this.activity) ctx.store.addActivity(sec * 1e9, { fileOps: n });
    this.activity.clear();
    for (const row of this.dirty) {
      if (row.id < 0) row.id = ctx.store.nextId('file_ops');
      ctx.store.putFileOp(row);
    }
    this.dirty.clear();
    if (this.unattributedWrites > 0) {
      ctx.loss('file:unattributed-write', this.unattributedWrites, this.unattributedBytes, 'write to a file whose path was not seen');
      this.unattributedWrites = this.unattributedBytes = 0;
    }
    for (const [processId, ops] of this.untraced) {
      let n = 0;
      for (const c of ops.values()) n += c;
      const detail = [...ops].map(([op, c]) => `${op} ×${c}`).join(', ');
      ctx.loss('io_uring:untraced', n, 0, `io_uring requests not recorded as file operations: ${detail}`, processId);
    }
    this.untraced.clear();
    if (this.unknownProcess > 0) {
      ctx.loss('file:unknown-process', this.unknownProcess, 0, 'file record of a process missing from the process model');
      this.unknownProcess = 0;
    }
    if (this.malformed > 0) {
      ctx.loss('file:malformed', this.malformed, 0, 'file records that did not decode');
      this.malformed = 0;
    }
  }

  /** Distinct rows so far (the bench's rows per 100k opens). */
  rowCount(): number {
    return this.rowTotal;
  }
}
