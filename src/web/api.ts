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
  type ProcessRow,
  type RecordingReader,
} from '../store';
import { promptText } from '../store/message-text';
import {
  completenessText,
  exitStatus,
  formatArgv,
  formatBytes,
  formatCost,
  formatDuration,
  formatTokens,
  plural,
  processName,
  recordingStateText,
} from '../tui/format';

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
const METRIC_SERIES = 8;
const TOP_N = 10;
/** A gap between a session's model calls this long is a friction signal (the agent or the user waited). */
const LONG_GAP_NS = 60e9;

function model(c: LlmCallRow): string {
  return c.responseModel ?? c.requestModel ?? c.provider;
}

export function info(r: RecordingReader, live: boolean) {
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

export function overview(r: RecordingReader, p: Params) {
  const sessionId = sessionParam(r, p);
  return r.readSnapshot(() => {
    const i = r.info();
    const sessions = sessionId !== undefined ? [r.session(sessionId)!] : r.sessions();
    const calls = r.llmCalls({ sessionId });
    const byModel = new Map<string, { model: string; calls: number; costUsd: number | null; unknownCost: number; tokens: ReturnType<typeof tokenFigures>; errors: number }>();
    for (const c of calls) {
      const m = model(c);
      const t = tokenFigures(c);
      const e = byModel.get(m) ?? { model: m, calls: 0, costUsd: null, unknownCost: 0, tokens: tokenFigures({}), errors: 0 };
      e.calls++;
      if (c.costUsd !== null) e.costUsd = (e.costUsd ?? 0) + c.costUsd;
      else e.unknownCost++;
      for (const k of Object.keys(t) as Array<keyof typeof t>) e.tokens[k] += t[k];
      if (c.error !== null || (c.httpStatus ?? 0) >= 400 || c.incomplete) e.errors++;
      byModel.set(m, e);
    }
    const procs = r.processes({ sessionId });
    const commands = new Map<string, number>();
    for (const pr of procs) if (pr.argv.length) commands.set(formatArgv(pr.argv), (commands.get(formatArgv(pr.argv)) ?? 0) + 1);
    const files = r.fileChanges({ sessionId });
    const fileCounts = new Map<string, { path: string; ops: string[]; count: number; bytes: number }>();
    for (const f of files) {
      const e = fileCounts.get(f.path) ?? { path: f.path, ops: [], count: 0, bytes: 0 };
      if (!e.ops.includes(f.op)) e.ops.push(f.op);
      e.count += f.count;
      e.bytes += f.bytes;
      fileCounts.set(f.path, e);
    }
    const hosts = new Map<string, { host: string; count: number; failures: number; bytes: number }>();
    for (const n of r.netConns({ sessionId })) {
      if (n.family === 'unix') continue;
      const key = n.host ?? `${n.addr}${n.port !== null ? ':' + n.port : ''}`;
      const e = hosts.get(key) ?? { host: key, count: 0, failures: 0, bytes: 0 };
      e.count += n.count;
      if (n.result < 0 && n.result !== -115) e.failures += n.count;
      e.bytes += n.bytesSent + n.bytesRecv;
      hosts.set(key, e);
    }
    const failedExecs = r.execs({ sessionId, failedOnly: true });
    const tools = r.toolCalls({ sessionId });
    const failures = [
      ...calls.filter((c) => c.error !== null || (c.httpStatus ?? 0) >= 400 || c.incomplete).map((c) => ({ kind: 'llm', id: c.id, tsNs: c.startNs, text: `${model(c)}: ${c.error ?? (c.incomplete ? 'incomplete' : `HTTP ${c.httpStatus}`)}` })),
      ...tools.filter((t) => t.resultIsError).map((t) => ({ kind: 'tool', id: t.id, tsNs: t.tsNs, text: `${t.name} returned an error: ${(t.resultText ?? '').slice(0, 200)}` })),
      ...failedExecs.map((e) => ({ kind: 'exec', id: e.id, tsNs: e.tsNs, text: `exec ${e.filename} failed (${-e.ret})` })),
      ...procs.filter((pr) => (pr.exitCode ?? 0) !== 0 || (pr.exitSignal ?? 0) !== 0).map((pr) => ({ kind: 'process', id: pr.id, tsNs: pr.exitNs ?? pr.startNs, text: `${formatArgv(pr.argv) || pr.comm}: ${exitStatus(pr)}` })),
    ].sort((a, b) => a.tsNs - b.tsNs);
    const friction = [
      ...[...commands].filter(([, n]) => n >= 3).map(([c, n]) => ({ kind: 'repeated-command', text: `ran ${n}× the same command: ${c}` })),
      ...gaps(calls).map((g) => ({ kind: 'long-gap', text: `${formatDuration(g.ns)} without a model call after call #${g.afterId}` })),
    ];
    const startNs = sessionId !== undefined ? sessions[0]!.startNs : i.startNs;
    const endNs = sessionId !== undefined ? Math.max(sessions[0]!.endNs ?? 0, sessions[0]!.lastActivityNs) : i.endNs;
    const completeness = r.completeness({ sessionId });
    const costs = calls.filter((c) => c.costUsd !== null);
    const totals = tokenFigures({});
    for (const c of calls) {
      const t = tokenFigures(c);
      for (const k of Object.keys(t) as Array<keyof typeof t>) totals[k] += t[k];
    }
    const costUsd = costs.length ? costs.reduce((s, c) => s + c.costUsd!, 0) : null;
    return {
      sessionId: sessionId ?? null,
      startNs,
      endNs,
      kpis: {
        sessions: sessions.length,
        llmCalls: calls.length,
        tokens: totals,
        tokensText: formatTokens(totals),
        costUsd,
        costText: formatCost(costUsd, calls.length - costs.length),
        toolCalls: tools.length,
        failedToolCalls: tools.filter((t) => t.resultIsError).length,
        processes: procs.length,
        filesChanged: r.filesChanged({ sessionId }),
        netConns: [...hosts.values()].reduce((s, h) => s + h.count, 0),
        durationText: startNs !== null && endNs !== null ? formatDuration(endNs - startNs) : null,
      },
      byModel: [...byModel.values()].map((m) => ({ ...m, costText: formatCost(m.costUsd, m.unknownCost), tokensText: formatTokens(m.tokens) })),
      activity: startNs !== null && endNs !== null ? r.activity(startNs, endNs + 1, 120) : [],
      topCommands: top([...commands].map(([command, count]) => ({ command, count })), (x) => x.count),
      topFiles: top([...fileCounts.values()].map((f) => ({ ...f, bytesText: formatBytes(f.bytes) })), (x) => x.count),
      topHosts: top([...hosts.values()].map((h) => ({ ...h, bytesText: formatBytes(h.bytes) })), (x) => x.count),
      failures: failures.slice(0, 100),
      failuresTotal: failures.length,
      friction,
      completeness,
      completenessText: completenessText(completeness),
      stateText: recordingStateText(r.recordingState(), i.startNs, true),
    };
  });
}

function top<T>(xs: T[], by: (x: T) => number): { rows: T[]; total: number } {
  return { rows: xs.sort((a, b) => by(b) - by(a)).slice(0, TOP_N), total: xs.length };
}

function gaps(calls: LlmCallRow[]): Array<{ ns: number; afterId: number }> {
  const out: Array<{ ns: number; afterId: number }> = [];
  const bySession = new Map<number | null, LlmCallRow[]>();
  for (const c of calls) bySession.set(c.sessionId, [...(bySession.get(c.sessionId) ?? []), c]);
  for (const list of bySession.values()) {
    for (let k = 1; k < list.length; k++) {
      const prevEnd = list[k - 1]!.endNs ?? list[k - 1]!.startNs;
      if (list[k]!.startNs - prevEnd >= LONG_GAP_NS) out.push({ ns: list[k]!.startNs - prevEnd, afterId: list[k - 1]!.id });
    }
  }
  return out.sort((a, b) => b.ns - a.ns).slice(0, TOP_N);
}

function procView(pr: ProcessRow) {
  return {
    id: pr.id,
    pid: pr.pid,
    parentId: pr.parentId,
    sessionId: pr.sessionId,
    name: processName(pr),
    command: formatArgv(pr.argv) || pr.comm,
    argvClipped: pr.argvClipped,
    cwd: pr.cwd,
    startNs: pr.startNs,
    exitNs: pr.exitNs,
    status: exitStatus(pr),
    failed: (pr.exitCode ?? 0) !== 0 || (pr.exitSignal ?? 0) !== 0,
    peakRssText: pr.peakRssKb !== null ? formatBytes(pr.peakRssKb * 1024) : null,
  };
}

export function timeline(r: RecordingReader, p: Params) {
  const sessionId = sessionParam(r, p);
  return r.readSnapshot(() => {
    const i = r.info();
    const sessions = sessionId !== undefined ? [r.session(sessionId)!] : r.sessions().sort((a, b) => a.startNs - b.startNs);
    return {
      startNs: sessionId !== undefined ? sessions[0]!.startNs : i.startNs,
      endNs: sessionId !== undefined ? Math.max(sessions[0]!.endNs ?? 0, sessions[0]!.lastActivityNs) : i.endNs,
      sessions: sessions.map((s) => {
        const calls = r.llmCalls({ sessionId: s.id });
        const tools = r.toolCalls({ sessionId: s.id });
        const procs = r.processes({ sessionId: s.id });
        const changes = r.fileChanges({ sessionId: s.id });
        return {
          id: s.id,
          title: s.title,
          agent: s.agent,
          startNs: s.startNs,
          endNs: s.endNs ?? s.lastActivityNs,
          llmCalls: calls.slice(0, TIMELINE_CALLS).map((c) => ({ id: c.id, model: model(c), startNs: c.startNs, endNs: c.endNs, failed: c.error !== null || (c.httpStatus ?? 0) >= 400 || c.incomplete, tokensText: formatTokens(tokenFigures(c)), costText: formatCost(c.costUsd) })),
          llmCallsOmitted: Math.max(0, calls.length - TIMELINE_CALLS),
          toolCalls: tools.slice(0, TIMELINE_CALLS).map((t) => ({ id: t.id, llmCallId: t.llmCallId, name: t.name, input: t.inputJson.slice(0, 300), startNs: t.tsNs, endNs: t.resultNs, failed: t.resultIsError === true })),
          toolCallsOmitted: Math.max(0, tools.length - TIMELINE_CALLS),
          processes: procs.slice(0, TIMELINE_PROCESSES).map(procView),
          processesOmitted: Math.max(0, procs.length - TIMELINE_PROCESSES),
          fileChanges: changes.slice(0, TIMELINE_CALLS).map((f, k) => ({ id: k + 1, op: f.op, path: f.path, path2: f.path2, startNs: f.firstNs, endNs: f.lastNs, count: f.count, processId: f.processId, failed: false })),
          fileChangesOmitted: Math.max(0, changes.length - TIMELINE_CALLS),
        };
      }),
    };
  });
}

export function tree(r: RecordingReader, p: Params) {
  const sessionId = sessionParam(r, p);
  return r.readSnapshot(() => {
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
              ...e,
              files: e.fileOpIds.map((id) => files.get(id)).filter((f) => f !== undefined).map((f) => `${f.op} ${f.path}`),
            };
          }),
      })),
    };
  });
}

