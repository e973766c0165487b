/**
 * Plain-text printer of `top --once`: no escape codes, every line at most `width` columns, deterministic for a
 * given recording, moment, width and time zone (TZ=UTC in tests).
 */
import type { LlmCallRow, ToolCallRow } from '../store';
import {
  completenessText,
  containerLabel,
  errnoName,
  notDecryptedLines,
  exitStatus,
  formatArgv,
  formatBytes,
  formatClock,
  formatClockMs,
  formatCallTokens,
  formatCost,
  formatTokens,
  formatCount,
  formatDateTime,
  formatDuration,
  plural,
  recordingStateText,
  processDurationNs,
  clean,
  isNarrow,
  strWidth,
  toAscii,
  toolCallLabel,
  truncate,
  truncateLeft,
} from '../present';
import type { OnceReport } from './once-report';
import { flattenForest, type Effect, type ProcessNode, type SessionDetail } from './session-detail';

export interface OnceTextOptions {
  width: number;
  ascii?: boolean;
  utc?: boolean;
}

/** What each successful change operation means to a reader of "file changes". */
const CHANGE_VERB: Record<string, string> = {
  create: 'created', mkdir: 'created', link: 'created', symlink: 'created',
  write: 'modified', truncate: 'modified', chmod: 'modified', fallocate: 'modified', mmap: 'modified',
  unlink: 'deleted', rmdir: 'deleted',
  rename: 'renamed',
};

class Lines {
  readonly out: string[] = [];
  constructor(readonly width: number, readonly ellipsis: string, readonly ascii: boolean) {}
  /** Add a line, cleaned of control characters and cut to the width. */
  add(text: string): void {
    // Most lines are one-column text without control characters: clean() would return them as they are and their
    // width is their length, so one test replaces clean's two and truncate's width count (4,000 lines per --once).
    if (isNarrow(text)) {
      const t = this.ascii ? toAscii(text) : text;
      // trimEnd strips the same characters as /\s+$/ without the regex's backtracking over every run of spaces.
      this.out.push((t.length <= this.width ? t : truncate(t, this.width, this.ellipsis)).trimEnd());
      return;
    }
    let t = clean(text);
    if (this.ascii) t = toAscii(t);
    this.out.push(truncate(t, this.width, this.ellipsis).trimEnd());
  }
  blank(): void {
    this.out.push('');
  }
}

export function renderOnceText(r: OnceReport, opts: OnceTextOptions): string {
  return renderOnceLines(r, opts).join('\n') + '\n';
}

