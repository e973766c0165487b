/**
 * Everything shown about one session as of a moment, read through the Store: its process tree with failed execs,
 * files changed, network destinations, LLM calls with their tool calls and what each tool call caused.
 * Shared by the --once printer and the TUI's detail panes; loaded on data ticks and seeks, never per frame.
 */
import type { Completeness, ExecRow, FileChange, FileOpRow, LlmCallRow, NetConnRow, NetDestination, ProcessRow, SessionSummary, RecordingReader, ToolCallRow } from '../store';
import { splitFailedExecs } from '../store/exec-search';
import { formatArgv, processName } from '../present';

export interface ProcessNode {
  readonly proc: ProcessRow;
  readonly children: ProcessNode[];
  /** Real failures (PATH-search misses are only counted: see store/exec-search.ts). */
  readonly failedExecs: ExecRow[];
  /** Failed execs that were misses of a $PATH search the process then completed. */
  readonly pathSearchMisses: number;
}

/** A network destination with its display form. */
export interface NetDest extends NetDestination {
  /** host:port, [v6]:port, or the socket path for unix sockets. */
  target: string;
}

/** What a tool call caused, described for display. */
export interface Effect {
  kind: string;
  id: number;
  label: string;
  /** False for a file operation or connection that failed (an `mkdir -p` of an existing directory, say). */
  ok: boolean;
  method: string;
  confidence: number;
}

export interface DetailLimits {
  processes: number;
  files: number;
  net: number;
  llmCalls: number;
}

/**
 * What --once lists per session before saying "… N more": enough for any single agent run, while a 50-session,
 * 1M-event recording still prints in well under a second.
 */
export const ONCE_LIMITS: DetailLimits = { processes: 150, files: 60, net: 30, llmCalls: 40 };

/** Totals over all sessions for --once; each session gets an equal share, at least ONCE_MIN_LIMITS. */
const ONCE_BUDGET: DetailLimits = { processes: 1500, files: 600, net: 300, llmCalls: 400 };
const ONCE_MIN_LIMITS: DetailLimits = { processes: 20, files: 8, net: 5, llmCalls: 5 };

/** Per-session limits for --once with `sessions` sessions. */
export function onceLimits(sessions: number): DetailLimits {
  const share = (k: keyof DetailLimits) => Math.min(ONCE_LIMITS[k], Math.max(ONCE_MIN_LIMITS[k], Math.floor(ONCE_BUDGET[k] / Math.max(1, sessions))));
  return { processes: share('processes'), files: share('files'), net: share('net'), llmCalls: share('llmCalls') };
}

export interface SessionDetail {
  /** null for the group of processes that belong to no session. */
  summary: SessionSummary | null;
  sessionId: number | null;
  atNs: number;
  roots: ProcessNode[];
  /** The processes in the tree and those of the listed file changes. */
  processById: Map<number, ProcessRow>;
  processCount: number;
  /** Processes not loaded because of limits.processes. */
  processesOmitted: number;
  /** PATH-search misses of the processes loaded (counted, not listed). */
  pathSearchMisses: number;
  fileChanges: FileChange[];
  /** True when more changes exist than limits.files. */
  moreFileChanges: boolean;
  /** Every change as of atNs, listed or not, per op (exact even when the list is cut). */
  fileChangeCounts: Array<{ op: string; count: number }>;
  fileChangeTotal: number;
  /** Files changed as every view counts them: distinct paths (store.filesChanged). */
  filesChanged: number;
  /** The session's workspace: its root process's working directory (null when unknown). */
  workspace: string | null;
  /** fileChanges and the counts above hold only changes under `workspace` (the TUI's "workspace only"). */
  workspaceOnly: boolean;
  /** Changes left out because they are outside the workspace (0 unless workspaceOnly). */
  changesOutsideWorkspace: number;
  netDests: NetDest[];
  moreNetDests: boolean;
  /** Destinations as of atNs, listed or not. */
  netDestTotal: number;
  /** The most recent limits.llmCalls calls, in start order. */
  llmCalls: LlmCallRow[];
  llmCallsOmitted: number;
  toolCallsByCall: Map<number, ToolCallRow[]>;
  effectsByToolCall: Map<number, Effect[]>;
  /** Each listed call's prompt (the last user turn, store/message-text.ts), when asked for (opts.prompts). */
  promptByCall?: Map<number, string | null>;
  /** What was captured of this session and what could not be (the whole recording for the no-session group). */
  completeness: Completeness;
}

/** Characters of each prompt read for the session view's story (one line each; the call's view has it whole). */
const PROMPT_CHARS = 2000;

