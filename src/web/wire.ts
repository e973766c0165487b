/**
 * The web UI's wire types: the JSON answers of API v1 (docs/web-api.md), declared once for both ends. api.ts
 * annotates every endpoint with them and the page (src/web/ui) imports them, so `make build` (both tsc checks)
 * fails when the server and the page disagree on a field.
 *
 * Pure types: the page's type check has the DOM and no node types, so nothing of node may reach it through this file.
 * The store's shapes sent as they are (activity, token figures, log events) come from src/store/shapes.ts, which
 * imports nothing either; the rest is declared here, and api.ts returning the store's values as these types keeps
 * them in step.
 *
 * Conventions: `…Ns` are Unix-epoch nanoseconds; `…Text` is a figure already formatted by src/present (as `top` and
 * `report` print it); `…Omitted` / `…Total` / `total` count what a capped list left out.
 */

import type { ActivityBucket, EventKind, LogEvent as StoreLogEvent, RecordingCounts, TokenFigures } from '../store/shapes';

export type { ActivityBucket, EventKind, RecordingCounts, TokenFigures };

/** The first rows of a ranked or capped list, and how many rows there are in all. */
export interface Capped<T> {
  rows: T[];
  total: number;
}

// ---- /api/v1/info ----

export interface InfoSession {
  id: number;
  /** The recorded command line, or the agent's name and cwd. */
  title: string;
  /** 'claude-code', 'codex' …; null when unknown. */
  agent: string | null;
  startNs: number;
  endNs: number | null;
  llmCalls: number;
  costText: string;
  tokensText: string;
}

/** `/api/v1/info`: the recording as a whole, for the page's header and session picker. */
export interface Info {
  api: 1;
  /** A live recording: the page follows /api/v1/stream. */
  live: boolean;
  path: string;
  /** Earliest and latest timestamps recorded; null for an empty recording. */
  startNs: number | null;
  endNs: number | null;
  counts: RecordingCounts;
  /** The recorded command line, joined with spaces; null when `record` was not given one. */
  command: string | null;
  /** "in progress — …" / "incomplete — …"; null when the recording ran to its end. */
  stateText: string | null;
  sessions: InfoSession[];
}

// ---- /api/v1/overview ----

/** The overview's headline figures (of one session, or of the whole recording). */
export interface OverviewKpis {
  sessions: number;
  llmCalls: number;
  tokens: TokenFigures;
  tokensText: string;
  /** Sum of known costs, USD; null when no call had a known cost. */
  costUsd: number | null;
  /** Says how many calls had no known cost. */
  costText: string;
  toolCalls: number;
  failedToolCalls: number;
  processes: number;
  /** Distinct paths a successful change touched. */
  filesChanged: number;
  netConns: number;
  /** null for an empty recording. */
  durationText: string | null;
}

export interface ModelRow extends TokenFigures {
  model: string;
  calls: number;
  /** Calls with an HTTP error, an error, or an incomplete stream. */
  errors: number;
  /** Sum of known costs, USD; null when no call had one. */
  costUsd: number | null;
  unknownCostCalls: number;
  costText: string;
  tokensText: string;
}

export interface CommandCountRow {
  /** argv as a shell would need it typed. */
  command: string;
  count: number;
}

export interface FileCountRow {
  path: string;
  /** The change operations seen on it ('write', 'rename' …), each once. */
  ops: string[];
  count: number;
  bytes: number;
  bytesText: string;
}

export interface HostCountRow {
  /** Hostname, else `addr:port`. */
  host: string;
  count: number;
  failures: number;
  /** Sent and received. */
  bytes: number;
  bytesText: string;
}

/** A tool call as the overview lists it: what the model asked for and which files its processes changed. */
export interface OverviewToolCall {
  id: number;
  sessionId: number | null;
  name: string;
  /** Its input JSON, clipped to 300 characters. */
  input: string;
  failed: boolean;
  files: string[];
}

export interface FailureRow {
  kind: 'llm' | 'tool' | 'exec' | 'process';
  /** The failed row's id in its kind. */
  id: number;
  tsNs: number;
  /** "what: why". */
  text: string;
}

export interface FrictionRow {
  kind: 'repeated-command' | 'long-gap';
  text: string;
}

export interface LossTotal {
  /** 'ringbuf:events', 'tls:clipped', 'http:parse' … */
  source: string;
  count: number;
  bytes: number;
}

