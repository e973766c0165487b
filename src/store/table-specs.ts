/**
 * Tables declared as data: for each row type, its fields in column order with how they are stored. The SQLite
 * backend derives its INSERT statements and row decoding from these, so a column is named in one place only.
 */
export type ColumnKind = 'int' | 'real' | 'text' | 'bool' | 'json' | 'blob';

export interface ColumnSpec {
  readonly field: string;
  readonly column: string;
  readonly kind: ColumnKind;
}

export interface TableSpec {
  readonly table: string;
  readonly columns: readonly ColumnSpec[];
}

function spec(table: string, fields: Array<[string, ColumnKind]>): TableSpec {
  return {
    table,
    columns: fields.map(([field, kind]) => ({
      field,
      column: field.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()).replace(/_(\d)/, '$1'),
      kind,
    })),
  };
}

export const TABLES = {
  sessions: spec('sessions', [
    ['id', 'int'], ['agent', 'text'], ['externalId', 'text'], ['rootProcessId', 'int'], ['title', 'text'],
    ['startNs', 'int'], ['endNs', 'int'],
  ]),
  processes: spec('processes', [
    ['id', 'int'], ['pid', 'int'], ['ppid', 'int'], ['parentId', 'int'], ['sessionId', 'int'], ['startNs', 'int'],
    ['kstartNs', 'int'], ['uid', 'int'], ['comm', 'text'], ['exe', 'text'], ['argv', 'json'], ['argvClipped', 'bool'],
    ['cwd', 'text'], ['execNs', 'int'], ['exitNs', 'int'], ['exitCode', 'int'], ['exitSignal', 'int'],
    ['coreDumped', 'bool'], ['seeded', 'bool'], ['peakRssKb', 'int'], ['containerId', 'text'], ['containerName', 'text'],
    ['nsPid', 'int'],
  ]),
  execs: spec('execs', [
    ['id', 'int'], ['processId', 'int'], ['tsNs', 'int'], ['filename', 'text'], ['argv', 'json'], ['cwd', 'text'],
    ['ret', 'int'], ['argvClipped', 'bool'],
  ]),
  file_ops: spec('file_ops', [
    ['id', 'int'], ['processId', 'int'], ['sessionId', 'int'], ['op', 'text'], ['path', 'text'], ['path2', 'text'],
    ['flags', 'int'], ['result', 'int'], ['count', 'int'], ['bytes', 'int'], ['firstNs', 'int'], ['lastNs', 'int'],
    ['pathClipped', 'bool'],
  ]),
  net_conns: spec('net_conns', [
    ['id', 'int'], ['processId', 'int'], ['sessionId', 'int'], ['op', 'text'], ['family', 'text'], ['proto', 'text'],
    ['addr', 'text'], ['port', 'int'], ['host', 'text'], ['result', 'int'], ['count', 'int'], ['bytesSent', 'int'],
    ['bytesRecv', 'int'], ['firstNs', 'int'], ['lastNs', 'int'],
  ]),
  tls_targets: spec('tls_targets', [
    ['id', 'int'], ['path', 'text'], ['buildId', 'text'], ['sha256', 'text'], ['stack', 'text'], ['status', 'text'],
    ['detail', 'text'], ['probes', 'text'], ['tsNs', 'int'],
  ]),
  tls_conns: spec('tls_conns', [
    ['id', 'int'], ['processId', 'int'], ['sessionId', 'int'], ['connPtr', 'text'], ['stack', 'text'],
    ['protocol', 'text'], ['host', 'text'], ['firstNs', 'int'], ['lastNs', 'int'], ['bytesOut', 'int'],
    ['bytesIn', 'int'], ['lostBytes', 'int'], ['lostEvents', 'int'],
  ]),
  tls_chunks: spec('tls_chunks', [
    ['id', 'int'], ['connId', 'int'], ['dir', 'int'], ['seq', 'int'], ['tsNs', 'int'], ['origLen', 'int'],
    ['data', 'blob'],
  ]),
  http_exchanges: spec('http_exchanges', [
    ['id', 'int'], ['connId', 'int'], ['processId', 'int'], ['sessionId', 'int'], ['streamId', 'int'],
    ['protocol', 'text'], ['method', 'text'], ['host', 'text'], ['path', 'text'], ['status', 'int'],
    ['reqHeaders', 'text'], ['respHeaders', 'text'], ['reqBody', 'blob'], ['respBody', 'blob'], ['startNs', 'int'],
    ['firstByteNs', 'int'], ['endNs', 'int'], ['complete', 'bool'], ['error', 'text'],
  ]),
  llm_calls: spec('llm_calls', [
    ['id', 'int'], ['exchangeId', 'int'], ['sessionId', 'int'], ['processId', 'int'], ['provider', 'text'],
    ['host', 'text'], ['endpoint', 'text'], ['streaming', 'bool'], ['requestModel', 'text'],
    ['responseModel', 'text'], ['systemPrompt', 'text'], ['requestJson', 'text'], ['responseJson', 'text'],
    ['responseText', 'text'], ['thinking', 'text'], ['stopReason', 'text'], ['inputTokens', 'int'],
    ['outputTokens', 'int'], ['cacheReadTokens', 'int'], ['cacheWriteTokens', 'int'], ['reasoningTokens', 'int'],
    ['costUsd', 'real'], ['httpStatus', 'int'], ['error', 'text'], ['startNs', 'int'], ['firstTokenNs', 'int'],
    ['endNs', 'int'], ['incomplete', 'bool'],
  ]),
  tool_calls: spec('tool_calls', [
    ['id', 'int'], ['llmCallId', 'int'], ['sessionId', 'int'], ['callId', 'text'], ['name', 'text'],
    ['inputJson', 'text'], ['tsNs', 'int'], ['resultLlmCallId', 'int'], ['resultText', 'text'],
    ['resultIsError', 'bool'], ['resultNs', 'int'],
  ]),
  causal_links: spec('causal_links', [
    ['id', 'int'], ['toolCallId', 'int'], ['targetKind', 'text'], ['targetId', 'int'], ['method', 'text'],
    ['confidence', 'real'],
  ]),
  mcp_servers: spec('mcp_servers', [
    ['id', 'int'], ['sessionId', 'int'], ['processId', 'int'], ['clientProcessId', 'int'], ['transport', 'text'],
    ['channel', 'text'], ['command', 'text'], ['name', 'text'], ['version', 'text'], ['protocolVersion', 'text'],
    ['firstNs', 'int'], ['lastNs', 'int'], ['calls', 'int'], ['errors', 'int'], ['malformed', 'int'], ['lostBytes', 'int'],
  ]),
  mcp_calls: spec('mcp_calls', [
    ['id', 'int'], ['serverId', 'int'], ['sessionId', 'int'], ['kind', 'text'], ['fromSide', 'text'], ['rpcId', 'text'],
    ['method', 'text'], ['target', 'text'], ['paramsJson', 'text'], ['resultJson', 'text'], ['errorCode', 'int'],
    ['errorMessage', 'text'], ['isError', 'bool'], ['startNs', 'int'], ['endNs', 'int'], ['requestBytes', 'int'],
    ['responseBytes', 'int'], ['toolCallId', 'int'],
  ]),
  losses: spec('losses', [
    ['id', 'int'], ['tsNs', 'int'], ['source', 'text'], ['processId', 'int'], ['connId', 'int'], ['count', 'int'],
    ['bytes', 'int'], ['detail', 'text'],
  ]),
  resource_samples: spec('resource_samples', [
    ['processId', 'int'], ['tsNs', 'int'], ['cpuPct', 'real'], ['rssKb', 'int'],
  ]),
} as const;

