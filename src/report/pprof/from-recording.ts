/**
 * Facts of a recording, read through RecordingReader only: each LLM call (tokens by kind, cost, model time) under
 * its session's project, agent and session, tagged by what prompted it — the tool results its request carried, or
 * the user's prompt — and each tool call (tool time) tagged by what it did.
 */
import type { LlmCallRow, RecordingReader, SessionSummary, ToolCallRow } from '../../store';
import { oneLine } from '../../present';
import { callModel, callTokens } from '../llm-usage';
import { filePathFrames } from './file-frames';
import { VALUE_INDEX, zeroValues, type Attrs, type Fact, type FactSet } from './sample-model';
import { toolInput, type Tagger } from './tag-rules';
import { MicroDollars, pushCallFacts } from './token-facts';

export interface RecordingFactOptions {
  tagger: Tagger;
  /** Resolve each tool call's file (input, else the first file its effects touched): only the files view needs it. */
  files: boolean;
}

const NO_SESSION = 'no session';
const UNKNOWN = 'unknown';

interface SessionFrames {
  project: string;
  agent: string;
  session: string;
}

export function recordingFacts(r: RecordingReader, opts: RecordingFactOptions): FactSet {
  return r.readSnapshot(() => read(r, opts));
}

function read(r: RecordingReader, opts: RecordingFactOptions): FactSet {
  const calls = r.llmCalls();
  const tools = r.toolCalls();
  const sessions = r.sessions();
  const frames = sessionFrames(r, sessions);
  const frameOf = (sessionId: number | null): SessionFrames =>
    (sessionId !== null ? frames.get(sessionId) : undefined) ?? { project: UNKNOWN, agent: UNKNOWN, session: sessionId === null ? NO_SESSION : `#${sessionId}` };

  // Each tool call once: its tag, name and file; the calls whose request carried its result look it up.
  const effectFiles = opts.files ? firstChangedFiles(r) : new Map<number, string>();
  const toolInfo = new Map<number, { tag: string; name: string; file: string | null }>();
  const resultsOf = new Map<number, ToolCallRow[]>();
  for (const t of tools) {
    const input = toolInput(t.inputJson);
    toolInfo.set(t.id, { tag: opts.tagger.tool(t.name, input.command), name: t.name, file: opts.files ? (input.file ?? effectFiles.get(t.id) ?? null) : null });
    if (t.resultLlmCallId !== null) {
      const list = resultsOf.get(t.resultLlmCallId);
      if (list) list.push(t);
      else resultsOf.set(t.resultLlmCallId, [t]);
    }
  }
  const prompts = opts.tagger.classifiesPrompts ? promptTexts(r) : new Map<number, string | null>();

  const facts: Fact[] = [];
  const money = new MicroDollars();
  const unknownModels = new Set<string>();
  let unknownPrice = 0;
  let noEnd = 0;
  let startNs: number | null = null;
  let endNs: number | null = null;
  for (const c of calls) {
    const f = frameOf(c.sessionId);
    const model = callModel(c) ?? 'unknown model';
    const triggers = resultsOf.get(c.id) ?? [];
    // One literal of a fixed shape per fact (a spread plus later keys made V8 build slower objects, 10k times).
    let tag: string;
    let tool: string | undefined;
    let file: readonly string[] | undefined;
    if (triggers.length) {
      const infos = triggers.map((t) => toolInfo.get(t.id)!);
      tag = unique(infos.map((i) => i.tag)).join('+');
      tool = unique(infos.map((i) => i.name)).join('+');
      const path = opts.files ? infos.find((i) => i.file)?.file : undefined;
      if (path) file = filePathFrames(path, f.project);
    } else {
      tag = opts.tagger.prompt(prompts.get(c.id) ?? null);
    }
    const attrs: Attrs = { project: f.project, agent: f.agent, session: f.session, tag, model, phase: 'model', what: model, tool, file };
    let costMicro: number | null = null;
    if (c.costUsd !== null && Number.isFinite(c.costUsd)) costMicro = money.add(c.costUsd);
    else {
      unknownPrice++;
      unknownModels.add(model);
    }
    if (c.endNs === null) noEnd++;
    pushCallFacts(facts, { attrs, tokens: callTokens(c), costMicro, timeMs: callMs(c) });
    startNs = startNs === null ? c.startNs : Math.min(startNs, c.startNs);
    endNs = Math.max(endNs ?? 0, c.endNs ?? c.startNs);
  }

  let noResult = 0;
  for (const t of tools) {
    const f = frameOf(t.sessionId);
    const info = toolInfo.get(t.id)!;
    const values = zeroValues();
    values[VALUE_INDEX.tool_calls] = 1;
    if (t.resultNs !== null && t.resultNs >= t.tsNs) values[VALUE_INDEX.time] = Math.round((t.resultNs - t.tsNs) / 1e6);
    else noResult++;
    const file = info.file ? filePathFrames(info.file, f.project) : undefined;
    const attrs: Attrs = { project: f.project, agent: f.agent, session: f.session, tag: info.tag, model: undefined, phase: 'tool', what: info.name, tool: info.name, file };
    facts.push({ attrs, values });
  }

  const notes: string[] = [];
  if (noEnd) notes.push(`${noEnd} LLM call(s) without an end (stream cut off or recording stopped): no model time counted for them`);
  if (noResult) notes.push(`${noResult} tool call(s) without a recorded result: no tool time counted for them`);
  return { source: r.path, facts, unknownPrice: { calls: unknownPrice, models: [...unknownModels].sort() }, startNs, endNs, notes };
}

function callMs(c: LlmCallRow): number {
  return c.endNs !== null && c.endNs >= c.startNs ? Math.round((c.endNs - c.startNs) / 1e6) : 0;
}

/** project (the root process's working directory), agent and "#id title" per session. */
function sessionFrames(r: RecordingReader, sessions: readonly SessionSummary[]): Map<number, SessionFrames> {
  const rootIds = sessions.map((s) => s.rootProcessId).filter((id): id is number => id !== null);
  const cwd = new Map(r.processes({ ids: rootIds }).map((p) => [p.id, p.cwd]));
  const out = new Map<number, SessionFrames>();
  for (const s of sessions) {
    const project = (s.rootProcessId !== null ? cwd.get(s.rootProcessId) : null) ?? UNKNOWN;
    out.set(s.id, { project, agent: s.agent ?? UNKNOWN, session: `#${s.id} ${oneLine(s.title, 40)}`.trimEnd() });
  }
  return out;
}

/** The last user turn of each call, for prompt rules. */
function promptTexts(r: RecordingReader): Map<number, string | null> {
  return new Map(r.llmCallTexts({ maxChars: 2000 }).map((t) => [t.id, t.prompt]));
}

/** For tool calls whose input names no file: the first file operation their effects made, by causal link. */
function firstChangedFiles(r: RecordingReader): Map<number, string> {
  const links = r.causalLinks({}).filter((l) => l.targetKind === 'file_op');
  const ops = new Map(r.fileOps({ ids: unique(links.map((l) => l.targetId)) }).map((o) => [o.id, o.path]));
  const out = new Map<number, string>();
  for (const l of links) {
    const p = ops.get(l.targetId);
    if (p && !out.has(l.toolCallId)) out.set(l.toolCallId, p);
  }
  return out;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
