/**
 * JSON-RPC 2.0 as MCP's stdio transport frames it: one message per line (newline-delimited JSON, no embedded
 * newlines). Pure: bytes in, messages out; malformed lines are reported, never thrown.
 */

export type JsonRpcId = string | number;

export interface JsonRpcError {
  code: number | null;
  message: string;
  data?: unknown;
}

export type JsonRpcMessage =
  | { kind: 'request'; id: JsonRpcId; method: string; params: unknown }
  | { kind: 'notification'; method: string; params: unknown }
  | { kind: 'response'; id: JsonRpcId | null; result?: unknown; error?: JsonRpcError }
  | { kind: 'malformed'; reason: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is JsonRpcId {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/** One parsed JSON value → its JSON-RPC reading. Batches (arrays) are read element by element by the caller. */
export function readJsonRpc(v: unknown): JsonRpcMessage {
  if (!isObject(v)) return { kind: 'malformed', reason: 'not an object' };
  if (v.jsonrpc !== '2.0') return { kind: 'malformed', reason: 'no jsonrpc "2.0"' };
  if (typeof v.method === 'string') {
    if (v.id === undefined) return { kind: 'notification', method: v.method, params: v.params };
    if (!isId(v.id)) return { kind: 'malformed', reason: 'request id is neither string nor number' };
    return { kind: 'request', id: v.id, method: v.method, params: v.params };
  }
  if ('result' in v || 'error' in v) {
    const id = isId(v.id) ? v.id : null;
    if (isObject(v.error)) {
      const e = v.error;
      return {
        kind: 'response', id,
        error: { code: typeof e.code === 'number' ? e.code : null, message: typeof e.message === 'string' ? e.message : '', data: e.data },
      };
    }
    return { kind: 'response', id, result: v.result };
  }
  return { kind: 'malformed', reason: 'neither request, notification nor response' };
}

/** One line of text → the messages it holds (a JSON-RPC batch holds several). */
export function parseJsonRpcLine(line: string): JsonRpcMessage[] {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return [{ kind: 'malformed', reason: 'invalid JSON' }];
  }
  if (Array.isArray(v)) return v.length ? v.map(readJsonRpc) : [{ kind: 'malformed', reason: 'empty batch' }];
  return [readJsonRpc(v)];
}

/**
 * Bytes of one direction of a stream → complete lines. A gap (bytes lost) makes the line it falls in unreadable: the
 * partial line is dropped and reported, and reading resumes at the next newline.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private have = 0;
  /** After a gap: skip to the next newline before reading a line again. */
  private resync = false;

  constructor(private readonly maxLineBytes = 64 << 20) {}

  /** Feed bytes; returns complete lines (without the newline) and how many bytes were dropped as unreadable. */
  push(data: Uint8Array): { lines: string[]; dropped: number } {
    const lines: string[] = [];
    let dropped = 0;
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (nl < 0) break;
      const piece = data.subarray(start, nl);
      if (this.resync) {
        dropped += this.have + piece.length;
        this.resync = false;
      } else {
        const line = this.have ? Buffer.concat([...this.parts, piece]).toString('utf8') : Buffer.from(piece).toString('utf8');
        if (line.trim()) lines.push(line);
      }
      this.parts = [];
      this.have = 0;
      start = nl + 1;
    }
    if (start < data.length) {
      const rest = data.subarray(start);
      if (this.resync) dropped += rest.length;
      else if (this.have + rest.length > this.maxLineBytes) {
        dropped += this.have + rest.length;
        this.parts = [];
        this.have = 0;
        this.resync = true;
      } else {
        this.parts.push(Buffer.from(rest));
        this.have += rest.length;
      }
    }
    return { lines, dropped };
  }

  /** Bytes were lost here: the line being assembled cannot be read. Returns the bytes dropped with it. */
  gap(): number {
    const dropped = this.have;
    this.parts = [];
    this.have = 0;
    this.resync = true;
    return dropped;
  }

  /** Bytes waiting for their newline (a stream that ended mid-line). */
  get pending(): number {
    return this.have;
  }
}
