/**
 * Row types of the agentsight store: the contract between the collector (writer) and every reader
 * (TUI, report, web UI, exporters). One interface per table; docs/schema.md documents each column.
 *
 * Conventions:
 * - `*_ns` / `*Ns` fields are Unix-epoch nanoseconds stored as SQLite INTEGER. JavaScript numbers carry them
 *   with a resolution of 256 ns (2^60 < now < 2^61), which is below anything we display or order by; rows
 *   that need a strict order also carry `seq`/`id`.
 * - Ids are assigned by the collector (not by SQLite) so a batch can reference rows it creates in the same
 *   transaction without a round trip; readers treat them as opaque.
 * - Nullable columns are `T | null`, never undefined.
 */

/** A group of processes and model calls that belong to one agent run. */
export interface SessionRow {
  id: number;
  /** 'claude-code' | 'codex' | 'gemini-cli' | 'opencode' | 'aider' | other agent name, or null when unknown. */
  agent: string | null;
  /** The session id the agent itself sends (x-claude-code-session-id, Codex session-id …), when seen. */
  externalId: string | null;
  /** Root process of the session's process family. */
  rootProcessId: number | null;
  /** Human label: the recorded command line, or the agent's name and cwd. */
  title: string;
  startNs: number;
  endNs: number | null;
}

/** One process (a thread group), keyed by pid and start time so a reused pid never merges two processes. */
export interface ProcessRow {
  id: number;
  pid: number;
  ppid: number | null;
  /** Store id of the parent process row, when the parent is known to the store. */
  parentId: number | null;
  sessionId: number | null;
  /** Fork time (or the /proc start time for processes that already ran when capture began). */
  startNs: number;
  /** Kernel task start time (CLOCK_MONOTONIC ns): identity with pid. */
  kstartNs: number;
  uid: number | null;
  comm: string;
  /** Executable path of the last successful exec, null until the process execs. */
  exe: string | null;
  /** argv of the last successful exec. */
  argv: string[];
  /** true when argv was longer than the capture limit and was clipped. */
  argvClipped: boolean;
  cwd: string | null;
  execNs: number | null;
  exitNs: number | null;
  /** exit(2) status when the process exited normally. */
  exitCode: number | null;
  /** Terminating signal number when killed by a signal. */
  exitSignal: number | null;
  coreDumped: boolean;
  /** true when the process was found in /proc at start rather than seen being forked. */
  seeded: boolean;
  peakRssKb: number | null;
  /** The container the process ran in (full id from its cgroup) and its name; null on the host and before schema v6. */
  containerId: string | null;
  containerName: string | null;
  /** The process's pid inside its container's pid namespace (NSpid); null on the host or when it was gone too soon. */
  nsPid: number | null;
}

/**
 * How a redacted value starts in any stored text (`[REDACTED len=N hmac:xxxxxxxx]`, docs/schema.md), so readers can
 * tell one without loading the collector's redaction (src/protocols/http/redact.ts writes it).
 */
export const REDACTED_PREFIX = '[REDACTED';

/** Every exec attempt, failed ones included (ret < 0 is -errno). */
export interface ExecRow {
  id: number;
  processId: number;
  tsNs: number;
  filename: string;
  argv: string[];
  cwd: string | null;
  ret: number;
  /** argv was cut to fit the record (failed execs: 32 arguments of 1 KiB); null in recordings before schema v5. */
  argvClipped: boolean | null;
}

/** 'open' | 'create' | 'write' | 'fallocate' | 'mmap' | 'truncate' | 'rename' | 'unlink' | 'rmdir' | 'mkdir' | 'chmod' | 'link' | 'symlink' | 'read' */
export type FileOpKind = string;

/** Aggregated file operation: one row per distinct (process, op, path, path2, result). */
export interface FileOpRow {
  id: number;
  processId: number;
  sessionId: number | null;
  op: FileOpKind;
  path: string;
  /** Second path: rename/link target. */
  path2: string | null;
  /** open(2) flags for opens, mode for mkdir/chmod, else null. */
  flags: number | null;
  /** 0 on success, -errno on failure. */
  result: number;
  count: number;
  /** Bytes written (write ops) or read (read ops). */
  bytes: number;
  firstNs: number;
  lastNs: number;
  pathClipped: boolean;
}