/** The completeness verdict (src/store/store.ts Completeness); completenessText says it in words. */
export interface Completeness {
  llmCalls: number;
  /** Every token of those calls, cached prompt tokens included. */
  tokens: number;
  /** TLS connections whose plaintext was captured. */
  tlsDecrypted: number;
  /** TLS connections whose plaintext was not, by reason. */
  tlsNotDecrypted: Array<{ reason: string; connections: number; bytes: number }>;
  /** The first of those connections, each named (address, bytes, why) in `detail`. */
  tlsNotDecryptedConnections: Array<{ reason: string; processId: number | null; bytes: number; detail: string | null }>;
  /** Every other loss, by source. */
  lost: LossTotal[];
  /** The recording stopped before its end: what came after is missing. */
  stoppedEarly: boolean;
  /** Nothing was lost and the recording ran to its end. */
  complete: boolean;
}

/** `/api/v1/overview`: one session (`sessionId`) or the whole recording (null) at a glance. */
export interface Overview {
  sessionId: number | null;
  startNs: number | null;
  endNs: number | null;
  kpis: OverviewKpis;
  byModel: ModelRow[];
  /** 120 buckets over [startNs, endNs]; empty for an empty recording. */
  activity: ActivityBucket[];
  /** The 10 most run command lines; `total`: distinct command lines. */
  topCommands: Capped<CommandCountRow>;
  /** The 10 most changed paths; `total`: distinct paths. */
  topFiles: Capped<FileCountRow>;
  /** The 10 most contacted hosts (unix sockets left out); `total`: distinct hosts. */
  topHosts: Capped<HostCountRow>;
  /** The first 10 tool calls in time; `total`: every tool call. */
  toolCalls: Capped<OverviewToolCall>;
  /** The first 100 failures; failuresTotal counts them all. */
  failures: FailureRow[];
  failuresTotal: number;
  /** Repeated identical commands and gaps of 60 s or more between model calls. */
  friction: FrictionRow[];
  completeness: Completeness;
  completenessText: string;
  stateText: string | null;
}

// ---- processes (timeline and tree) ----

/** A process row as the timeline and the tree show it. */
export interface ProcessView {
  id: number;
  pid: number;
  /** Store id of the parent process, when the store knows it. */
  parentId: number | null;
  sessionId: number | null;
  /** argv[0]'s base name, else comm. */
  name: string;
  /** argv as a shell would need it typed, else comm. */
  command: string;
  /** "[NAME pid N]" for a process of a container (N: its pid inside it), '' for a host process. */
  container: string;
  /** argv was longer than the capture limit and was clipped. */
  argvClipped: boolean;
  cwd: string | null;
  startNs: number;
  exitNs: number | null;
  /** "exit 3", "killed SIGKILL", "killed SIGSEGV (core)", "running" … */
  status: string;
  /** Exited non-zero or by a signal. */
  failed: boolean;
  peakRssText: string | null;
}

// ---- /api/v1/timeline ----

/** Anything the timeline draws as a bar. */
export interface Span {
  id: number;
  startNs: number;
  /** null: not ended (drawn to the end of the recording). */
  endNs: number | null;
  failed: boolean;
}

export interface TimelineLlmCall extends Span {
  model: string;
  tokensText: string;
  costText: string;
}

export interface TimelineToolCall extends Span {
  /** The model call that asked for it. */
  llmCallId: number;
  name: string;
  /** Its input JSON, clipped to 300 characters. */
  input: string;
}

/** Successful changes to one path by one operation, summed; startNs/endNs: the first and the last. */
export interface TimelineFileChange extends Span {
  /** Its position in the session's list (a change is a sum of rows, it has no store id). */
  id: number;
  op: string;
  path: string;
  /** Rename or link target. */
  path2: string | null;
  count: number;
  /** The lowest id among the processes that made the change. */
  processId: number;
}

export interface TimelineSession {
  id: number;
  title: string;
  agent: string | null;
  startNs: number;
  /** Its end, else its last activity. */
  endNs: number;
  llmCalls: TimelineLlmCall[];
  llmCallsOmitted: number;
  toolCalls: TimelineToolCall[];
  toolCallsOmitted: number;
  processes: ProcessView[];
  processesOmitted: number;
  fileChanges: TimelineFileChange[];
  fileChangesOmitted: number;
}

/** `/api/v1/timeline`: each session's calls, processes and file changes as bars, capped per session. */
export interface Timeline {
  startNs: number | null;
  endNs: number | null;
  sessions: TimelineSession[];
}

// ---- /api/v1/tree ----

export interface TreeProcess extends ProcessView {
  /** The tool calls that caused this process. */
  toolCallIds: number[];
}

