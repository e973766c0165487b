/**
 * The store's two interfaces. The collector writes through RecordingWriter; every reader (TUI, report, web UI,
 * exporters) reads through RecordingReader, so live capture and a saved recording answer the same queries. Nothing
 * outside src/store writes SQL.
 *
 * Writes are buffered and committed by flush() in one transaction (the collector flushes on a short timer).
 * Time arguments (`atNs`) select the state as of that moment: rows that started at or before it.
 */
import type { TokenFigures } from './figures';
import type { ActivityBucket, RecordingCounts } from './shapes';
import type {
  CausalLinkRow,
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
  McpCallRow,
  McpServerRow,
} from './types';
import type { RecordingState } from './recording-state';
import type { EventKind, EventLogQuery, EventMark, LogEvent, LogPage } from './sqlite/event-log';
import type { OverviewFigures } from './sqlite/overview-figures';
import type { SampledProcess } from './sqlite/sampled-processes';

export type { RecordingState } from './recording-state';
export type { SampledProcess } from './sqlite/sampled-processes';
export type { CallGap, CommandCount, FailureRow, ModelUsage, OverviewFigures } from './sqlite/overview-figures';
export { EVENT_KINDS, type EventKind, type EventLogQuery, type EventMark, type LogEvent, type LogPage } from './sqlite/event-log';

export type IdTable =
  | 'sessions'
  | 'processes'
  | 'execs'
  | 'file_ops'
  | 'net_conns'
  | 'tls_targets'
  | 'tls_conns'
  | 'tls_chunks'
  | 'http_exchanges'
  | 'llm_calls'
  | 'tool_calls'
  | 'causal_links'
  | 'mcp_servers'
  | 'mcp_calls'
  | 'losses';

/** Per-second counts added to the timeline buckets. */
export interface ActivityDelta {
  procEvents?: number;
  fileOps?: number;
  netEvents?: number;
  llmCalls?: number;
  tokens?: number;
  errors?: number;
  losses?: number;
}

export type { ActivityBucket, RecordingCounts } from './shapes';

export interface RecordingInfo {
  path: string;
  schemaVersion: number;
  meta: Readonly<Record<string, string>>;
  /** Earliest and latest timestamps of anything recorded (null for an empty recording). */
  startNs: number | null;
  endNs: number | null;
  counts: RecordingCounts;
}

/**
 * A session with the aggregates the ranking table and summaries need. Tokens are in the views' disjoint kinds
 * (figures.ts): inputTokens excludes the cached prompt tokens.
 */
export interface SessionSummary extends SessionRow, TokenFigures {
  processes: number;
  liveProcesses: number;
  llmCalls: number;
  models: string[];
  /** Sum of known costs; null when no call had a known cost. */
  costUsd: number | null;
  toolCalls: number;
  failedToolCalls: number;
  /** LLM calls with an HTTP error or an incomplete stream. */
  errors: number;
  fileOps: number;
  /** Distinct paths a successful change operation touched (figures.ts; docs/figures.md). */
  filesChanged: number;
  netConns: number;
  losses: number;
  lastActivityNs: number;
}

export interface LossTotal {
  source: string;
  count: number;
  bytes: number;
}

/** Loss sources of TLS connections seen on the wire (a ClientHello) whose plaintext was not captured. */
export const TLS_NOT_DECRYPTED_SOURCES: readonly string[] = ['tls:not-probed', 'tls:before-attach', 'tls:unknown-stack'];

/** TLS connections whose plaintext was not captured, for one reason (a TLS_NOT_DECRYPTED_SOURCES source). */
export interface TlsNotDecrypted {
  reason: string;
  connections: number;
  /** Bytes the connections carried on the wire, both directions. */
  bytes: number;
}

/**
 * The completeness verdict of a session or a recording: what was captured, what could not be and why. Every
 * surface prints it with completenessText (src/present/completeness.ts) and shows the same call and token counts.
 */