export type TableName = keyof typeof TABLES;

/** Row object → positional SQL parameters. */
export function encodeRow(spec: TableSpec, row: object): unknown[] {
  const r = row as Record<string, unknown>;
  return spec.columns.map(({ field, kind }) => encodeValue(kind, r[field]));
}

/** Write a row's positional SQL parameters into out[at …] (the multi-row write path: no array per row). */
export function encodeInto(spec: TableSpec, row: object, out: unknown[], at: number): void {
  let enc = encoders.get(spec);
  if (!enc) {
    enc = compileEncoder(spec);
    encoders.set(spec, enc);
  }
  enc(row, out, at);
}

type Encoder = (row: object, out: unknown[], at: number) => void;
const encoders = new WeakMap<TableSpec, Encoder>();

/**
 * One straight-line function per table (field reads and conversions written out, as encodeValue does them), built
 * from the spec: the generic loop over columns with a switch per value was ~0.7 µs of the ~3.5 µs an exec event
 * cost at 200k events/s. Field names come from TABLES, never from data.
 */
function compileEncoder(spec: TableSpec): Encoder {
  const lines = spec.columns.map(({ field, kind }, i) => {
    const v = `r[${JSON.stringify(field)}]`;
    const put = (expr: string) => `v = ${v}; out[at + ${i}] = v === null || v === undefined ? null : ${expr};`;
    switch (kind) {
      case 'bool':
        return put('(v ? 1 : 0)');
      case 'json':
        return put('JSON.stringify(v)');
      case 'int':
        return put("(typeof v === 'number' ? Math.round(v) : v)");
      case 'blob':
        return put('blob(v)');
      default:
        return put('v');
    }
  });
  const make = new Function('blob', `return function encode(r, out, at) { let v; ${lines.join(' ')} };`) as (blob: (v: unknown) => unknown) => Encoder;
  return make((v) => encodeValue('blob', v));
}

