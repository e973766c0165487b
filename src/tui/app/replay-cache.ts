/**
 * In a saved recording rows never change, so a session's processes, failed execs, LLM calls and tool calls can be
 * read once (as of the end) and every later seek filters them in memory by time instead of querying and decoding
 * them again. This wraps the Store for the TUI's detail loads in replay; live capture keeps reading the store.
 * Aggregates that depend on the moment (sessions, file changes, destinations) still go to the store.
 */
import type { ExecRow, LlmCallRow, ProcessRow, RecordingReader, TimeQuery, ToolCallRow } from '../../store';

/** Sessions whose rows are kept (most recently used first). */
const MAX_SESSIONS = 6;
/** A session with more rows than this is not cached (its rows would cost more memory than the seeks save). */
const MAX_ROWS = 20_000;

interface SessionRows {
  processes: ProcessRow[];
  failedExecs: ExecRow[];
  llmCalls: LlmCallRow[];
  toolCalls: ToolCallRow[];
}

/** Rows of `sorted` (ascending by key) with key ≤ at: a binary search for the cut. */
function upTo<T>(sorted: readonly T[], at: number, key: (r: T) => number): T[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(sorted[mid]) <= at) lo = mid + 1;
    else hi = mid;
  }
  return sorted.slice(0, lo);
}

function limited<T>(rows: T[], limit: number | undefined): T[] {
  return limit !== undefined ? rows.slice(0, Math.max(0, Math.floor(limit))) : rows;
}

export function replayCache(store: RecordingReader, endNs: number): RecordingReader {
  const cache = new Map<number, SessionRows | null>();
  const rowsOf = (sessionId: number): SessionRows | null => {
    if (cache.has(sessionId)) {
      const hit = cache.get(sessionId)!;
      cache.delete(sessionId);
      cache.set(sessionId, hit);
      return hit;
    }
    const q = { atNs: endNs, sessionId };
    const processes = store.processes({ ...q, limit: MAX_ROWS + 1 });
    const llmCalls = store.llmCalls({ ...q, limit: MAX_ROWS + 1 });
    let rows: SessionRows | null = null;
    if (processes.length <= MAX_ROWS && llmCalls.length <= MAX_ROWS) {
      const toolCalls = store.toolCalls({ ...q, limit: MAX_ROWS * 4 + 1 });
      if (toolCalls.length <= MAX_ROWS * 4) rows = { processes, llmCalls, toolCalls, failedExecs: store.execs({ ...q, failedOnly: true }) };
    }
    cache.set(sessionId, rows);
    if (cache.size > MAX_SESSIONS) cache.delete(cache.keys().next().value!);
    return rows;
  };
  const cached = (q: TimeQuery | undefined): SessionRows | null =>
    q?.sessionId !== undefined && q.atNs !== undefined && q.atNs <= endNs ? rowsOf(q.sessionId) : null;

  return new Proxy(store, {
    get(target, prop, receiver) {
      switch (prop) {
        case 'processes':
          return (q?: TimeQuery) => {
            const r = cached(q);
            return r ? limited(upTo(r.processes, q!.atNs!, (p) => p.startNs), q!.limit) : target.processes(q);
          };
        case 'execs':
          return (q?: TimeQuery & { processId?: number; processIds?: readonly number[]; failedOnly?: boolean }) => {
            const r = q?.failedOnly && q.processId === undefined ? cached(q) : null;
            if (!r) return target.execs(q);
            let rows = upTo(r.failedExecs, q!.atNs!, (e) => e.tsNs);
            if (q!.processIds !== undefined) {
              const ids = new Set(q!.processIds);
              rows = rows.filter((e) => ids.has(e.processId));
            }
            return limited(rows, q!.limit);
          };
        case 'llmCalls':
          return (q?: TimeQuery & { full?: boolean }) => {
            const r = q?.full ? null : cached(q);
            return r ? limited(upTo(r.llmCalls, q!.atNs!, (c) => c.startNs), q!.limit) : target.llmCalls(q);
          };
        case 'recentLlmCalls':
          return (q: TimeQuery & { limit: number }) => {
            const r = cached(q);
            if (!r) return target.recentLlmCalls(q);
            const rows = upTo(r.llmCalls, q.atNs!, (c) => c.startNs);
            return rows.slice(Math.max(0, rows.length - q.limit));
          };
        case 'toolCalls':
          return (q?: TimeQuery & { llmCallId?: number; llmCallIds?: readonly number[] }) => {
            const r = q?.llmCallId === undefined && q?.llmCallIds === undefined ? cached(q) : null;
            return r ? limited(upTo(r.toolCalls, q!.atNs!, (t) => t.tsNs), q!.limit) : target.toolCalls(q);
          };
        default: {
          const v = Reflect.get(target, prop, receiver);
          return typeof v === 'function' ? v.bind(target) : v;
        }
      }
    },
  });
}