export interface Completeness {
  llmCalls: number;
  /** Every token of those calls: totalTokens of figures.ts (all prompt tokens, cached ones included, + output). */
  tokens: number;
  /** TLS connections whose plaintext was captured. */
  tlsDecrypted: number;
  /** TLS connections whose plaintext was not, by reason. */
  tlsNotDecrypted: TlsNotDecrypted[];
  /** The first COMPLETENESS_CONNECTIONS of those connections, each named (address, bytes, why) in `detail`. */
  tlsNotDecryptedConnections: Array<{ reason: string; processId: number | null; bytes: number; detail: string | null }>;
  /** Every other loss, by source; data kept but clipped (argv, paths, DNS answers) is not a loss. */
  lost: LossTotal[];
  /**
   * The recording stopped before its end (recorder killed or crashed, or the store failed): what came after is
   * missing, however complete the rest (recordingState() says when).
   */
  stoppedEarly: boolean;
  /** Nothing above was lost and the recording ran to its end: the only case where a surface may say so. */
  complete: boolean;
}

/** What a running live capture says about itself, shown beside the recording it fills (`top` live). */
export interface LiveStatus {
  /** Capturing with eBPF; false: agents from /proc only, and `reason` says why. */
  bpf: boolean;
  reason?: string;
  events: number;
  losses: number;
}

/** How many not-decrypted TLS connections a completeness verdict names one by one (all are counted). */
export const COMPLETENESS_CONNECTIONS = 50;

export interface TimeQuery {
  /** State as of this Unix-ns time (rows started at or before it). */
  atNs?: number;
  sessionId?: number;
  limit?: number;
}

/** Which file changes to read: as of a time, of a session or process, and optionally only under one directory. */
export interface FileChangeQuery extends TimeQuery {
  processId?: number;
  /** Only changes to this directory or below it (the TUI's "workspace only": a session's cwd). */
  under?: string;
}

/** Successful changes to one path by one kind of operation, summed (for "files changed" summaries). */
export interface FileChange {
  /** 'create' | 'write' | 'fallocate' | 'mmap' | 'truncate' | 'rename' | 'unlink' | 'rmdir' | 'mkdir' | 'chmod' | 'link' | 'symlink' */
  op: string;
  path: string;
  path2: string | null;
  count: number;
  bytes: number;
  firstNs: number;
  lastNs: number;
  /** Lowest process id among the processes that made the change. */
  processId: number;
  processes: number;
}

/** Short searchable text of one LLM call: the last message of its request and the start of its response. */
export interface LlmCallText {
  id: number;
  sessionId: number | null;
  startNs: number;
  /** The last user turn as text (message-text.ts): the user's words, or tool results marked `[tool result]`. */
  prompt: string | null;
  response: string | null;
}

/** Network operations of one kind to one destination, summed. */
export interface NetDestination {
  op: string;
  family: string;
  proto: string | null;
  addr: string;
  port: number | null;
  host: string | null;
  count: number;
  /** Operations that failed (result < 0 other than -EINPROGRESS). */
  failures: number;
  bytesSent: number;
  bytesRecv: number;
  firstNs: number;
  lastNs: number;
  processes: number;
}

/**
 * The collector's side of the store: ids, buffered rows, commits, and the end of a recording. Nothing here reads
 * back what a reader would; the collector depends on this interface only.
 */
export interface RecordingWriter {
  /** Path of the database file (':memory:' for an in-memory store). */
  readonly path: string;