/** The lines of renderOnceText (no newlines), for writers that encode them without one big string first. */
export function renderOnceLines(r: OnceReport, opts: OnceTextOptions): string[] {
  const width = Math.max(20, Math.floor(opts.width));
  const ascii = opts.ascii ?? false;
  const utc = opts.utc ?? false;
  const dot = ascii ? ' - ' : ' · ';
  const L = new Lines(width, ascii ? '...' : '…', ascii);
  const atEnd = r.atNs >= r.endNs;

  L.add(`agentsight recording ${r.info.path}`);
  // The recorded command is the root of the tree below when `record` ran it: show it once, there.
  if (r.command !== null && !r.sessions.some((s) => s.roots.some((n) => formatArgv(n.proc.argv) === r.command))) L.add(`command: ${r.command}`);
  if (r.info.counts.sessions + r.info.counts.processes + r.info.counts.llmCalls === 0 && r.info.startNs === null) {
    L.add('empty recording: nothing was captured');
  } else {
    L.add(
      `start ${formatDateTime(r.startNs, utc)}${dot}duration ${formatDuration(r.endNs - r.startNs)}${dot}` +
        `as of ${formatClock(r.atNs, utc)} (+${formatDuration(r.atNs - r.startNs)}${atEnd ? ', end' : ''})`,
    );
  }
  const ended = recordingStateText(r.recordingState, r.startNs, utc);
  if (ended !== null) L.add(`Recording: ${ended}`);
  const c = r.info.counts;
  L.add(
    [
      plural(r.sessions.filter((s) => s.summary).length, 'session'),
      plural(c.processes, 'process', 'processes'),
      plural(c.execs, 'exec'),
      plural(c.fileOps, 'file op'),
      plural(c.netConns, 'network op'),
      plural(c.llmCalls, 'LLM call'),
      plural(c.toolCalls, 'tool call'),
    ].join(dot) + (atEnd ? '' : ' (whole recording)'),
  );
  const lost = r.lossTotals.reduce((n, l) => n + l.count, 0);
  if (lost === 0) L.add('losses: none');
  else {
    L.add(
      `losses: ${lost} lost: ` +
        r.lossTotals.map((l) => `${l.source} ${l.count}${l.bytes > 0 ? ` (${formatBytes(l.bytes)})` : ''}`).join(', '),
    );
  }
  L.add(`completeness: ${completenessText(r.completeness)}`);
  for (const l of notDecryptedLines(r.completeness)) L.add(`  ${l}`);
  // One line up here (what was probed, where): the discovery details of each binary come after the sessions, so a
  // snapshot opens with what the agents did, not with 3-5 lines of probe reports.
  if (r.tlsTargets.length === 0) L.add('TLS: no binaries examined');
  else L.add(`TLS: ${tlsSummary(r.tlsTargets)} (details at the end)`);
  if (r.unattributedProcesses) L.add(`${plural(r.unattributedProcesses, 'process', 'processes')} outside any session`);

  for (const s of r.sessions) renderSession(L, s, utc, dot, ascii);
  if (r.tlsTargets.length > 0) {
    L.blank();
    L.add(`TLS probes: ${plural(r.tlsTargets.length, 'binary examined', 'binaries examined')}`);
    for (const t of r.tlsTargets) {
      const found = t.status === 'attached' ? `found ${t.stack ?? 'TLS'}, probes attached` : t.status === 'not-found' ? 'TLS not found' : `TLS ${t.status}`;
      L.add(`TLS ${t.path}: ${found}${t.detail ? ` (${t.detail})` : ''}`);
    }
  }
  return L.out;
}

/** "probes in node (openssl), libssl.so.3 (openssl); none in dash": the binaries by what was found in them. */
function tlsSummary(targets: OnceReport['tlsTargets']): string {
  const name = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  const probed = targets.filter((t) => t.status === 'attached').map((t) => `${name(t.path)} (${t.stack ?? 'TLS'})`);
  const none = targets.filter((t) => t.status === 'not-found').map((t) => name(t.path));
  const failed = targets.filter((t) => t.status !== 'attached' && t.status !== 'not-found').map((t) => `${name(t.path)} (${t.status})`);
  return [
    probed.length > 0 ? `probes in ${probed.join(', ')}` : 'no probes attached',
    none.length > 0 ? `no TLS stack in ${none.join(', ')}` : '',
    failed.length > 0 ? `failed in ${failed.join(', ')}` : '',
  ].filter(Boolean).join('; ');
}

/**
 * Lines as UTF-8, each followed by a newline: what renderOnceText's string would encode to. Written into one buffer
 * line by line because joining ~4,000 lines into one string (two-byte once any line has a box-drawing character)
 * and then encoding that took ~15 ms of a ~340 ms `top --once`, and allocated 1.4 MB a scavenge then copied.
 */
export function encodeLines(lines: readonly string[]): Buffer {
  // Indexed loops: this runs once per process, in code not yet optimized, where for-of allocates per element.
  let max = 0;
  for (let i = 0; i < lines.length; i++) max += lines[i].length * 3 + 1; // a UTF-16 unit is at most 3 UTF-8 bytes
  const buf = Buffer.allocUnsafe(max);
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    at += buf.write(lines[i], at);
    buf[at++] = 0x0a;
  }
  return buf.subarray(0, at);
}