export interface NetConnRow {
  id: number;
  processId: number;
  sessionId: number | null;
  /** 'connect' | 'bind' | 'listen' | 'accept' */
  op: string;
  /** 'inet' | 'inet6' | 'unix' */
  family: string;
  /** 'tcp' | 'udp' | 'stream' | 'dgram' | null */
  proto: string | null;
  addr: string;
  port: number | null;
  /** Hostname from DNS answers, TLS SNI or the HTTP Host header; null when nothing named it. */
  host: string | null;
  /** 0 ok, -EINPROGRESS in progress, other -errno failures. */
  result: number;
  count: number;
  bytesSent: number;
  bytesRecv: number;
  firstNs: number;
  lastNs: number;
}

/** What TLS discovery found (or did not find) in one binary. */
export interface TlsTargetRow {
  id: number;
  path: string;
  buildId: string | null;
  sha256: string | null;
  /** 'openssl' | 'boringssl' | 'rustls-aws-lc' | 'gnutls' | 'go' | null */
  stack: string | null;
  /** 'attached' | 'not-found' | 'error' */
  status: string;
  /** Why: what was tried, what failed. */
  detail: string;
  /** JSON list of {name, offset, kind} probes placed. */
  probes: string;
  tsNs: number;
}

export interface TlsConnRow {
  id: number;
  /** null when the process was not in the model (it should always be: the traced set comes from it). */
  processId: number | null;
  sessionId: number | null;
  /** SSL* (or AEAD context) pointer, hex, unique per process lifetime. */
  connPtr: string;
  stack: string | null;
  /** 'http/1.1' | 'h2' | null until recognised */
  protocol: string | null;
  host: string | null;
  firstNs: number;
  lastNs: number;
  bytesOut: number;
  bytesIn: number;
  /** Bytes the process sent/received that the capture did not keep (clipped or dropped). */
  lostBytes: number;
  lostEvents: number;
}

/** One captured SSL read or write: raw plaintext, kept so later parser fixes can re-parse a recording. */
export interface TlsChunkRow {
  id: number;
  connId: number;
  /** 0 = written by the process (requests), 1 = read by the process (responses). */
  dir: 0 | 1;
  /** Per-connection, per-direction sequence. */
  seq: number;
  tsNs: number;
  /** Bytes the SSL call carried; data.length < origLen means the copy was clipped. */
  origLen: number;
  data: Uint8Array;
}

export interface HttpExchangeRow {
  id: number;
  connId: number | null;
  processId: number | null;
  sessionId: number | null;
  /** HTTP/2 stream id, null for HTTP/1.1. */
  streamId: number | null;
  /** 'http/1.1' | 'h2' */
  protocol: string;
  method: string | null;
  host: string | null;
  path: string | null;
  status: number | null;
  /** JSON [[name, value], …] with secrets redacted. */
  reqHeaders: string;
  respHeaders: string;
  /** Decoded (decompressed) bodies. */
  reqBody: Uint8Array | null;
  respBody: Uint8Array | null;
  startNs: number;
  firstByteNs: number | null;
  endNs: number | null;
  /** false when the exchange ended early (connection closed, capture loss, parse error). */
  complete: boolean;
  error: string | null;
}

export interface LlmCallRow {
  id: number;
  exchangeId: number | null;
  sessionId: number | null;
  processId: number | null;
  /** 'anthropic' | 'openai-chat' | 'openai-responses' | 'gemini' | 'unknown' */
  provider: string;
  host: string | null;
  endpoint: string;
  streaming: boolean;
  requestModel: string | null;
  responseModel: string | null;
  systemPrompt: string | null;
  /** Full request JSON (as sent, secrets never appear in bodies we keep headers of). */
  requestJson: string | null;
  /** Final response JSON (non-streaming) or the reassembled message (streaming). */
  responseJson: string | null;
  responseText: string | null;
  thinking: string | null;
  stopReason: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  reasoningTokens: number | null;
  /** null = unknown (unknown model or missing usage), never 0 for unknown. */
  costUsd: number | null;
  httpStatus: number | null;
  error: string | null;
  startNs: number;
  firstTokenNs: number | null;
  endNs: number | null;
  incomplete: boolean;
}

