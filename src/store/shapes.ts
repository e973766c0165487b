/**
 * Shapes the store gives its readers that also travel as they are to the web page (src/web/wire.ts): pure types,
 * importing nothing, so the page's type check (DOM, no node types) can import them. The store's modules and the
 * wire types both take them from here: one declaration.
 */

/** Event kinds of the log, in the order of a mark's parts (src/store/sqlite/event-log.ts EVENT_KINDS). */
export type EventKind = 'process' | 'exec' | 'file' | 'net' | 'llm' | 'tool' | 'loss';

/** One event of the log, any kind (src/store/sqlite/event-log.ts). */
export interface LogEvent {
  kind: EventKind;
  /** Its id in its kind. */
  id: number;
  tsNs: number;
  /** End of what the row spans (exit, last operation, response end), when it has one. */
  endNs: number | null;
  sessionId: number | null;
  processId: number | null;
  /** What happened in one line: the command, `write /tmp/x`, the model, the tool's name and input … */
  text: string;
  /** A short qualifier: exit status, errno, count, tokens; null when nothing to add. */
  detail: string | null;
  /** The row failed (exec/file/net error, HTTP error, tool error). */
  failed: boolean;
}

/** Usage in the views' disjoint kinds (src/store/figures.ts; docs/figures.md); the JSON field names every output uses. */
export interface TokenFigures {
  /** Uncached prompt tokens. */
  inputTokens: number;
  /** Every generated token, reasoning included. */
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** The thinking part of outputTokens (not added again to the total). */
  reasoningTokens: number;
  /** input + cacheRead + cacheWrite + output. */
  totalTokens: number;
}

/** One of the activity chart's time buckets: counts of what started in [startNs, endNs). */
export interface ActivityBucket {
  startNs: number;
  endNs: number;
  procEvents: number;
  fileOps: number;
  netEvents: number;
  llmCalls: number;
  tokens: number;
  errors: number;
  losses: number;
}

/** Rows of each table in the whole recording (RecordingInfo.counts). */
export interface RecordingCounts {
  sessions: number;
  processes: number;
  execs: number;
  fileOps: number;
  netConns: number;
  llmCalls: number;
  toolCalls: number;
  /** What was lost: the sum of the loss rows' counts. */
  losses: number;
}