function renderSession(L: Lines, d: SessionDetail, utc: boolean, dot: string, ascii: boolean, story = false): void {
  const s = d.summary;
  L.blank();
  const rule = ascii ? '=' : '═';
  if (s) {
    // A session titled with its root's command line (a recorded command) needs no title: the tree shows it.
    const titleIsRoot = d.roots.some((n) => n.proc.argv.join(' ') === s.title || formatArgv(n.proc.argv) === s.title);
    const head = `${rule}${rule} session ${s.id}${dot}${s.agent ?? 'unknown agent'}${titleIsRoot ? '' : `${dot}${s.title}`} `;
    L.add(head + rule.repeat(Math.max(0, ruleWidth(L.width) - strWidth(clean(head)))));
    const end = s.endNs !== null && s.endNs <= d.atNs ? s.endNs : d.atNs;
    const facts = [
      `started ${formatClock(s.startNs, utc)}`,
      formatDuration(end - s.startNs) + (s.endNs === null || s.endNs > d.atNs ? ' (active)' : ''),
      `${plural(s.processes, 'process', 'processes')} (${s.liveProcesses} running)`,
      plural(s.llmCalls, 'LLM call'),
      `tokens ${formatCount(s.totalTokens)} (${formatTokens(s)})`,
      formatCost(s.llmCalls === 0 ? 0 : s.costUsd),
      plural(s.errors, 'error'),
      `${s.failedToolCalls}/${s.toolCalls} tool calls failed`,
      `losses ${s.losses}`,
    ];
    if (s.models.length > 0) facts.splice(4, 0, s.models.join(', '));
    addWrapped(L, facts, dot);
  } else {
    const head = `${rule}${rule} all processes (no sessions recorded) `;
    L.add(head + rule.repeat(Math.max(0, ruleWidth(L.width) - strWidth(head))));
  }
  L.add(`completeness: ${completenessText(d.completeness)}`);
  // The story first (the TUI's session view): the model calls and what they caused, then the full lists.
  if (story) {
    renderCalls(L, d, utc, ascii, true);
    L.blank();
  }

  // ---- process tree
  // PATH-search misses are counted here, not listed (store/exec-search.ts); real failed execs hang under their process.
  L.add(`processes: ${d.processCount}` + (d.pathSearchMisses > 0 ? `${dot}${plural(d.pathSearchMisses, 'failed exec')} of $PATH searches not listed` : ''));
  const { roots, folded } = foldSubshells(d.roots, d.atNs);
  const lines = flattenForest(roots, ascii);
  for (let i = 0; i < lines.length; i++) {
    const tl = lines[i];
    const n = folded.get(tl.node.proc.id) ?? 0;
    L.add(processLine('  ' + tl.prefix, tl.node.proc, d.atNs, L.width, ascii, n > 0 ? `  +${plural(n, 'subshell')}` : ''));
    if (tl.node.failedExecs.length > 0) for (const e of tl.node.failedExecs) {
      L.add(`  ${tl.childPrefix}${ascii ? 'x' : '✗'} exec failed ${errnoName(e.ret)}: ${formatArgv(e.argv.length > 0 ? e.argv : [e.filename])}${e.argvClipped ? (ascii ? '...' : '…') : ''}` +
        (e.argv[0] !== e.filename ? ` (${e.filename})` : ''));
    }
  }
  if (d.processesOmitted > 0) L.add(`  … ${d.processesOmitted} more processes not listed`);

  // ---- files changed
  const byVerb = new Map<string, number>();
  for (const c of d.fileChangeCounts) {
    const v = CHANGE_VERB[c.op] ?? c.op;
    byVerb.set(v, (byVerb.get(v) ?? 0) + c.count);
  }
  const verbs = ['created', 'modified', 'deleted', 'renamed'].map((v) => `${v} ${byVerb.get(v) ?? 0}`);
  L.add(`files changed: ${d.filesChanged} (${plural(d.fileChangeTotal, 'change')}: ${verbs.join(', ')})`);
  for (const f of d.fileChanges) {
    const verb = (CHANGE_VERB[f.op] ?? f.op).padEnd(8);
    const who = d.processById.get(f.processId);
    const tail = `  ${f.op}${f.count > 1 ? ` ×${f.count}` : ''}${f.bytes > 0 ? ` ${formatBytes(f.bytes)}` : ''}` +
      (who ? `  by ${who.pid}` : '') + (f.processes > 1 ? ` +${f.processes - 1}` : '');
    const path = f.path2 ? `${f.path} → ${f.path2}` : f.path;
    L.add(fitMiddle(`  ${verb} `, path, tail, L.width, ascii));
  }
  if (d.fileChangeTotal > d.fileChanges.length) L.add(`  … ${d.fileChangeTotal - d.fileChanges.length} more changes not listed`);
  if (d.workspaceOnly && d.changesOutsideWorkspace > 0) L.add(`  ${plural(d.changesOutsideWorkspace, 'change')} outside the workspace ${d.workspace} hidden (w shows them)`);

  // ---- network
  L.add(`network: ${plural(d.netDestTotal, 'destination')}`);
  for (const n of d.netDests) {
    const name = n.host && n.family !== 'unix' ? `${n.host} (${n.target})` : n.target;
    const procs = n.processes > 1 ? `${n.processes} processes` : '';
    const extra = [
      `×${n.count}`,
      n.failures > 0 ? `${n.failures} failed` : '',
      n.bytesSent + n.bytesRecv > 0 ? `sent ${formatBytes(n.bytesSent)} recv ${formatBytes(n.bytesRecv)}` : '',
      procs,
    ].filter(Boolean).join(' ');
    L.add(`  ${[n.op, n.proto ?? n.family, name].filter(Boolean).join(' ')}  ${extra}`);
  }
  if (d.netDestTotal > d.netDests.length) L.add(`  … ${d.netDestTotal - d.netDests.length} more destinations not listed`);

  // ---- LLM calls
  if (!story) renderCalls(L, d, utc, ascii, false);
}