/** One model call in full: its prompt, what is new since the previous call of its session, the tools offered. */
export function llmCall(r: RecordingReader, p: Params) {
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

export function logs(r: RecordingReader, p: Params) {
  const q = logQuery(r, p);
  const limit = intParam(p, 'limit') ?? 200;
  const after = p.get('after') ?? undefined;
  return r.readSnapshot(() => {
    let page;
    try {
      page = r.eventLog({ ...q, after, limit });
    } catch (err) {
      if (err instanceof RangeError) throw new ApiError(err.message);
      throw err;
    }
    // The length of the log, so the list can say how much there is; counted once, on the first page.
    const counts = after ? null : r.eventLogCounts(q);
    return { ...page, counts, countsExact: !q.text, mark: after ? null : markText(r.eventMark()) };
  });
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
export function logsSince(r: RecordingReader, p: Params) {
  const mark = parseMark(p.get('mark'));
  if (!mark) throw new ApiError('mark is required');
  const q = logQuery(r, p);
  const limit = 1000;
  return r.readSnapshot(() => {
    const now = r.eventMark();
    const events = r.eventLogSince(mark, { ...q, limit });
    // More than one answer holds: the page is told, and says so, instead of showing a tail with a hole in it.
    return { events, mark: markText(now), truncated: events.length >= limit };
  });
}

export function metrics(r: RecordingReader, p: Params) {
  const sessionId = sessionParam(r, p);
  return r.readSnapshot(() => {
    const procs = r.processes({ sessionId });
    const sampled = procs
      .map((pr) => ({ pr, samples: r.resourceSamples(pr.id) }))
      .filter((x) => x.samples.length > 0)
      .sort((a, b) => Math.max(...b.samples.map((s) => s.rssKb)) - Math.max(...a.samples.map((s) => s.rssKb)));
    return {
      processes: sampled.slice(0, METRIC_SERIES).map(({ pr, samples }) => ({
        id: pr.id,
        name: processName(pr),
        command: formatArgv(pr.argv) || pr.comm,
        samples: samples.map((s) => [s.tsNs, s.cpuPct, s.rssKb]),
      })),
      sampledProcesses: sampled.length,
      omitted: Math.max(0, sampled.length - METRIC_SERIES),
      unsampledProcesses: procs.length - sampled.length,
      summaryText:
        `${plural(sampled.length, 'process', 'processes')} sampled` +
        (sampled.length > METRIC_SERIES ? `, the ${METRIC_SERIES} with the highest RSS drawn (${sampled.length - METRIC_SERIES} not drawn)` : '') +
        `; ${plural(procs.length - sampled.length, 'process', 'processes')} ran too briefly to be sampled`,
    };
  });
}