  /** Next free id for a table; the collector assigns ids so a batch can link rows without a round trip. */
  nextId(table: IdTable): number;
  /** Set a recording-level key (command, start time, host, capture scope …). */
  putMeta(key: string, value: string): void;
  /** Insert or replace a session by id. */
  putSession(row: SessionRow): void;
  /** Insert or replace a process by id. */
  putProcess(row: ProcessRow): void;
  /** Record one exec attempt. */
  addExec(row: ExecRow): void;
  /** Insert or replace an aggregated file operation by id. */
  putFileOp(row: FileOpRow): void;
  /** Insert or replace an aggregated network operation by id. */
  putNetConn(row: NetConnRow): void;
  /** Record what TLS discovery found in a binary. */
  putTlsTarget(row: TlsTargetRow): void;
  /** Insert or replace a TLS connection by id. */
  putTlsConn(row: TlsConnRow): void;
  /** Keep one raw plaintext chunk. */
  addTlsChunk(row: TlsChunkRow): void;
  /** Insert or replace a decoded HTTP exchange by id. */
  putHttpExchange(row: HttpExchangeRow): void;
  /** Insert or replace an LLM call by id. */
  putLlmCall(row: LlmCallRow): void;
  /** Insert or replace a tool call by id. */
  putToolCall(row: ToolCallRow): void;
  /** Record a tool call → effect link. */
  addCausalLink(row: CausalLinkRow): void;
  /** Insert or replace an MCP server by id. */
  putMcpServer(row: McpServerRow): void;
  /** Insert or replace an MCP request/response pair or notification by id. */
  putMcpCall(row: McpCallRow): void;
  /** Record lost data. */
  addLoss(row: LossRow): void;
  /** Record a CPU/RSS sample. */
  addResourceSample(row: ResourceSampleRow): void;
  /** Add to the per-second activity counts at tsNs. */
  addActivity(tsNs: number, delta: ActivityDelta): void;
  /** Commit everything written since the last flush in one transaction. */
  flush(): void;
  /** Drop every write queued and not committed (after a failed commit, before the rows that say so). */
  abandonPending(): void;
  /** Flush, write the summaries and leave WAL mode: the file is self-contained and can be copied. */
  finalize(): void;
  /** After the store failed: leave WAL mode if space allows, no summaries. False when the file stays in WAL mode. */
  finalizeAfterFailure(): boolean;
  /** Flush and close. */
  close(): void;
}

/**
 * Every reader's side of the store (TUI, report, web UI, exporters): live capture and a saved recording answer the
 * same queries. Time arguments (`atNs`) select the state as of that moment.
 */
export interface RecordingReader {
  /** Path of the database file (':memory:' for an in-memory store). */
  readonly path: string;
  /** True when opened read-only (a saved recording). */
  readonly readOnly: boolean;

  /** Recording metadata, time range and row counts. */
  info(): RecordingInfo;
  /** Finished, still being recorded, or ended without its end (recorder gone, store failed) and where it stops. */
  recordingState(): RecordingState;
  /** Sessions that had started by q.atNs, with aggregates as of then, in id order. */
  sessions(q?: TimeQuery): SessionSummary[];
  /** One session by id. */
  session(id: number): SessionSummary | null;
  /** Processes (of a session) that had started by q.atNs, in start order. */
  processes(q?: TimeQuery & { ids?: readonly number[] }): ProcessRow[];
  /** One process by id. */
  process(id: number): ProcessRow | null;
  /** Exec attempts, failed ones included, of one process or of all. */
  execs(q?: TimeQuery & { processId?: number; processIds?: readonly number[]; failedOnly?: boolean }): ExecRow[];
  /** Aggregated file operations first seen by q.atNs. */
  fileOps(q?: TimeQuery & { processId?: number; changesOnly?: boolean; ids?: readonly number[] }): FileOpRow[];
  /** Network operations first seen by q.atNs. */
  netConns(q?: TimeQuery & { processId?: number; ids?: readonly number[] }): NetConnRow[];
  /** LLM calls started by q.atNs, in start order (without the heavy JSON columns unless full). */
  llmCalls(q?: TimeQuery & { full?: boolean }): LlmCallRow[];
  /** One LLM call with its full request/response JSON. */
  llmCall(id: number): LlmCallRow | null;
  /** Tool calls requested by q.atNs (of one LLM call, or of any of several), in request order. */
  toolCalls(q?: TimeQuery & { llmCallId?: number; llmCallIds?: readonly number[] }): ToolCallRow[];
  /** Causal links from tool calls to their effects. */
  causalLinks(q?: { toolCallId?: number; toolCallIds?: readonly number[]; sessionId?: number; targetKind?: string; targetId?: number }): CausalLinkRow[];
  /** MCP servers seen by q.atNs (of a session), in first-seen order. */
  mcpServers(q?: TimeQuery): McpServerRow[];
  /** MCP requests and notifications started by q.atNs, in start order: of a server, carrying out given tool calls, or by method. */
  mcpCalls(q?: TimeQuery & { serverId?: number; toolCallIds?: readonly number[]; method?: string; kind?: string }): McpCallRow[];
  /** Individual loss records. */
  losses(q?: TimeQuery): LossRow[];
  /** Losses summed by source. */
  lossTotals(q?: TimeQuery): LossTotal[];
  /**
   * The moment of the next (dir 1) or previous (dir -1) event after/before atNs, at full resolution: an LLM call
   * starting, a loss. null when there is none. The TUI's `(`/`)` navigation.
   */
  eventNs(atNs: number, dir: 1 | -1): number | null;
  /** Tokens (totalTokens) of the LLM calls that ended in (atNs - windowNs, atNs]: a rate with no token from later. */
  tokensEndedIn(atNs: number, windowNs: number): number;
  /** Files changed as every view counts them (figures.ts): distinct paths a successful change touched, as of q.atNs. */
  filesChanged(q?: TimeQuery): number;
  /**
   * Completeness verdict as of q.atNs: of session q.sessionId (its processes' losses plus those of no process), or of
   * the whole recording. The one source of the call, token and loss figures record, top and report print.
   */
  completeness(q?: TimeQuery): Completeness;
  /** What TLS discovery found per binary. */
  tlsTargets(): TlsTargetRow[];
  /** TLS connections. */
  tlsConns(q?: TimeQuery): TlsConnRow[];
  /** Raw captured plaintext of one connection, in order. */
  tlsChunks(connId: number): TlsChunkRow[];
  /** Decoded HTTP exchanges. */
  httpExchanges(q?: TimeQuery & { connId?: number }): HttpExchangeRow[];
  /** Processes (of a session) with CPU/RSS samples, highest peak RSS first. */
  sampledProcesses(q?: { sessionId?: number }): SampledProcess[];
  /** CPU/RSS samples of one process. */
  resourceSamples(processId: number): ResourceSampleRow[];
  /** Activity summed into `buckets` equal buckets over [fromNs, toNs). */
  activity(fromNs: number, toNs: number, buckets: number): ActivityBucket[];

