/**
 * The web UI's JSON API, version 1 (docs/web-api.md): what each page shows, computed from the RecordingReader only.
 * The browser never downloads the whole recording: lists are paged (logs) or capped with the number left out said
 * (timeline, metrics), and figures are summed here. Texts are formatted here with the same helpers as `top` and
 * `report`, so every surface prints the same figures the same way.
 */
import {
  EVENT_KINDS,
  tokenFigures,
  type EventKind,
  type EventLogQuery,
  type EventMark,
  type LlmCallRow,
  type LogEvent,
  type ProcessRow,
  type RecordingReader,
} from '../store';
import { promptText } from '../store/message-text';
import {
  completenessText,
  containerLabel,
  exitStatus,
  formatArgv,
  formatBytes,
  formatCost,
  formatDuration,
  formatTokens,
  mcpCallOutcome,
  mcpResultText,
  mcpServerLabel,
  plural,
  processName,
  recordingStateText,
} from '../present';
import type * as wire from './wire';

/**
 * Store rows the answers carry whole (as they are, or spread into a row): every field of theirs must be declared in
 * wire.ts, or the page would receive fields no type names. Each line fails to compile when the store adds a field.
 */
type Declared<Undeclared extends never> = Undeclared;
type Reads = RecordingReader;
type WholeRowsDeclared = [
  Declared<Exclude<keyof ReturnType<Reads['info']>['counts'], keyof wire.RecordingCounts>>,
  Declared<Exclude<keyof ReturnType<Reads['overviewFigures']>['byModel'][number], keyof wire.ModelRow>>,
  Declared<Exclude<keyof ReturnType<Reads['activity']>[number], keyof wire.ActivityBucket>>,
  Declared<Exclude<keyof ReturnType<Reads['completeness']>, keyof wire.Completeness>>,
  Declared<Exclude<keyof ReturnType<Reads['completeness']>['tlsNotDecrypted'][number], keyof wire.Completeness['tlsNotDecrypted'][number]>>,
  Declared<Exclude<keyof ReturnType<Reads['completeness']>['tlsNotDecryptedConnections'][number], keyof wire.Completeness['tlsNotDecryptedConnections'][number]>>,
  Declared<Exclude<keyof ReturnType<Reads['completeness']>['lost'][number], keyof wire.LossTotal>>,
  Declared<Exclude<keyof ReturnType<Reads['eventLog']>, keyof wire.LogPage>>,
  Declared<Exclude<keyof LogEvent, keyof wire.LogEvent>>,
];

/** A bad query parameter: answered 400 with this message. */
export class ApiError extends Error {
  constructor(message: string, readonly status = 400) {
    super(message);
  }
}

export type Params = URLSearchParams;

function intParam(p: Params, name: string): number | undefined {
  const v = p.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new ApiError(`${name} must be an integer, got '${v}'`);
  return n;
}

function sessionParam(r: RecordingReader, p: Params): number | undefined {
  const id = intParam(p, 'session');
  if (id !== undefined && r.session(id) === null) throw new ApiError(`no session ${id}`, 404);
  return id;
}

/** How many processes the timeline draws per session, and series the metrics chart: the rest are counted. */
const TIMELINE_PROCESSES = 400;
const TIMELINE_CALLS = 2000;
/** With every session on one timeline, each gets fewer rows: the page stays small, the rest is counted. */
const TIMELINE_PROCESSES_ALL = 12;
const TIMELINE_CALLS_ALL = 100;
const METRIC_SERIES = 8;
const TOP_N = 10;
/** Failures listed by the overview (all are counted). */
const FAILURES_SHOWN = 100;
/** A command line run this many times or more is a friction signal (the agent retrying the same thing). */
const REPEATED_COMMAND = 3;
/** A gap between a session's model calls this long is a friction signal (the agent or the user waited). */
const LONG_GAP_NS = 60e9;

function model(c: LlmCallRow): string {
  return c.responseModel ?? c.requestModel ?? c.provider;
}

export function info(r: RecordingReader, live: boolean): wire.Info {
  const i = r.info();
  const state = r.recordingState();
  const sessions = r.sessions().map((s) => ({
    id: s.id,
    title: s.title,
    agent: s.agent,
    startNs: s.startNs,
    endNs: s.endNs,
    llmCalls: s.llmCalls,
    costText: formatCost(s.costUsd),
    tokensText: formatTokens(s),
  }));
  return {
    api: 1,
    live,
    path: i.path,
    startNs: i.startNs,
    endNs: i.endNs,
    counts: i.counts,
    command: i.meta['command'] ? (JSON.parse(i.meta['command']) as string[]).join(' ') : null,
    stateText: recordingStateText(state, i.startNs, true),
    sessions,
  };
}