/** Build a forest from processes (in start order): a process whose parent is not in the set is a root. */
export function buildProcessForest(procs: readonly ProcessRow[], failed: readonly ExecRow[] = [], misses?: ReadonlyMap<number, number>): ProcessNode[] {
  const nodes = new Map<number, ProcessNode>();
  for (const p of procs) nodes.set(p.id, { proc: p, children: [], failedExecs: [], pathSearchMisses: misses?.get(p.id) ?? 0 });
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

/** Display form of a destination: host:port, [v6]:port, or a unix socket's path. */
export function netTarget(d: NetDestination): string {
  if (d.family === 'unix') return d.addr;
  const port = d.port !== null ? ':' + d.port : '';
  return d.family === 'inet6' ? `[${d.addr}]${port}` : `${d.addr}${port}`;
}

/** Load one session (or, with sessionId null and no sessions recorded, every process) as of atNs. */
export function loadSessionDetail(
  store: RecordingReader,
  summary: SessionSummary | null,
  atNs: number,
  limits: DetailLimits = ONCE_LIMITS,
  allLlmCalls = 0,
  withEffects = true,
  opts: { workspaceOnly?: boolean; prompts?: boolean } = {},
): SessionDetail {
  const sessionId = summary ? summary.id : undefined;
  const q = { atNs, sessionId };
  const procs = store.processes({ ...q, limit: limits.processes + 1 });
  const rootId = summary?.rootProcessId ?? null;
  const workspace = rootId === null ? null : (procs.find((p) => p.id === rootId) ?? store.process(rootId))?.cwd ?? null;
  // Only changes under the workspace, when asked and known; how many were left out is counted below.
  const fq = opts.workspaceOnly && workspace ? { ...q, under: workspace } : q;
  const omitted = procs.length > limits.processes ? (summary?.processes ?? procs.length) - limits.processes : 0;
  if (procs.length > limits.processes) procs.length = limits.processes;
  // Failed execs of the processes shown (they hang under them), by process id: a handful of index lookups instead
  // of reading every failed exec of the recording (they are spread over the whole execs table).
  const failed = procs.length > 0 ? store.execs({ ...q, failedOnly: true, processIds: procs.map((p) => p.id) }) : [];
  // Telling failures from PATH-search misses needs the successful execs, of the few processes that failed one.
  const split = splitFailedExecs(failed.length > 0 ? store.execs({ ...q, processIds: [...new Set(failed.map((e) => e.processId))] }) : []);
  const processById = new Map(procs.map((p) => [p.id, p]));
  const roots = buildProcessForest(procs, split.failures, split.missesByProcess);

  const fileChanges = store.fileChanges({ ...fq, limit: limits.files + 1 });
  const moreFileChanges = fileChanges.length > limits.files;
  if (moreFileChanges) fileChanges.length = limits.files;
  // The process of each listed change, also when the tree's cut left it out (one lookup by id for those).
  const unlisted = [...new Set(fileChanges.map((f) => f.processId).filter((id): id is number => id !== null && !processById.has(id)))];
  if (unlisted.length > 0) for (const p of store.processes({ atNs, ids: unlisted })) processById.set(p.id, p);
  const netDests: NetDest[] = store.netDestinations({ ...q, limit: limits.net + 1 }).map((d) => ({ ...d, target: netTarget(d) }));
  const moreNetDests = netDests.length > limits.net;
  if (moreNetDests) netDests.length = limits.net;
  // Totals of cut lists are counted (never guessed); a list that is not cut is its own count.
  let fileChangeCounts: Array<{ op: string; count: number }>;
  if (moreFileChanges) fileChangeCounts = store.fileChangeCounts(fq);
  else {
    const byOp = new Map<string, number>();
    for (const f of fileChanges) byOp.set(f.op, (byOp.get(f.op) ?? 0) + 1);
    fileChangeCounts = [...byOp].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([op, count]) => ({ op, count }));
  }
  const fileChangeTotal = fileChangeCounts.reduce((n, c) => n + c.count, 0);
  const changesOutsideWorkspace = fq === q ? 0 : store.fileChangeCounts(q).reduce((n, c) => n + c.count, 0) - fileChangeTotal;
  const netDestTotal = moreNetDests ? store.netDestinationCount(q) : netDests.length;

  const totalCalls = summary ? summary.llmCalls : allLlmCalls;
  const llmCalls = totalCalls > limits.llmCalls ? store.recentLlmCalls({ ...q, limit: limits.llmCalls }) : store.llmCalls(q);
  const toolCallsByCall = new Map<number, ToolCallRow[]>();
  const effectsByToolCall = new Map<number, Effect[]>();
  // Tool calls: one query for the session (its index covers session and time), grouped by the calls shown.
  const shown = new Set(llmCalls.map((c) => c.id));
  const firstShownNs = llmCalls.length > 0 ? llmCalls[0].startNs : atNs;
  if (llmCalls.length > 0) {
    // Few calls shown (--once on a big recording): one indexed lookup per call beats reading the session's list.
    const perCall = sessionId === undefined || llmCalls.length * 4 < (summary?.llmCalls ?? 0);
    const tools = perCall ? store.toolCalls({ atNs, llmCallIds: llmCalls.map((c) => c.id) }) : store.toolCalls({ atNs, sessionId });
    for (const t of tools) {
      if (t.tsNs < firstShownNs && !shown.has(t.llmCallId)) continue;
      if (!shown.has(t.llmCallId)) continue;
      let list = toolCallsByCall.get(t.llmCallId);
      if (!list) toolCallsByCall.set(t.llmCallId, (list = []));
      list.push(t);
    }
  }
  // What each tool call caused: point lookups per shown tool call, only when asked (--once, detail views).
  if (withEffects && toolCallsByCall.size > 0) {
    // One query for the links of every tool call shown; in link order, as per-call queries returned them.
    const ids: number[] = [];
    for (const list of toolCallsByCall.values()) for (const t of list) ids.push(t.id);
    const links = store.causalLinks({ toolCallIds: ids });
    // The effects' rows, one query per kind (by id; rows that started after atNs are not returned, as before).
    const wanted = (kind: string, skip?: Map<number, unknown>) => [...new Set(links.filter((l) => l.targetKind === kind && !skip?.has(l.targetId)).map((l) => l.targetId))];
    const byId = <R extends { id: number }>(rows: R[]) => new Map(rows.map((r) => [r.id, r]));
    const procIds = wanted('process', processById);
    const fileIds = wanted('file_op');
    const netIds = wanted('net_conn');
    const targets: EffectTargets = {
      processes: processById,
      otherProcesses: procIds.length > 0 ? byId(store.processes({ atNs, ids: procIds })) : new Map(),
      fileOps: fileIds.length > 0 ? byId(store.fileOps({ atNs, ids: fileIds })) : new Map(),
      netConns: netIds.length > 0 ? byId(store.netConns({ atNs, ids: netIds })) : new Map(),
    };
    for (const link of links) {
      const eff = describeEffect(targets, link.targetKind, link.targetId, atNs);
      if (!eff) continue;
      let effects = effectsByToolCall.get(link.toolCallId);
      if (!effects) effectsByToolCall.set(link.toolCallId, (effects = []));
      effects.push({ ...eff, method: link.method, confidence: link.confidence });
    }
  }
  const promptByCall = opts.prompts && llmCalls.length > 0
    ? new Map(store.llmCallTexts({ atNs, sessionId, maxChars: PROMPT_CHARS }).filter((t) => shown.has(t.id)).map((t) => [t.id, t.prompt]))
    : undefined;
  return {
    promptByCall,
    summary,
    sessionId: summary ? summary.id : null,
    completeness: store.completeness(summary ? { atNs, sessionId: summary.id } : { atNs }),
    atNs,
    roots,
    processById,
    processCount: summary ? summary.processes : procs.length,
    processesOmitted: Math.max(0, omitted),
    pathSearchMisses: split.misses,
    fileChanges,
    moreFileChanges,
    fileChangeCounts,
    fileChangeTotal,
    filesChanged: store.filesChanged(summary ? { atNs, sessionId: summary.id } : { atNs }),
    workspace,
    workspaceOnly: fq !== q,
    changesOutsideWorkspace,
    netDests,
    moreNetDests,
    netDestTotal,
    llmCalls,
    llmCallsOmitted: Math.max(0, totalCalls - llmCalls.length),
    toolCallsByCall,
    effectsByToolCall,
  };
}

