/**
 * `agentsight report export -o FILE`: the whole recording as one JSON document other tools can read without SQLite.
 * docs/snapshot-schema.md documents it and docs/schemas/snapshot.schema.json checks it. Versioned by `schema`
 * ("agentsight.snapshot/1"): fields may be added within a version; removing or changing one makes a new version.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HttpExchangeRow, RecordingReader } from '../store';
import type { ReportContext } from './context';
import { EXIT_OK, ReportError } from './errors';
import { promptJson } from './prompts';

export const SNAPSHOT_SCHEMA_ID = 'agentsight.snapshot/1';

function headers(json: string): Array<[string, string]> {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v.filter((h) => Array.isArray(h) && h.length === 2).map((h) => [String(h[0]), String(h[1])]) as Array<[string, string]>) : [];
  } catch {
    return [];
  }
}

function exchangeJson(x: HttpExchangeRow): Record<string, unknown> {
  // Bodies stay out: LLM bodies are in llmCalls (parsed), and other bodies can be large binary data.
  return {
    id: x.id,
    connId: x.connId,
    processId: x.processId,
    sessionId: x.sessionId,
    streamId: x.streamId,
    protocol: x.protocol,
    method: x.method,
    host: x.host,
    path: x.path,
    status: x.status,
    requestHeaders: headers(x.reqHeaders),
    responseHeaders: headers(x.respHeaders),
    requestBodyBytes: x.reqBody ? x.reqBody.byteLength : null,
    responseBodyBytes: x.respBody ? x.respBody.byteLength : null,
    startNs: x.startNs,
    firstByteNs: x.firstByteNs,
    endNs: x.endNs,
    complete: x.complete,
    error: x.error,
  };
}

export function buildSnapshot(store: RecordingReader, ctx: ReportContext, now: Date = new Date()): Record<string, unknown> {
  const info = store.info();
  const tools = store.toolCalls();
  const byCall = new Map<number, typeof tools>();
  for (const t of tools) byCall.set(t.llmCallId, [...(byCall.get(t.llmCallId) ?? []), t]);
  return {
    schema: SNAPSHOT_SCHEMA_ID,
    generatedAt: now.toISOString(),
    generator: 'agentsight report export',
    recording: {
      path: info.path,
      schemaVersion: info.schemaVersion,
      meta: info.meta,
      startNs: info.startNs,
      endNs: info.endNs,
      start: ctx.clock.iso(info.startNs),
      end: ctx.clock.iso(info.endNs),
      counts: info.counts,
      recordingState: store.recordingState(),
    },
    sessions: store.sessions(),
    processes: store.processes(),
    execs: store.execs(),
    fileOps: store.fileOps(),
    netConns: store.netConns(),
    tlsTargets: store.tlsTargets().map((t) => ({ ...t, probes: parseProbes(t.probes) })),
    tlsConns: store.tlsConns(),
    httpExchanges: store.httpExchanges().map(exchangeJson),
    llmCalls: store.llmCalls({ full: true }).map((c) => promptJson(c, byCall.get(c.id) ?? [], ctx)),
    toolCalls: tools.map((t) => ({ ...t, input: parseOr(t.inputJson) })),
    causalLinks: store.causalLinks(),
    mcpServers: store.mcpServers(),
    mcpCalls: store.mcpCalls().map(({ paramsJson, resultJson, ...c }) => ({ ...c, params: parseOr(paramsJson), result: parseOr(resultJson) })),
    losses: store.losses(),
    lossTotals: store.lossTotals(),
    completeness: store.completeness(),
  };
}

function parseOr(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseProbes(text: string): unknown[] {
  const v = parseOr(text);
  return Array.isArray(v) ? v : [];
}

/** Write the snapshot to `out` ('-' = stdout) atomically (temp file + rename) so a reader never sees half a file. */
export function runExport(store: RecordingReader, out: string | undefined, ctx: ReportContext): number {
  if (!out) throw new ReportError('export needs -o FILE (or -o - for standard output)');
  const text = JSON.stringify(buildSnapshot(store, ctx), null, 2) + '\n';
  if (out === '-') {
    ctx.io.out(text);
    return EXIT_OK;
  }
  const target = path.resolve(ctx.io.cwd, out);
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, text, { mode: 0o600 });
    fs.renameSync(tmp, target);
  } catch (err) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // The temp file may never have been created.
    }
    throw new ReportError(`cannot write ${target}: ${(err as Error).message}`);
  }
  ctx.io.err(`wrote ${target} (${store.info().counts.llmCalls} LLM calls, ${store.info().counts.processes} processes)\n`);
  return EXIT_OK;
}
