/**
 * Everything shown about one session as of a moment, read through the Store: its process tree with failed execs,
 * files changed, network destinations, LLM calls with their tool calls and what each tool call caused.
 * Shared by the --once printer and the TUI's detail panes; loaded on data ticks and seeks, never per frame.
 */
import type { ExecRow, FileChange, LlmCallRow, NetConnRow, ProcessRow, SessionSummary, Store, ToolCallRow } from '../store';
import { formatArgv, processName } from './format';

export interface ProcessNode {
  readonly proc: ProcessRow;
  readonly children: ProcessNode[];
  readonly failedExecs: ExecRow[];
}

/** A network destination: connections of one kind to one address, summed. */
export interface NetDest {
  op: string;
  family: string;
  proto: string | null;
  /** host:port, [v6]:port, or the socket path for unix sockets. */
  target: string;
  host: string | null;
  count: number;
  failures: number;
  bytesSent: number;
  bytesRecv: number;
  firstNs: number;
  lastNs: number;
  processIds: number[];
}

/** What a tool call caused, described for display. */
export interface Effect {
  kind: string;
  id: number;
  label: string;
  method: string;
  confidence: number;
}

export interface DetailLimits {
  processes: number;
  files: number;
  net: number;
  llmCalls: number;
}

export const ONCE_LIMITS: DetailLimits = { processes: 400, files: 200, net: 100, llmCalls: 200 };

export interface SessionDetail {
  /** null for the group of processes that belong to no session. */
  summary: SessionSummary | null;
  sessionId: number | null;
  atNs: number;
  roots: ProcessNode[];
  processById: Map<number, ProcessRow>;
  processCount: number;
  /** Processes not loaded because of limits.processes. */
  processesOmitted: number;
  fileChanges: FileChange[];
  netDests: NetDest[];
  /** The most recent limits.llmCalls calls, in start order. */
  llmCalls: LlmCallRow[];
  llmCallsOmitted: number;
  toolCallsByCall: Map<number, ToolCallRow[]>;
  effectsByToolCall: Map<number, Effect[]>;
}