/**
 * Each LLM call with its tool calls and what each caused. As the story (the TUI's session view), every call also
 * shows its prompt (the last user turn) and each tool call is named by what it was asked to do.
 */
function renderCalls(L: Lines, d: SessionDetail, utc: boolean, ascii: boolean, story: boolean): void {
  const n = d.llmCalls.length + d.llmCallsOmitted;
  const omitted = d.llmCallsOmitted > 0 ? ` (${d.llmCallsOmitted} earlier not listed)` : '';
  L.add(story ? `what happened: ${plural(n, 'LLM call')}${omitted}, in time order: prompt, tool calls, what each caused` : `LLM calls: ${n}${omitted}`);
  for (const call of d.llmCalls) {
    L.add('  ' + llmCallLine(call, d.atNs, utc));
    if (story) {
      const prompt = d.promptByCall?.get(call.id);
      L.add(`    prompt: ${prompt ? oneLine(prompt) : '(not captured)'}`);
    }
    for (const t of d.toolCallsByCall.get(call.id) ?? []) {
      L.add('    ' + (story ? storyToolLine(t, d.atNs, ascii, L.width - 4) : toolCallLine(t, d.atNs, ascii)));
      const effects = d.effectsByToolCall.get(t.id) ?? [];
      for (const e of listedEffects(effects)) {
        L.add(`      ${ascii ? '->' : '→'} ${e.kind.replace('_', ' ')} ${e.label}  (${e.method}, ${Math.round(e.confidence * 100)}%)`);
      }
      if (effects.length > EFFECTS_LISTED) L.add(`      ${ascii ? '...' : '…'} ${effects.length - EFFECTS_LISTED} more not listed (${effectCounts(effects)} in all)`);
    }
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function storyToolLine(t: ToolCallRow, atNs: number, ascii: boolean, width: number): string {
  const result = t.resultNs === null || t.resultNs > atNs ? 'pending' : t.resultIsError ? 'failed' : 'ok';
  const tail = ` [${result}]`;
  return `${ascii ? '>' : '↳'} ${toolCallLabel(t.name, t.inputJson, Math.max(16, width - 2 - tail.length), ascii)}${tail}`;
}

/** Facts joined by `dot`, wrapped between facts at the width: a narrow terminal must not cut the cost off the end. */
function addWrapped(L: Lines, facts: readonly string[], dot: string): void {
  let line = '';
  const tail = dot.trimEnd();
  facts.forEach((f, i) => {
    const next = line === '' ? f : line + dot + f;
    // Room for the " ·" that ends a line when more facts follow.
    const room = L.width - (i < facts.length - 1 ? strWidth(tail) : 0);
    if (line !== '' && strWidth(clean(next)) > room) {
      L.add(line + tail);
      line = '  ' + f;
    } else line = next;
  });
  if (line !== '') L.add(line);
}

/**
 * Effects listed per tool call. One shell command can start hundreds of processes (a login shell sourcing pyenv):
 * the text lists the few that say most — the surest links first (the process running the tool's own command and
 * what it did outrank everything merely started in the call's window), what succeeded before what failed, then files,
 * connections, processes, in link order — and counts the rest; --format json and the TUI's detail view keep every link.
 */
const EFFECTS_LISTED = 8;
const EFFECT_RANK: Record<string, number> = { file_op: 0, net_conn: 1, process: 2 };

function listedEffects(effects: readonly Effect[]): Effect[] {
  if (effects.length <= EFFECTS_LISTED) return [...effects];
  const rank = (e: Effect) => EFFECT_RANK[e.kind] ?? 3;
  const order = effects.map((e, i) => ({ e, i })).sort((a, b) => b.e.confidence - a.e.confidence || Number(b.e.ok) - Number(a.e.ok) || rank(a.e) - rank(b.e) || a.i - b.i);
  return order.slice(0, EFFECTS_LISTED).sort((a, b) => a.i - b.i).map((x) => x.e);
}

function effectCounts(effects: readonly Effect[]): string {
  const n = new Map<string, number>();
  for (const e of effects) n.set(e.kind, (n.get(e.kind) ?? 0) + 1);
  const names: Record<string, [string, string]> = { process: ['process', 'processes'], file_op: ['file op', 'file ops'], net_conn: ['connection', 'connections'] };
  return [...n].map(([k, c]) => {
    const [one, many] = names[k] ?? [k.replace('_', ' '), k.replace('_', ' ') + 's'];
    return plural(c, one, many);
  }).join(', ');
}

/** One session's section of the --once text, as lines; the TUI's session view tells the story first (story). */
export function renderSessionLines(d: SessionDetail, width: number, o: { ascii?: boolean; utc?: boolean; story?: boolean } = {}): string[] {
  const ascii = o.ascii ?? false;
  const L = new Lines(Math.max(20, width), ascii ? '...' : '…', ascii);
  renderSession(L, d, o.utc ?? false, ascii ? ' - ' : ' · ', ascii, o.story ?? false);
  return L.out.slice(1);
}

/**
 * A forked copy of its parent that never exec'd, started nothing, failed nothing and exited 0: a shell's `$(…)` or
 * pipeline stage. A login shell sourcing rc files makes dozens (half the lines of a Claude Code tree, each
 * `[bash] exit 0 4ms`); the text counts them on their parent's line instead. JSON and the TUI's process pane list
 * every process.
 */
function isQuietSubshell(n: ProcessNode, atNs: number): boolean {
  const p = n.proc;
  return p.argv.length === 0 && p.execNs === null && !p.seeded && n.children.length === 0 && n.failedExecs.length === 0 &&
    n.pathSearchMisses === 0 && p.exitNs !== null && p.exitNs <= atNs && p.exitCode === 0 && p.exitSignal === null;
}

/**
 * The forest without quiet subshells below a listed parent, and how many each parent had (by process id), folded
 * bottom-up: a subshell whose own children were all quiet subshells is one too, and its count moves to its parent.
 * Iterative (post-order), so a deep fork chain cannot overflow the stack.
 */
function foldSubshells(roots: readonly ProcessNode[], atNs: number): { roots: ProcessNode[]; folded: Map<number, number> } {
  const folded = new Map<number, number>();
  const out = new Map<ProcessNode, ProcessNode>();
  const stack: Array<{ n: ProcessNode; done: boolean }> = roots.map((n) => ({ n, done: false }));
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (!top.done) {
      stack.push({ n: top.n, done: true });
      for (const c of top.n.children) stack.push({ n: c, done: false });
      continue;
    }
    const n = top.n;
    const kept: ProcessNode[] = [];
    let quiet = 0;
    for (const c of n.children) {
      const f = out.get(c)!;
      if (isQuietSubshell(f, atNs)) quiet += 1 + (folded.get(c.proc.id) ?? 0);
      else kept.push(f);
    }
    if (quiet > 0) folded.set(n.proc.id, quiet);
    const same = kept.length === n.children.length && kept.every((k, i) => k === n.children[i]);
    out.set(n, same ? n : { ...n, children: kept });
  }
  return { roots: roots.map((r) => out.get(r)!), folded };
}

/** One process line; the argv gives way first, then the cwd (keeping its end), so status is never cut off. */
/** Section rules fill the width; with no limit (--width 0) they are as long as a classic terminal line. */
function ruleWidth(width: number): number {
  return Number.isFinite(width) ? width : 80;
}

function processLine(prefix: string, p: import('../store').ProcessRow, atNs: number, width: number, ascii: boolean, note = ''): string {
  const ell = ascii ? '...' : '…';
  const fix = (s: string) => (ascii ? toAscii(clean(s)) : clean(s));
  const ct = containerLabel(p);
  const head = fix(`${prefix}${p.pid} ${ct ? ct + ' ' : ''}`);
  const argv = fix(p.argv.length > 0 ? formatArgv(p.argv) + (p.argvClipped ? ell : '') : `[${p.comm}]`);
  const status = `  ${exitStatus(p, atNs)}  ${formatDuration(processDurationNs(p, atNs))}${p.seeded ? '  (already running)' : ''}${note}`;
  let cwd = p.cwd !== null ? fix(`  cwd ${p.cwd}`) : '';
  const fixed = strWidth(head) + strWidth(status);
  const room = width - fixed;
  const argvWidth = strWidth(argv);
  let cwdWidth = strWidth(cwd);
  const argvMin = Math.min(argvWidth, 16);
  if (argvWidth + cwdWidth > room) {
    const cwdRoom = Math.max(0, room - argvMin);
    if (cwdWidth > cwdRoom) {
      cwd = cwdRoom >= 10 && p.cwd ? '  cwd ' + truncateLeft(fix(p.cwd), cwdRoom - 6, ell) : '';
      cwdWidth = strWidth(cwd);
    }
  }
  const argvRoom = Math.max(0, room - cwdWidth);
  return head + (argvWidth <= argvRoom ? argv : truncate(argv, argvRoom, ell)) + status + cwd;
}

/** head + middle + tail where the middle (a path) is shortened from its start when the line is too long. */
function fitMiddle(head: string, middle: string, tail: string, width: number, ascii: boolean): string {
  const fix = (s: string) => (ascii ? toAscii(clean(s)) : clean(s));
  const h = fix(head);
  const t = fix(tail);
  const m = fix(middle);
  const room = width - strWidth(h) - strWidth(t);
  if (strWidth(m) <= room) return h + m + t;
  if (room >= 12) return h + truncateLeft(m, room, ascii ? '...' : '…') + t;
  return h + m;
}

function llmCallLine(c: LlmCallRow, atNs: number, utc: boolean): string {
  const model = c.responseModel ?? c.requestModel ?? 'unknown model';
  const done = c.endNs !== null && c.endNs <= atNs;
  const latency = done ? formatDuration(c.endNs! - c.startNs) : 'in progress';
  const ttft = c.firstTokenNs !== null && c.firstTokenNs <= atNs ? ` ttft ${formatDuration(c.firstTokenNs - c.startNs)}` : '';
  const tokens = done || c.inputTokens !== null
    ? formatCallTokens(c)
    : 'tokens pending';
  const status = c.error ? `error: ${c.error}` : c.httpStatus !== null && c.httpStatus >= 400 ? `HTTP ${c.httpStatus}` : c.incomplete ? 'incomplete' : c.stopReason ?? '';
  return [formatClockMs(c.startNs, utc), c.provider, model, tokens, formatCost(c.costUsd), latency + ttft, status].filter(Boolean).join('  ');
}

function toolCallLine(t: ToolCallRow, atNs: number, ascii: boolean): string {
  const result = t.resultNs === null || t.resultNs > atNs ? 'pending' : t.resultIsError ? 'failed' : 'ok';
  return `${ascii ? '>' : '↳'} ${t.name} [${result}] ${compactJson(t.inputJson)}`;
}

function compactJson(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json));
  } catch {
    return json;
  }
}
