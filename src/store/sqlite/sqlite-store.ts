/**
 * The one way to open a recording: openRecording() for readers (read-only, its own connection), createRecording() for
 * the capture that writes it. What the latter returns is both sides over one connection (SqliteStore): the collector
 * is given it as a RecordingWriter, and the live view of the same capture as a RecordingReader.
 */
import type { RecordingReader, Store } from '../store';
import type {
  CausalLinkRow,
  McpCallRow,
  McpServerRow,
  ExecRow,
  FileOpRow,
  HttpExchangeRow,
  LlmCallRow,
  LossRow,
  NetConnRow,
  ProcessRow,
  ResourceSampleRow,
  SessionRow,
  TlsChunkRow,
  TlsConnRow,
  TlsTargetRow,
  ToolCallRow,
} from '../types';
import type { ActivityDelta, IdTable } from '../store';
import { openDb, type OpenMode } from './open';
import { SqliteReader, type ReaderOptions } from './reader';
import { SqliteWriter } from './writer';

/** Open a saved (or still growing) recording for reading; the file is never modified. */
export function openRecording(path: string, opts: ReaderOptions = {}): RecordingReader {
  return new SqliteReader(openDb(path, 'readonly'), opts);
}

/** Create a new recording (or open an existing one to continue writing). */
export function createRecording(path: string, mode: Exclude<OpenMode, 'readonly'> = 'create'): SqliteStore {
  return new SqliteStore(new SqliteWriter(openDb(path, mode)));
}

/** A recording being written, read on the writer's connection: reads see each flush() as soon as it commits. */
export class SqliteStore extends SqliteReader implements Store {
  constructor(private readonly w: SqliteWriter) {
    super(w.opened);
  }

  nextId(table: IdTable): number { return this.w.nextId(table); }
  putMeta(key: string, value: string): void { this.w.putMeta(key, value); }
  putSession(row: SessionRow): void { this.w.putSession(row); }
  putProcess(row: ProcessRow): void { this.w.putProcess(row); }
  addExec(row: ExecRow): void { this.w.addExec(row); }
  putFileOp(row: FileOpRow): void { this.w.putFileOp(row); }
  putNetConn(row: NetConnRow): void { this.w.putNetConn(row); }
  putTlsTarget(row: TlsTargetRow): void { this.w.putTlsTarget(row); }
  putTlsConn(row: TlsConnRow): void { this.w.putTlsConn(row); }
  addTlsChunk(row: TlsChunkRow): void { this.w.addTlsChunk(row); }
  putHttpExchange(row: HttpExchangeRow): void { this.w.putHttpExchange(row); }
  putLlmCall(row: LlmCallRow): void { this.w.putLlmCall(row); }
  putToolCall(row: ToolCallRow): void { this.w.putToolCall(row); }
  addCausalLink(row: CausalLinkRow): void { this.w.addCausalLink(row); }
  putMcpServer(row: McpServerRow): void { this.w.putMcpServer(row); }
  putMcpCall(row: McpCallRow): void { this.w.putMcpCall(row); }
  addLoss(row: LossRow): void { this.w.addLoss(row); }
  addResourceSample(row: ResourceSampleRow): void { this.w.addResourceSample(row); }
  addActivity(tsNs: number, delta: ActivityDelta): void { this.w.addActivity(tsNs, delta); }
  flush(): void { this.w.flush(); }
  abandonPending(): void { this.w.abandonPending(); }
  finalize(): void { this.w.finalize(); }
  finalizeAfterFailure(): boolean { return this.w.finalizeAfterFailure(); }
  /** Flush and close the connection (both sides). */
  override close(): void { this.w.close(); }
}
