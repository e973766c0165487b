/**
 * `agentsight report audit`: what the agent did to the machine, in time order — process spawns and execs, file
 * operations, network operations, API calls and the tool calls that asked for them — with the tool call that caused
 * each effect where the store links one (store.causalLinks). A process without its own link inherits its nearest
 * linked ancestor's (a tool's `bash -c` spawns the real work); file and network operations inherit their process's.
 * MCP requests (an agent's JSON-RPC to its MCP servers) are events of their own, caused by the model's tool call they
 * carried out; the server's work while serving one is linked to that tool call like any other effect.
 */
import { tokenFigures, type CausalLinkRow, type ProcessRow, type RecordingReader, type ToolCallRow } from '../store';
import type { ReportContext } from './context';
import { writeJson } from './context';
import { EXIT_NOTHING_FOUND, EXIT_OK, ReportError } from './errors';
import { containerLabel, formatArgv, formatInt, mcpArgumentsJson, mcpCallOutcome, mcpServerLabel, oneLine, resultName } from '../present';
import { callModel } from './llm-usage';
import { CHANGING_FILE_OPS } from './summary';
import { renderTable } from './table';

export const AUDIT_SCHEMA_ID = 'agentsight.report.audit/1';

export type AuditKind = 'spawn' | 'exec' | 'file' | 'net' | 'llm' | 'tool' | 'mcp';

export interface AuditCause {
  toolCallId: number;
  callId: string;
  name: string;
  /** How the link was made ('lineage+window', 'command-match' …; 'inherited' when taken from a parent process). */
  method: string;
  confidence: number;
  inherited: boolean;
}

export interface AuditEvent {
  tsNs: number;
  time: string | null;
  kind: AuditKind;
  sessionId: number | null;
  processId: number | null;
  pid: number | null;
  /** One-line description: the command, the path, the destination, the model. */
  what: string;
  /** 'ok' or the errno name / HTTP status of a failure. */
  result: string;
  ok: boolean;
  /** Times the aggregated operation happened (file and network rows are aggregated per process/op/target). */
  count: number;
  causedBy: AuditCause | null;
  detail: Record<string, unknown>;
}

const KIND_ORDER: Record<AuditKind, number> = { tool: 0, mcp: 1, spawn: 2, exec: 3, file: 4, net: 5, llm: 6 };

export interface AuditOptions {
  /** Include opens and reads too (by default only operations that change the file system, failed ones included). */
  allFiles?: boolean;
}