/** Rows an effect can point at: the processes shown, and the other targets read by id. */
interface EffectTargets {
  processes: Map<number, ProcessRow>;
  otherProcesses: Map<number, ProcessRow>;
  fileOps: Map<number, FileOpRow>;
  netConns: Map<number, NetConnRow>;
}

function describeEffect(t: EffectTargets, kind: string, id: number, atNs: number): Omit<Effect, 'method' | 'confidence'> | null {
  if (kind === 'process') {
    const p = t.processes.get(id) ?? t.otherProcesses.get(id);
    if (!p || p.startNs > atNs) return null;
    return { kind, id, label: `${p.pid} ${p.argv.length > 0 ? formatArgv(p.argv) : processName(p)}`, ok: true };
  }
  if (kind === 'file_op') {
    const f = t.fileOps.get(id);
    if (!f || f.firstNs > atNs) return null;
    return { kind, id, label: `${f.op} ${f.path}${f.path2 ? ' → ' + f.path2 : ''}`, ok: f.result >= 0 };
  }
  if (kind === 'net_conn') {
    const c = t.netConns.get(id);
    if (!c || c.firstNs > atNs) return null;
    return { kind, id, label: `${c.op} ${c.host ?? c.addr}${c.port !== null ? ':' + c.port : ''}`, ok: c.result >= 0 || c.result === -115 /* EINPROGRESS */ };
  }
  return { kind, id, label: `${kind} #${id}`, ok: true };
}