export interface ToolCallRow {
  id: number;
  llmCallId: number;
  sessionId: number | null;
  /** The provider's id for the call (toolu_…, call_…), or a synthetic one for Gemini. */
  callId: string;
  name: string;
  inputJson: string;
  tsNs: number;
  /** The LLM call whose request carried this tool's result. */
  resultLlmCallId: number | null;
  resultText: string | null;
  resultIsError: boolean | null;
  resultNs: number | null;
}

/** A tool call → the process / file op / connection it caused. */
export interface CausalLinkRow {
  id: number;
  toolCallId: number;
  /** 'process' | 'file_op' | 'net_conn' */
  targetKind: string;
  targetId: number;
  /** 'lineage+window' | 'command-match' | 'path-match' | 'window' … */
  method: string;
  /** 0..1 */
  confidence: number;
}

/** An MCP server a traced agent talked to (stdio: a child whose stdin/stdout carried JSON-RPC). */
export interface McpServerRow {
  id: number;
  sessionId: number | null;
  /** The server's process (the one writing its replies); null until it replied. */
  processId: number | null;
  /** The agent process that wrote its requests. */
  clientProcessId: number | null;
  /** 'stdio' | 'http' (streamable HTTP) */
  transport: string;
  /** What carried it: 'pipe:<inode>' or 'unix:<inode>' (the inode the server reads its requests from), or the URL. */
  channel: string;
  /** The server process's command line (redacted like every argv). */
  command: string | null;
  /** serverInfo of initialize's result. */
  name: string | null;
  version: string | null;
  protocolVersion: string | null;
  firstNs: number;
  lastNs: number;
  /** Requests answered or not, notifications excluded. */
  calls: number;
  /** Requests answered with a JSON-RPC error or a tools/call result with isError. */
  errors: number;
  /** Lines that were not JSON-RPC, responses to no request seen. */
  malformed: number;
  /** Bytes of the conversation not captured (also in losses). */
  lostBytes: number;
}

/** One JSON-RPC request and its response, or one notification, between an agent and an MCP server. */
export interface McpCallRow {
  id: number;
  serverId: number;
  sessionId: number | null;
  /** 'request' | 'notification' */
  kind: string;
  /** Who sent it: 'client' (the agent) | 'server' */
  fromSide: string;
  /** The JSON-RPC id, as text; null for notifications. */
  rpcId: string | null;
  method: string;
  /** tools/call and prompts/get: the name; resources/read: the URI. */
  target: string | null;
  /** params, secrets redacted. */
  paramsJson: string | null;
  /** result, secrets redacted; null when there was none (error, no response, notification). */
  resultJson: string | null;
  errorCode: number | null;
  errorMessage: string | null;
  /** A JSON-RPC error, or a tools/call result with isError: true. */
  isError: boolean;
  startNs: number;
  /** When the response was written; null when none came. */
  endNs: number | null;
  requestBytes: number;
  responseBytes: number;
  /** The model's tool call this request carried out (linked by tool name, arguments and time). */
  toolCallId: number | null;
}

/** Data the capture could not keep, counted where it was lost. */
export interface LossRow {
  id: number;
  tsNs: number;
  /** 'ringbuf:events' | 'ringbuf:tls' | 'tls:clipped' | 'tls:missed-entry' | 'http:parse' | 'queue:js' … */
  source: string;
  processId: number | null;
  connId: number | null;
  count: number;
  bytes: number;
  detail: string | null;
}

export interface ResourceSampleRow {
  processId: number;
  tsNs: number;
  cpuPct: number;
  rssKb: number;
}