function encodeValue(kind: ColumnKind, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'bool':
      return v ? 1 : 0;
    case 'json':
      return JSON.stringify(v);
    case 'blob':
      return v instanceof Buffer ? v : Buffer.from((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, (v as Uint8Array).byteLength);
    case 'int':
      return typeof v === 'number' ? Math.round(v) : v;
    default:
      return v;
  }
}

/** SQL row (snake_case columns) → row object. */
export function decodeRow<T>(spec: TableSpec, raw: Record<string, unknown>): T {
  let dec = decoders.get(spec);
  if (!dec) {
    dec = compileDecoder(spec);
    decoders.set(spec, dec);
  }
  return dec(raw) as T;
}

type Decoder = (raw: Record<string, unknown>) => object;
const decoders = new WeakMap<TableSpec, Decoder>();

/**
 * One object literal per table, built from the spec (conversions as decodeRowReference does them): every row gets
 * the same shape at once instead of 20 keyed reads and writes through a loop, ~1,500 rows per `top --once`.
 * Field and column names come from TABLES, never from data.
 */
function compileDecoder(spec: TableSpec): Decoder {
  const props = spec.columns.map(({ field, column, kind }) => {
    const v = `r[${JSON.stringify(column)}]`;
    const orNull = (expr: string, none = 'null') => `(${v} === null || ${v} === undefined ? ${none} : ${expr})`;
    switch (kind) {
      case 'bool':
        return `${JSON.stringify(field)}: ${orNull(`${v} !== 0`)}`;
      case 'json':
        return `${JSON.stringify(field)}: ${orNull(`JSON.parse(${v})`, '[]')}`;
      default:
        return `${JSON.stringify(field)}: ${orNull(v)}`;
    }
  });
  return new Function(`return function decode(r) { return { ${props.join(', ')} }; };`)() as Decoder;
}

/**
 * Decoder for rows read as arrays (better-sqlite3's raw mode) whose columns are `names`, in statement order.
 * Why: a 20-column row as a JS object (what better-sqlite3 builds per row in its default mode) cost ~10 µs here,
 * the array ~3 µs; --once reads ~3,000 process rows. Where a name repeats (a join) the last one wins, as it does in
 * the object better-sqlite3 would build; a column the statement lacks decodes as if NULL.
 */
export function rawRowDecoder<T>(spec: TableSpec, names: readonly string[]): (row: unknown[]) => T {
  const at = new Map<string, number>();
  names.forEach((n, i) => at.set(n, i));
  const props = spec.columns.map(({ field, column, kind }) => {
    const i = at.get(column);
    const none = kind === 'json' ? '[]' : 'null';
    if (i === undefined) return `${JSON.stringify(field)}: ${none}`;
    const v = `r[${i}]`;
    const orNull = (expr: string) => `(${v} === null || ${v} === undefined ? ${none} : ${expr})`;
    switch (kind) {
      case 'bool':
        return `${JSON.stringify(field)}: ${orNull(`${v} !== 0`)}`;
      case 'json':
        return `${JSON.stringify(field)}: ${orNull(`JSON.parse(${v})`)}`;
      default:
        return `${JSON.stringify(field)}: ${orNull(v)}`;
    }
  });
  return new Function(`return function decodeRaw(r) { return { ${props.join(', ')} }; };`)() as (row: unknown[]) => T;
}

/** The per-column reference the generated decoders are tested against. */
export function decodeRowReference<T>(spec: TableSpec, raw: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const { field, column, kind } of spec.columns) {
    const v = raw[column];
    if (v === null || v === undefined) {
      out[field] = kind === 'json' ? [] : null;
      continue;
    }
    switch (kind) {
      case 'bool':
        out[field] = v !== 0;
        break;
      case 'json':
        out[field] = JSON.parse(v as string);
        break;
      case 'blob':
        out[field] = v as Buffer;
        break;
      default:
        out[field] = v;
    }
  }
  return out as T;
}