/** The MCP server's tools/call that carried a tool call out (docs/mcp.md). */
export interface McpCallView {
  /** The server's name and version, else its command. */
  server: string;
  command: string | null;
  method: string;
  /** The tool's name (tools/call), prompt name or resource URI. */
  target: string | null;
  /** "ok", "tool error", "error -32601 method not found", "no reply", "notification". */
  outcome: string;
  failed: boolean;
  latencyText: string | null;
  /** The error message or the result as text, clipped to 2000 characters. */
  result: string;
}

export interface TreeToolCall {
  id: number;
  name: string;
  /** Its input JSON, clipped to 2000 characters. */
  input: string;
  resultText: string | null;
  failed: boolean;
  mcp: McpCallView | null;
  /** Store ids of the rows it caused, by kind. */
  processIds: number[];
  fileOpIds: number[];
  netConnIds: number[];
  /** "op path" of each file operation it caused. */
  files: string[];
}

export interface TreeLlmCall {
  id: number;
  sessionId: number | null;
  processId: number | null;
  model: string;
  startNs: number;
  endNs: number | null;
  durationText: string | null;
  tokensText: string;
  costText: string;
  /** The request's last message, 600 characters at most. */
  prompt: string | null;
  /** The start of the response, 600 characters at most. */
  response: string | null;
  stopReason: string | null;
  /** An error, an HTTP status ≥ 400 or an incomplete stream. */
  failed: boolean;
  error: string | null;
  /** The tool calls this model call asked for. */
  tools: TreeToolCall[];
}

/** `/api/v1/tree`: model calls with their tool calls and effects, beside the process tree. */
export interface Tree {
  processes: TreeProcess[];
  llmCalls: TreeLlmCall[];
}

// ---- /api/v1/llm-call ----

/** `/api/v1/llm-call`: one model call in full. */
export interface LlmCallDetail {
  id: number;
  model: string;
  provider: string;
  endpoint: string;
  /** The last user turn's text. */
  prompt: string | null;
  /** Clipped to 20000 characters. */
  systemPrompt: string | null;
  /** Messages in the request. */
  messages: number;
  /** The previous call of its session; null for the first. */
  previousCallId: number | null;
  /** Messages after those shared with the previous call's request (the diff), JSON clipped to 4000 each. */
  newMessages: string[];
  /** Messages of the previous request not at the start of this one (dropped or changed). */
  droppedMessages: number;
  toolsOffered: string[];
  /** Clipped to 20000 characters. */
  responseText: string | null;
  tokensText: string;
  costText: string;
}

// ---- /api/v1/logs and /api/v1/logs/since ----

/** One event of the log, any kind, with its process's container. */
export interface LogEvent extends StoreLogEvent {
  /** The container of its process, "[NAME pid N]"; '' on the host. */
  container: string;
}

/** `/api/v1/logs`: one page of the log. */
export interface LogPage {
  events: LogEvent[];
  /** Cursor to pass as `after` for the next page; null at the end. */
  next: string | null;
  /** Events per kind with these filters, on the first page only (null after). */
  counts: Record<EventKind, number> | null;
  /** false with a text filter: counts leave it out. */
  countsExact: boolean;
  /** Where a live tail starts (first page only; null after). */
  mark: string | null;
}

/** `/api/v1/logs/since`: events added after a mark. */
export interface LogsSince {
  events: LogEvent[];
  /** The newest mark, for the next call. */
  mark: string;
  /** More were added than one answer holds: the tail has a hole. */
  truncated: boolean;
}

// ---- /api/v1/metrics ----

/** One resource sample: time (ns), CPU %, RSS (KiB). */
export type ResourceSample = [tsNs: number, cpuPct: number, rssKb: number];

export interface MetricProcess {
  id: number;
  name: string;
  command: string;
  container: string;
  samples: ResourceSample[];
}

/** `/api/v1/metrics`: CPU and RSS of the sampled processes with the highest RSS. */
export interface Metrics {
  processes: MetricProcess[];
  sampledProcesses: number;
  /** Sampled processes not drawn. */
  omitted: number;
  /** Processes that ran too briefly to be sampled. */
  unsampledProcesses: number;
  summaryText: string;
}

// ---- routes ----

/** Each API route's answer: the server's route table and the page's client are typed by it. */
export interface ApiAnswers {
  '/api/v1/info': Info;
  '/api/v1/overview': Overview;
  '/api/v1/timeline': Timeline;
  '/api/v1/tree': Tree;
  '/api/v1/llm-call': LlmCallDetail;
  '/api/v1/logs': LogPage;
  '/api/v1/logs/since': LogsSince;
  '/api/v1/metrics': Metrics;
}

export type ApiRoute = keyof ApiAnswers;