/** Build a forest from processes (in start order): a process whose parent is not in the set is a root. */
export function buildProcessForest(procs: readonly ProcessRow[], failed: readonly ExecRow[] = []): ProcessNode[] {
  const nodes = new Map<number, ProcessNode>();
  for (const p of procs) nodes.set(p.id, { proc: p, children: [], failedExecs: [] });
  for (const e of failed) nodes.get(e.processId)?.failedExecs.push(e);
  const roots: ProcessNode[] = [];
  for (const p of procs) {
    const node = nodes.get(p.id)!;
    const parent = p.parentId !== null && p.parentId !== p.id ? nodes.get(p.parentId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

export interface TreeLine {
  node: ProcessNode;
  depth: number;
  /** Branch drawing for this line ('├─ ', '│  └─ ' …). */
  prefix: string;
  /** Prefix for lines hanging under this one (failed execs). */
  childPrefix: string;
}

/** Depth-first lines of a forest with branch drawing; iterative so a deep fork chain cannot overflow the stack. */
export function flattenForest(roots: readonly ProcessNode[], ascii = false, max = Number.MAX_SAFE_INTEGER): TreeLine[] {
  const [tee, elbow, pipe, blank] = ascii ? ['|- ', '`- ', '|  ', '   '] : ['├─ ', '└─ ', '│  ', '   '];
  const out: TreeLine[] = [];
  const stack: Array<{ node: ProcessNode; depth: number; lead: string; last: boolean; root: boolean }> = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push({ node: roots[i], depth: 0, lead: '', last: true, root: true });
  while (stack.length > 0 && out.length < max) {
    const { node, depth, lead, last, root } = stack.pop()!;
    const prefix = root ? '' : lead + (last ? elbow : tee);
    const childLead = root ? '' : lead + (last ? blank : pipe);
    out.push({ node, depth, prefix, childPrefix: childLead + (node.children.length > 0 ? pipe : blank) });
    for (let i = node.children.length - 1; i >= 0; i--) {
      stack.push({ node: node.children[i], depth: depth + 1, lead: childLead, last: i === node.children.length - 1, root: false });
    }
  }
  return out;
}

/** Group connections by destination. */
export function groupNetDests(conns: readonly NetConnRow[]): NetDest[] {
  const byKey = new Map<string, NetDest>();
  for (const c of conns) {
    const target =
      c.family === 'unix' ? c.addr : c.family === 'inet6' ? `[${c.addr}]${c.port !== null ? ':' + c.port : ''}` : `${c.addr}${c.port !== null ? ':' + c.port : ''}`;
    const key = `${c.op}\0${c.family}\0${c.proto ?? ''}\0${target}`;
    let d = byKey.get(key);
    if (!d) {
      d = { op: c.op, family: c.family, proto: c.proto, target, host: c.host, count: 0, failures: 0, bytesSent: 0, bytesRecv: 0, firstNs: c.firstNs, lastNs: c.lastNs, processIds: [] };
      byKey.set(key, d);
    }
    d.count += c.count;
    // -EINPROGRESS (115) is a non-blocking connect under way, not a failure.
    if (c.result < 0 && c.result !== -115) d.failures += c.count;
    d.bytesSent += c.bytesSent;
    d.bytesRecv += c.bytesRecv;
    d.host ??= c.host;
    d.firstNs = Math.min(d.firstNs, c.firstNs);
    d.lastNs = Math.max(d.lastNs, c.lastNs);
    if (!d.processIds.includes(c.processId)) d.processIds.push(c.processId);
  }
  return [...byKey.values()].sort((a, b) => a.firstNs - b.firstNs);
}

/** Load one session (or, with sessionId null and no sessions recorded, every process) as of atNs. */
export function loadSessionDetail(
  store: Store,
  summary: SessionSummary | null,
  atNs: number,
  limits: DetailLimits = ONCE_LIMITS,
): SessionDetail {
  const sessionId = summary ? summary.id : undefined;
  const q = { atNs, sessionId };
  const procs = store.processes({ ...q, limit: limits.processes + 1 });
  const omitted = procs.length > limits.processes ? (summary?.processes ?? procs.length) - limits.processes : 0;
  if (procs.length > limits.processes) procs.length = limits.processes;
  const failed = store.execs({ ...q, failedOnly: true, limit: limits.processes * 4 });
  const processById = new Map(procs.map((p) => [p.id, p]));
  const roots = buildProcessForest(procs, failed);

  const fileChanges = store.fileChanges({ ...q, limit: limits.files });
  const netDests = groupNetDests(store.netConns({ ...q, limit: limits.net * 20 })).slice(0, limits.net);

  const totalCalls = summary ? summary.llmCalls : store.info().counts.llmCalls;
  const llmCalls = totalCalls > limits.llmCalls ? lastCalls(store, q, limits.llmCalls) : store.llmCalls(q);
  const firstShownNs = llmCalls.length > 0 ? llmCalls[0].startNs : atNs;
  const toolCallsByCall = new Map<number, ToolCallRow[]>();
  const shownCalls = new Set(llmCalls.map((c) => c.id));
  const effectsByToolCall = new Map<number, Effect[]>();
  if (llmCalls.length > 0) {
    for (const t of store.toolCalls(q)) {
      if (t.tsNs < firstShownNs || !shownCalls.has(t.llmCallId)) continue;
      let list = toolCallsByCall.get(t.llmCallId);
      if (!list) toolCallsByCall.set(t.llmCallId, (list = []));
      list.push(t);
    }
    const shownTools = new Set<number>();
    for (const list of toolCallsByCall.values()) for (const t of list) shownTools.add(t.id);
    if (shownTools.size > 0) {
      for (const link of store.causalLinks(sessionId !== undefined ? { sessionId } : {})) {
        if (!shownTools.has(link.toolCallId)) continue;
        const eff = describeEffect(store, link.targetKind, link.targetId, processById, atNs);
        if (!eff) continue;
        let list = effectsByToolCall.get(link.toolCallId);
        if (!list) effectsByToolCall.set(link.toolCallId, (list = []));
        list.push({ ...eff, method: link.method, confidence: link.confidence });
      }
    }
  }
  return {
    summary,
    sessionId: summary ? summary.id : null,
    atNs,
    roots,
    processById,
    processCount: summary ? summary.processes : procs.length,
    processesOmitted: Math.max(0, omitted),
    fileChanges,
    netDests,
    llmCalls,
    llmCallsOmitted: Math.max(0, totalCalls - llmCalls.length),
    toolCallsByCall,
    effectsByToolCall,
  };
}

function lastCalls(store: Store, q: { atNs: number; sessionId?: number }, n: number): LlmCallRow[] {
  // llmCalls() orders by start ascending; the newest n are found by first counting, which the summary already did.
  const all = store.llmCalls(q);
  return all.slice(Math.max(0, all.length - n));
}

function describeEffect(
  store: Store,
  kind: string,
  id: number,
  procs: Map<number, ProcessRow>,
  atNs: number,
): Omit<Effect, 'method' | 'confidence'> | null {
  if (kind === 'process') {
    const p = procs.get(id) ?? store.process(id);
    if (!p || p.startNs > atNs) return null;
    return { kind, id, label: `${p.pid} ${p.argv.length > 0 ? formatArgv(p.argv) : processName(p)}` };
  }
  if (kind === 'file_op') {
    const f = store.fileOp(id);
    if (!f || f.firstNs > atNs) return null;
    return { kind, id, label: `${f.op} ${f.path}${f.path2 ? ' → ' + f.path2 : ''}` };
  }
  if (kind === 'net_conn') {
    const c = store.netConn(id);
    if (!c || c.firstNs > atNs) return null;
    return { kind, id, label: `${c.op} ${c.host ?? c.addr}${c.port !== null ? ':' + c.port : ''}` };
  }
  return { kind, id, label: `${kind} #${id}` };
}