export function overview(r: RecordingReader, p: Params): wire.Overview {
  const sessionId = sessionParam(r, p);
  return r.readSnapshot((): wire.Overview => {
    const i = r.info();
    const sessions = sessionId !== undefined ? [r.session(sessionId)!] : r.sessions();
    const f = r.overviewFigures({ sessionId, limit: FAILURES_SHOWN, repeatedAtLeast: REPEATED_COMMAND, gapNs: LONG_GAP_NS });
    const totals = tokenFigures({});
    for (const m of f.byModel) for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += m[k];
    const llmCalls = f.byModel.reduce((n, m) => n + m.calls, 0);
    const unknownCost = f.byModel.reduce((n, m) => n + m.unknownCostCalls, 0);
    const known = f.byModel.filter((m) => m.costUsd !== null);
    const costUsd = known.length ? known.reduce((n, m) => n + m.costUsd!, 0) : null;
    const fileCounts = new Map<string, { path: string; ops: string[]; count: number; bytes: number }>();
    for (const c of r.fileChanges({ sessionId })) {
      const e = fileCounts.get(c.path) ?? { path: c.path, ops: [], count: 0, bytes: 0 };
      if (!e.ops.includes(c.op)) e.ops.push(c.op);
      e.count += c.count;
      e.bytes += c.bytes;
      fileCounts.set(c.path, e);
    }
    const hosts = new Map<string, { host: string; count: number; failures: number; bytes: number }>();
    for (const n of r.netDestinations({ sessionId })) {
      if (n.family === 'unix') continue;
      const key = n.host ?? `${n.addr}${n.port !== null ? ':' + n.port : ''}`;
      const e = hosts.get(key) ?? { host: key, count: 0, failures: 0, bytes: 0 };
      e.count += n.count;
      e.failures += n.failures;
      e.bytes += n.bytesSent + n.bytesRecv;
      hosts.set(key, e);
    }
    const sum = (k: 'processes' | 'toolCalls' | 'failedToolCalls' | 'netConns') => sessions.reduce((n, s) => n + s[k], 0);
    const startNs = sessionId !== undefined ? sessions[0]!.startNs : i.startNs;
    const endNs = sessionId !== undefined ? Math.max(sessions[0]!.endNs ?? 0, sessions[0]!.lastActivityNs) : i.endNs;
    const completeness = r.completeness({ sessionId });
    return {
      sessionId: sessionId ?? null,
      startNs,
      endNs,
      kpis: {
        sessions: sessions.length,
        llmCalls,
        tokens: totals,
        tokensText: formatTokens(totals),
        costUsd,
        costText: formatCost(costUsd, unknownCost),
        // The whole recording's counts include rows of no session (processes seen before any agent started).
        toolCalls: sessionId !== undefined ? sum('toolCalls') : i.counts.toolCalls,
        failedToolCalls: sum('failedToolCalls'),
        processes: sessionId !== undefined ? sum('processes') : i.counts.processes,
        filesChanged: r.filesChanged({ sessionId }),
        netConns: sessionId !== undefined ? sum('netConns') : i.counts.netConns,
        durationText: startNs !== null && endNs !== null ? formatDuration(endNs - startNs) : null,
      },
      byModel: f.byModel.map((m) => ({ ...m, costText: formatCost(m.costUsd, m.unknownCostCalls), tokensText: formatTokens(m) })),
      activity: startNs !== null && endNs !== null ? r.activity(startNs, endNs + 1, 120) : [],
      topCommands: { rows: f.commands.rows.slice(0, TOP_N).map((c) => ({ command: formatArgv(c.argv), count: c.count })), total: f.commands.distinct },
      topFiles: top([...fileCounts.values()].map((x) => ({ ...x, bytesText: formatBytes(x.bytes) })), (x) => x.count),
      topHosts: top([...hosts.values()].map((h) => ({ ...h, bytesText: formatBytes(h.bytes) })), (x) => x.count),
      toolCalls: overviewTools(r, sessionId),
      failures: f.failures.rows.map((x) => ({ kind: x.kind, id: x.id, tsNs: x.tsNs, text: `${x.what}: ${x.why}` })),
      failuresTotal: f.failures.total,
      friction: [
        ...f.commands.repeated.slice(0, TOP_N).map((c) => ({ kind: 'repeated-command' as const, text: `ran ${c.count}× the same command: ${formatArgv(c.argv)}` })),
        ...f.gaps.slice(0, TOP_N).map((g) => ({ kind: 'long-gap' as const, text: `${formatDuration(g.gapNs)} without a model call after call #${g.afterCallId}${g.sessionId !== null ? ` (session #${g.sessionId})` : ''}` })),
      ],
      completeness,
      completenessText: completenessText(completeness),
      stateText: recordingStateText(r.recordingState(), i.startNs, true),
    };
  });
}

/**
 * The agent's own actions, first TOP_N in time: each tool call's input and the files its processes changed. Top
 * commands and files rank by count, and in a real agent's session its own housekeeping (config rewrites, git and rg
 * probes) outnumbers the one command the model asked for, which would otherwise be on no list of the overview.
 */
function overviewTools(r: RecordingReader, sessionId: number | undefined): wire.Capped<wire.OverviewToolCall> {
  const tools = r.toolCalls({ sessionId, limit: TOP_N });
  const links = tools.length ? r.causalLinks({ toolCallIds: tools.map((t) => t.id), targetKind: 'file_op' }) : [];
  const ops = links.length ? r.fileOps({ ids: links.map((l) => l.targetId), changesOnly: true }) : [];
  const opTool = new Map(links.map((l) => [l.targetId, l.toolCallId]));
  const total = sessionId !== undefined ? r.session(sessionId)!.toolCalls : r.info().counts.toolCalls;
  return {
    rows: tools.map((t) => ({
      id: t.id,
      sessionId: t.sessionId,
      name: t.name,
      input: t.inputJson.slice(0, 300),
      failed: t.resultIsError === true,
      files: [...new Set(ops.filter((f) => opTool.get(f.id) === t.id).map((f) => f.path))],
    })),
    total,
  };
}

function top<T>(xs: T[], by: (x: T) => number): { rows: T[]; total: number } {
  return { rows: xs.sort((a, b) => by(b) - by(a)).slice(0, TOP_N), total: xs.length };
}

function procView(pr: ProcessRow): wire.ProcessView {
  return {
    id: pr.id,
    pid: pr.pid,
    parentId: pr.parentId,
    sessionId: pr.sessionId,
    name: processName(pr),
    command: formatArgv(pr.argv) || pr.comm,
    container: containerLabel(pr),
    argvClipped: pr.argvClipped,
    cwd: pr.cwd,
    startNs: pr.startNs,
    exitNs: pr.exitNs,
    status: exitStatus(pr),
    failed: (pr.exitCode ?? 0) !== 0 || (pr.exitSignal ?? 0) !== 0,
    peakRssText: pr.peakRssKb !== null ? formatBytes(pr.peakRssKb * 1024) : null,
  };
}

export function timeline(r: RecordingReader, p: Params): wire.Timeline {
  const sessionId = sessionParam(r, p);
  return r.readSnapshot((): wire.Timeline => {
    const i = r.info();
    const sessions = sessionId !== undefined ? [r.session(sessionId)!] : r.sessions().sort((a, b) => a.startNs - b.startNs);
    return {
      startNs: sessionId !== undefined ? sessions[0]!.startNs : i.startNs,
      endNs: sessionId !== undefined ? Math.max(sessions[0]!.endNs ?? 0, sessions[0]!.lastActivityNs) : i.endNs,
      sessions: sessions.map((s) => {
        // Each list read up to its cap only; the session's summary has the totals that say how many were left out.
        // One session on the page (chosen, or the only one recorded) gets the full caps.
        const one = sessions.length === 1;
        const nCalls = one ? TIMELINE_CALLS : TIMELINE_CALLS_ALL;
        const nProcs = one ? TIMELINE_PROCESSES : TIMELINE_PROCESSES_ALL;
        const calls = r.llmCalls({ sessionId: s.id, limit: nCalls });
        const tools = r.toolCalls({ sessionId: s.id, limit: nCalls });
        const procs = r.processes({ sessionId: s.id, limit: nProcs });
        const changes = r.fileChanges({ sessionId: s.id, limit: nCalls });
        const changeTotal = r.fileChangeCounts({ sessionId: s.id }).reduce((n, c) => n + c.count, 0);
        return {
          id: s.id,
          title: s.title,
          agent: s.agent,
          startNs: s.startNs,
          endNs: s.endNs ?? s.lastActivityNs,
          llmCalls: calls.map((c) => ({ id: c.id, model: model(c), startNs: c.startNs, endNs: c.endNs, failed: c.error !== null || (c.httpStatus ?? 0) >= 400 || c.incomplete, tokensText: formatTokens(tokenFigures(c)), costText: formatCost(c.costUsd) })),
          llmCallsOmitted: Math.max(0, s.llmCalls - calls.length),
          toolCalls: tools.map((t) => ({ id: t.id, llmCallId: t.llmCallId, name: t.name, input: t.inputJson.slice(0, 300), startNs: t.tsNs, endNs: t.resultNs, failed: t.resultIsError === true })),
          toolCallsOmitted: Math.max(0, s.toolCalls - tools.length),
          processes: procs.map(procView),
          processesOmitted: Math.max(0, s.processes - procs.length),
          fileChanges: changes.map((f, k) => ({ id: k + 1, op: f.op, path: f.path, path2: f.path2, startNs: f.firstNs, endNs: f.lastNs, count: f.count, processId: f.processId, failed: false })),
          fileChangesOmitted: Math.max(0, changeTotal - changes.length),
        };
      }),
    };
  });
}

export function tree(r: RecordingReader, p: Params): wire.Tree {
  const sessionId = sessionParam(r, p);
  return r.readSnapshot((): wire.Tree => {
    const procs = r.processes({ sessionId });
    const calls = r.llmCalls({ sessionId });
    const tools = r.toolCalls({ sessionId });
    const links = r.causalLinks({ sessionId });
    const texts = new Map(r.llmCallTexts({ sessionId, maxChars: 600 }).map((t) => [t.id, t]));
    const byTool = new Map<number, { processIds: number[]; fileOpIds: number[]; netConnIds: number[] }>();
    const toolOfProcess = new Map<number, number[]>();
    for (const l of links) {
      const e = byTool.get(l.toolCallId) ?? { processIds: [], fileOpIds: [], netConnIds: [] };
      if (l.targetKind === 'process') {
        e.processIds.push(l.targetId);
        toolOfProcess.set(l.targetId, [...(toolOfProcess.get(l.targetId) ?? []), l.toolCallId]);
      } else if (l.targetKind === 'file_op') e.fileOpIds.push(l.targetId);
      else if (l.targetKind === 'net_conn') e.netConnIds.push(l.targetId);
      byTool.set(l.toolCallId, e);
    }
    const files = new Map(r.fileOps({ ids: [...new Set([...byTool.values()].flatMap((e) => e.fileOpIds))] }).map((f) => [f.id, f]));
    // MCP tools: the agent's tools/call to the server that carried the tool call out (docs/mcp.md)
    const mcpCalls = tools.length ? r.mcpCalls({ toolCallIds: tools.map((t) => t.id) }) : [];
    const mcpServers = new Map(mcpCalls.length ? r.mcpServers({ sessionId }).map((m) => [m.id, m]) : []);
    const mcpOf = new Map(mcpCalls.map((m) => {
      const server = mcpServers.get(m.serverId);
      return [m.toolCallId!, {
        server: server ? mcpServerLabel(server) : `server ${m.serverId}`,
        command: server?.command ?? null,
        method: m.method,
        target: m.target,
        outcome: mcpCallOutcome(m),
        failed: m.isError,
        latencyText: m.endNs !== null ? formatDuration(m.endNs - m.startNs) : null,
        result: (m.errorMessage ?? mcpResultText(m.resultJson)).slice(0, 2000),
      }];
    }));
    return {
      processes: procs.map((pr) => ({ ...procView(pr), toolCallIds: toolOfProcess.get(pr.id) ?? [] })),
      llmCalls: calls.map((c) => ({
        id: c.id,
        sessionId: c.sessionId,
        processId: c.processId,
        model: model(c),
        startNs: c.startNs,
        endNs: c.endNs,
        durationText: c.endNs !== null ? formatDuration(c.endNs - c.startNs) : null,
        tokensText: formatTokens(tokenFigures(c)),
        costText: formatCost(c.costUsd),
        prompt: texts.get(c.id)?.prompt ?? null,
        response: texts.get(c.id)?.response ?? null,
        stopReason: c.stopReason,
        failed: c.error !== null || (c.httpStatus ?? 0) >= 400 || c.incomplete,
        error: c.error,
        tools: tools
          .filter((t) => t.llmCallId === c.id)
          .map((t) => {
            const e = byTool.get(t.id) ?? { processIds: [], fileOpIds: [], netConnIds: [] };
            return {
              id: t.id,
              name: t.name,
              input: t.inputJson.slice(0, 2000),
              resultText: t.resultText?.slice(0, 2000) ?? null,
              failed: t.resultIsError === true,
              mcp: mcpOf.get(t.id) ?? null,
              ...e,
              files: e.fileOpIds.map((id) => files.get(id)).filter((f) => f !== undefined).map((f) => `${f.op} ${f.path}`),
            };
          }),
      })),
    };
  });
}

/** One model call in full: its prompt, what is new since the previous call of its session, the tools offered. */
export function llmCall(r: RecordingReader, p: Params): wire.LlmCallDetail {
  const id = intParam(p, 'id');
  if (id === undefined) throw new ApiError('id is required');
  const c = r.llmCall(id);
  if (!c) throw new ApiError(`no LLM call ${id}`, 404);
  const prev = r.llmCalls({ sessionId: c.sessionId ?? undefined }).filter((x) => x.startNs < c.startNs).pop();
  const full = prev ? r.llmCall(prev.id) : null;
  const msgs = messages(c.requestJson);
  const prevMsgs = messages(full?.requestJson ?? null);
  let same = 0;
  while (same < msgs.length && same < prevMsgs.length && JSON.stringify(msgs[same]) === JSON.stringify(prevMsgs[same])) same++;
  return {
    id: c.id,
    model: model(c),
    provider: c.provider,
    endpoint: c.endpoint,
    prompt: promptText(c.requestJson),
    systemPrompt: c.systemPrompt?.slice(0, 20000) ?? null,
    messages: msgs.length,
    previousCallId: prev?.id ?? null,
    /** Messages after those this call shares with the previous call's request: the diff to the previous prompt. */
    newMessages: msgs.slice(same).map((m) => JSON.stringify(m).slice(0, 4000)),
    droppedMessages: prevMsgs.length - same,
    toolsOffered: toolNames(c.requestJson),
    responseText: c.responseText?.slice(0, 20000) ?? null,
    tokensText: formatTokens(tokenFigures(c)),
    costText: formatCost(c.costUsd),
  };
}

function parse(json: string | null): Record<string, unknown> | null {
  if (!json) return null;
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The conversation of a request in any provider's shape (messages, input, contents). */
function messages(json: string | null): unknown[] {
  const o = parse(json);
  const m = o?.['messages'] ?? o?.['input'] ?? o?.['contents'];
  return Array.isArray(m) ? m : [];
}

function toolNames(json: string | null): string[] {
  const tools = parse(json)?.['tools'];
  if (!Array.isArray(tools)) return [];
  const out: string[] = [];
  for (const t of tools as Array<Record<string, unknown>>) {
    const fn = t['function'] as Record<string, unknown> | undefined;
    const decls = t['functionDeclarations'] ?? t['function_declarations'];
    if (typeof t['name'] === 'string') out.push(t['name']);
    else if (fn && typeof fn['name'] === 'string') out.push(fn['name']);
    else if (Array.isArray(decls)) for (const d of decls as Array<{ name?: string }>) if (d.name) out.push(d.name);
  }
  return out;
}

function logQuery(r: RecordingReader, p: Params): Omit<EventLogQuery, 'limit' | 'after'> {
  const q: Omit<EventLogQuery, 'limit' | 'after'> = { sessionId: sessionParam(r, p), processId: intParam(p, 'process') };
  const kinds = p.get('kind');
  if (kinds) {
    const list = kinds.split(',');
    for (const k of list) if (!(EVENT_KINDS as readonly string[]).includes(k)) throw new ApiError(`kind must be among ${EVENT_KINDS.join(', ')}, got '${k}'`);
    q.kinds = list as EventKind[];
  }
  const text = p.get('q');
  if (text) q.text = text;
  const tool = intParam(p, 'tool');
  if (tool !== undefined) {
    const links = r.causalLinks({ toolCallId: tool });
    const of = (kind: string) => links.filter((l) => l.targetKind === kind).map((l) => l.targetId);
    q.ids = { tool: [tool], process: of('process'), file: of('file_op'), net: of('net_conn') };
  }
  return q;
}

export function logs(r: RecordingReader, p: Params): wire.LogPage {
  const q = logQuery(r, p);
  const limit = intParam(p, 'limit') ?? 200;
  const after = p.get('after') ?? undefined;
  return r.readSnapshot((): wire.LogPage => {
    let page;
    try {
      page = r.eventLog({ ...q, after, limit });
    } catch (err) {
      if (err instanceof RangeError) throw new ApiError(err.message);
      throw err;
    }
    // The length of the log, so the list can say how much there is; counted once, on the first page.
    const counts = after ? null : r.eventLogCounts(q);
    return { ...page, events: withContainers(r, page.events), counts, countsExact: !q.text, mark: after ? null : markText(r.eventMark()) };
  });
}

/** Each event with the container of its process ('' on the host): one lookup for the page's processes. */
function withContainers(r: RecordingReader, events: LogEvent[]): wire.LogEvent[] {
  const ids = [...new Set(events.map((e) => e.processId).filter((id) => id !== null))];
  const label = new Map(ids.length ? r.processes({ ids }).map((pr) => [pr.id, containerLabel(pr)]) : []);
  return events.map((e) => ({ ...e, container: e.processId !== null ? label.get(e.processId) ?? '' : '' }));
}

export function parseMark(s: string | null): EventMark | null {
  if (!s) return null;
  const parts = s.split('.').map(Number);
  if (parts.length !== EVENT_KINDS.length || parts.some((n) => !Number.isSafeInteger(n) || n < 0)) throw new ApiError(`bad mark '${s}'`);
  return Object.fromEntries(EVENT_KINDS.map((k, i) => [k, parts[i]])) as EventMark;
}

export function markText(m: EventMark): string {
  return EVENT_KINDS.map((k) => m[k]).join('.');
}

/** Events added since a mark (the live tail): what a page that saw `mark` has not seen. */
export function logsSince(r: RecordingReader, p: Params): wire.LogsSince {
  const mark = parseMark(p.get('mark'));
  if (!mark) throw new ApiError('mark is required');
  const q = logQuery(r, p);
  const limit = 1000;
  return r.readSnapshot((): wire.LogsSince => {
    const now = r.eventMark();
    const events = r.eventLogSince(mark, { ...q, limit });
    // More than one answer holds: the page is told, and says so, instead of showing a tail with a hole in it.
    return { events: withContainers(r, events), mark: markText(now), truncated: events.length >= limit };
  });
}

export function metrics(r: RecordingReader, p: Params): wire.Metrics {
  const sessionId = sessionParam(r, p);
  return r.readSnapshot((): wire.Metrics => {
    const sampled = r.sampledProcesses({ sessionId });
    const all = sessionId !== undefined ? r.session(sessionId)!.processes : r.info().counts.processes;
    const drawn = r.processes({ ids: sampled.slice(0, METRIC_SERIES).map((x) => x.processId) });
    const byId = new Map(drawn.map((pr) => [pr.id, pr]));
    return {
      processes: sampled.slice(0, METRIC_SERIES).map(({ processId }) => {
        const pr = byId.get(processId);
        return {
          id: processId,
          name: pr ? processName(pr) : `process ${processId}`,
          command: pr ? formatArgv(pr.argv) || pr.comm : `process ${processId}`,
          container: pr ? containerLabel(pr) : '',
          samples: r.resourceSamples(processId).map((s) => [s.tsNs, s.cpuPct, s.rssKb]),
        };
      }),
      sampledProcesses: sampled.length,
      omitted: Math.max(0, sampled.length - METRIC_SERIES),
      unsampledProcesses: Math.max(0, all - sampled.length),
      summaryText:
        `${plural(sampled.length, 'process', 'processes')} sampled` +
        (sampled.length > METRIC_SERIES ? `, the ${METRIC_SERIES} with the highest RSS drawn (${sampled.length - METRIC_SERIES} not drawn)` : '') +
        `; ${plural(Math.max(0, all - sampled.length), 'process', 'processes')} ran too briefly to be sampled`,
    };
  });
}