export function auditEvents(store: RecordingReader, ctx: ReportContext, opts: AuditOptions = {}): AuditEvent[] {
  const processes = store.processes();
  const procById = new Map(processes.map((p) => [p.id, p]));
  const tools = new Map<number, ToolCallRow>(store.toolCalls().map((t) => [t.id, t]));
  const links = store.causalLinks();

  // Strongest link per target.
  const best = new Map<string, CausalLinkRow>();
  for (const l of links) {
    const k = `${l.targetKind}:${l.targetId}`;
    const prev = best.get(k);
    if (!prev || l.confidence > prev.confidence) best.set(k, l);
  }
  const causeOf = (l: CausalLinkRow | undefined, inherited: boolean): AuditCause | null => {
    if (!l) return null;
    const t = tools.get(l.toolCallId);
    if (!t) return null;
    return { toolCallId: t.id, callId: t.callId, name: t.name, method: inherited ? `inherited:${l.method}` : l.method, confidence: l.confidence, inherited };
  };
  const procCause = new Map<number, AuditCause | null>();
  const inheritedFrom = (up: AuditCause): AuditCause => ({ ...up, inherited: true, method: up.inherited ? up.method : `inherited:${up.method}` });
  // Iterative: a process tree may be tens of thousands of processes deep (a shell loop that execs itself), which a
  // recursive walk overflowed (the 1M-event fixture). Walk up to the first process whose cause is known, then down.
  const causeOfProcess = (id: number | null): AuditCause | null => {
    const chain: number[] = [];
    const onChain = new Set<number>();
    let cause: AuditCause | null = null;
    for (let cur: number | null = id; cur !== null; ) {
      if (procCause.has(cur)) {
        cause = procCause.get(cur) ?? null;
        break;
      }
      if (onChain.has(cur)) break; // a parent cycle in damaged data: no cause above it
      const own = causeOf(best.get(`process:${cur}`), false);
      if (own) {
        procCause.set(cur, own);
        cause = own;
        break;
      }
      chain.push(cur);
      onChain.add(cur);
      cur = procById.get(cur)?.parentId ?? null;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      cause = cause ? inheritedFrom(cause) : null;
      procCause.set(chain[i]!, cause);
    }
    return id === null ? null : procCause.get(id) ?? null;
  };
  const viaProcess = (own: CausalLinkRow | undefined, processId: number | null): AuditCause | null => {
    const direct = causeOf(own, false);
    if (direct) return direct;
    const up = causeOfProcess(processId);
    return up ? inheritedFrom(up) : null;
  };
  const pidOf = (id: number | null) => (id === null ? null : procById.get(id)?.pid ?? null);
  const sessionOf = (id: number | null) => (id === null ? null : procById.get(id)?.sessionId ?? null);

  const events: AuditEvent[] = [];
  const push = (e: Omit<AuditEvent, 'time'>) => events.push({ ...e, time: ctx.clock.iso(e.tsNs) });

  for (const p of processes) {
    push({
      tsNs: p.startNs,
      kind: 'spawn',
      sessionId: p.sessionId,
      processId: p.id,
      pid: p.pid,
      what: describeProcess(p),
      result: exitText(p),
      ok: (p.exitCode === null || p.exitCode === 0) && p.exitSignal === null,
      count: 1,
      causedBy: causeOfProcess(p.id),
      detail: { ppid: p.ppid, parentId: p.parentId, exe: p.exe, argv: p.argv, cwd: p.cwd, exitNs: p.exitNs, exitCode: p.exitCode, exitSignal: p.exitSignal, seeded: p.seeded },
    });
  }
  for (const e of store.execs()) {
    push({
      tsNs: e.tsNs,
      kind: 'exec',
      sessionId: sessionOf(e.processId),
      processId: e.processId,
      pid: pidOf(e.processId),
      what: oneLine(e.argv.length ? formatArgv(e.argv) + (e.argvClipped ? '…' : '') : e.filename, 200),
      result: resultName(e.ret),
      ok: e.ret >= 0,
      count: 1,
      causedBy: causeOfProcess(e.processId),
      detail: { filename: e.filename, argv: e.argv, argvClipped: e.argvClipped, cwd: e.cwd, ret: e.ret },
    });
  }
  for (const f of store.fileOps()) {
    // A program start opens dozens of libraries and locale files: noise for an audit unless asked for.
    if (!opts.allFiles && !CHANGING_FILE_OPS.has(f.op)) continue;
    push({
      tsNs: f.firstNs,
      kind: 'file',
      sessionId: f.sessionId,
      processId: f.processId,
      pid: pidOf(f.processId),
      what: `${f.op} ${f.path}${f.path2 ? ` → ${f.path2}` : ''}`,
      result: resultName(f.result),
      ok: f.result >= 0,
      count: f.count,
      causedBy: viaProcess(best.get(`file_op:${f.id}`), f.processId),
      detail: { op: f.op, path: f.path, path2: f.path2, flags: f.flags, result: f.result, bytes: f.bytes, lastNs: f.lastNs, pathClipped: f.pathClipped },
    });
  }
  for (const n of store.netConns()) {
    const dest = n.port === null ? n.addr : n.addr.includes(':') ? `[${n.addr}]:${n.port}` : `${n.addr}:${n.port}`;
    push({
      tsNs: n.firstNs,
      kind: 'net',
      sessionId: n.sessionId,
      processId: n.processId,
      pid: pidOf(n.processId),
      what: `${n.op} ${n.proto ?? n.family} ${dest}${n.host ? ` (${n.host})` : ''}`,
      // A non-blocking connect reports EINPROGRESS and completes later: not a failure.
      result: n.result === -115 ? 'ok' : resultName(n.result),
      ok: n.result >= 0 || n.result === -115,
      count: n.count,
      causedBy: viaProcess(best.get(`net_conn:${n.id}`), n.processId),
      detail: { op: n.op, family: n.family, proto: n.proto, addr: n.addr, port: n.port, host: n.host, result: n.result, bytesSent: n.bytesSent, bytesRecv: n.bytesRecv, lastNs: n.lastNs },
    });
  }
  for (const c of store.llmCalls()) {
    const failed = (c.httpStatus !== null && c.httpStatus >= 400) || c.error !== null || c.incomplete;
    push({
      tsNs: c.startNs,
      kind: 'llm',
      sessionId: c.sessionId,
      processId: c.processId,
      pid: pidOf(c.processId),
      what: `${c.provider} ${callModel(c) ?? '?'} ${c.host ?? ''}${c.endpoint}`,
      result: c.error ?? (c.incomplete ? 'incomplete' : c.httpStatus === null ? 'ok' : c.httpStatus >= 400 ? `HTTP ${c.httpStatus}` : 'ok'),
      ok: !failed,
      count: 1,
      causedBy: null,
      detail: { llmCallId: c.id, provider: c.provider, host: c.host, endpoint: c.endpoint, model: callModel(c), httpStatus: c.httpStatus, ...tokenFigures(c), costUsd: c.costUsd, endNs: c.endNs },
    });
  }
  for (const t of tools.values()) {
    push({
      tsNs: t.tsNs,
      kind: 'tool',
      sessionId: t.sessionId,
      processId: null,
      pid: null,
      what: `${t.name} ${oneLine(t.inputJson, 160)}`,
      result: t.resultIsError === null ? 'pending' : t.resultIsError ? 'error' : 'ok',
      ok: t.resultIsError !== true,
      count: 1,
      causedBy: null,
      detail: { toolCallId: t.id, callId: t.callId, name: t.name, llmCallId: t.llmCallId, resultLlmCallId: t.resultLlmCallId, resultIsError: t.resultIsError, resultNs: t.resultNs },
    });
  }
  const servers = new Map(store.mcpServers().map((s) => [s.id, s]));
  for (const c of store.mcpCalls({ kind: 'request' })) {
    const server = servers.get(c.serverId);
    const args = c.method === 'tools/call' ? ` ${oneLine(mcpArgumentsJson(c.paramsJson), 120)}` : '';
    const outcome = mcpCallOutcome(c);
    push({
      tsNs: c.startNs,
      kind: 'mcp',
      sessionId: c.sessionId,
      processId: server?.processId ?? null,
      pid: pidOf(server?.processId ?? null),
      what: `${server ? mcpServerLabel(server) : `server ${c.serverId}`}: ${c.method}${c.target ? ` ${c.target}` : ''}${args}`,
      result: outcome,
      ok: outcome === 'ok',
      count: 1,
      causedBy: causeOf(best.get(`mcp_call:${c.id}`), false),
      detail: { mcpCallId: c.id, serverId: c.serverId, method: c.method, target: c.target, rpcId: c.rpcId, from: c.fromSide, endNs: c.endNs, isError: c.isError, errorCode: c.errorCode, errorMessage: c.errorMessage, requestBytes: c.requestBytes, responseBytes: c.responseBytes },
    });
  }
  events.sort((a, b) => a.tsNs - b.tsNs || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  return events;
}

function describeProcess(p: ProcessRow): string {
  const cmd = p.argv.length ? formatArgv(p.argv) : p.exe ?? p.comm;
  // The container first: a long command line is cut at the end.
  const ct = containerLabel(p);
  return oneLine(`${ct ? ct + ' ' : ''}${cmd}${p.cwd ? `  (in ${p.cwd})` : ''}`, 200);
}

function exitText(p: ProcessRow): string {
  if (p.exitSignal !== null) return `signal ${p.exitSignal}${p.coreDumped ? ' (core)' : ''}`;
  if (p.exitCode !== null) return p.exitCode === 0 ? 'exit 0' : `exit ${p.exitCode}`;
  return p.exitNs === null ? 'running' : 'exited';
}

export function runAudit(store: RecordingReader, ctx: ReportContext, opts: AuditOptions = {}): number {
  const events = auditEvents(store, ctx, opts);
  if (ctx.json) {
    writeJson(ctx, { schema: AUDIT_SCHEMA_ID, recording: store.path, recordingState: store.recordingState(), events, completeness: store.completeness() });
    return events.length ? EXIT_OK : EXIT_NOTHING_FOUND;
  }
  if (events.length === 0) throw new ReportError(`${store.path}: nothing recorded`, EXIT_NOTHING_FOUND);
  ctx.io.out(
    renderTable<AuditEvent>(
      [
        { title: 'TIME', value: (e) => ctx.clock.time(e.tsNs) },
        { title: 'KIND', value: (e) => e.kind, style: (e) => (e.kind === 'tool' || e.kind === 'mcp' ? 'cyan' : null) },
        { title: 'PID', align: 'right', value: (e) => (e.pid === null ? '-' : String(e.pid)) },
        { title: 'RESULT', value: (e) => e.result, style: (e) => (e.ok ? null : 'red') },
        { title: 'N', align: 'right', value: (e) => formatInt(e.count) },
        { title: 'WHAT', value: (e) => e.what, maxWidth: 90 },
        { title: 'CAUSED BY', value: (e) => (e.causedBy ? `${e.causedBy.name}#${e.causedBy.toolCallId}${e.causedBy.inherited ? ' (via parent)' : ''}` : '') },
      ],
      events,
      ctx.painter,
    ),
  );
  return EXIT_OK;
}