  /** Successful file changes first seen by q.atNs, grouped by (op, path, path2), in first-seen order. */
  fileChanges(q?: FileChangeQuery): FileChange[];
  /** How many distinct changes fileChanges() returns without a limit, per op (ops with none left out). */
  fileChangeCounts(q?: FileChangeQuery): Array<{ op: string; count: number }>;
  /** One aggregated file operation by id. */
  fileOp(id: number): FileOpRow | null;
  /** One network operation by id. */
  netConn(id: number): NetConnRow | null;
  /** Network operations first seen by q.atNs grouped by destination, in first-seen order. */
  netDestinations(q?: TimeQuery): NetDestination[];
  /** How many destinations netDestinations() returns without a limit. */
  netDestinationCount(q?: TimeQuery): number;
  /** The most recent LLM calls started by q.atNs (q.limit of them), in start order, without the heavy JSON columns. */
  recentLlmCalls(q: TimeQuery & { limit: number }): LlmCallRow[];
  /** Clipped prompt/response text of LLM calls started by q.atNs, newest first (for search). */
  llmCallTexts(q?: TimeQuery & { maxChars?: number }): LlmCallText[];

  /** One page of every event (processes, execs, file and network operations, LLM and tool calls, losses) in time order. */
  eventLog(q: EventLogQuery): LogPage;
  /** How many events eventLog() pages through with these filters, per kind (text filters not counted). */
  eventLogCounts(q: Omit<EventLogQuery, 'limit' | 'after' | 'text'>): Record<EventKind, number>;
  /** The highest row id of each event kind now: a live reader's resume mark. */
  eventMark(): EventMark;
  /** Events added after a mark (ids above it), in time order, at most q.limit. */
  eventLogSince(mark: EventMark, q: Omit<EventLogQuery, 'after'>): LogEvent[];

  /**
   * The overview's sums (of a session or all): usage by model, command lines by count (and those run at least
   * repeatedAtLeast times), failures of every kind (first `limit`, and the total), gaps of at least gapNs between a
   * session's model calls.
   */
  overviewFigures(q: { sessionId?: number; limit: number; repeatedAtLeast: number; gapNs: number }): OverviewFigures;

  /** Run fn with every read in it seeing one snapshot of the recording (one read transaction: consistent, and cheaper). */
  readSnapshot<T>(fn: () => T): T;

  /** Close (a reader of a live recording closes its own connection only). */
  close(): void;
}

/** Both sides over one database: what opening a recording returns. Code should ask for the side it uses. */
export interface Store extends RecordingWriter, RecordingReader {
  readonly path: string;
  close(): void;
}
