/** `agentsight report`: what one recorded run did, on one screen. */
import type { Completeness, RecordingState, RecordingReader } from '../store';
import { splitFailedExecs } from '../store/exec-search';
import type { ReportContext } from './context';
import { writeJson } from './context';
import { completenessText, errnoName, formatArgv, formatBytes, formatCost, formatDuration, formatInt, notDecryptedLines, noun, oneLine, plural, recordingStateText } from '../present';
import { callFailed, callModel, callTokens } from './llm-usage';
import { recordingFacts } from './recording-facts';
import { renderTable } from './table';
import { addUsage, emptyTotals, totalsJson } from './usage';

export const SUMMARY_SCHEMA_ID = 'agentsight.report.summary/1';

export interface ModelCount { model: string; calls: number; failed: number }
export interface FailedExec { tsNs: number; processId: number; pid: number | null; filename: string; argv: string[]; argvClipped: boolean | null; error: string }
export interface Destination { host: string | null; addr: string; port: number | null; proto: string | null; connections: number; failed: number; bytesSent: number; bytesRecv: number }
export interface ToolCount { name: string; calls: number; failed: number }
export interface LossCount { source: string; count: number; bytes: number }
export interface TlsTargetInfo { path: string; stack: string | null; status: string; detail: string }

/** The JSON of `report --json` (docs/schemas/report-summary.schema.json). */
export interface ReportSummary {
  schema: typeof SUMMARY_SCHEMA_ID;
  recording: {
    path: string;
    schemaVersion: number;
    command: string | null;
    agents: string[];
    startNs: number | null;
    endNs: number | null;
    start: string | null;
    end: string | null;
    durationNs: number | null;
    meta: Readonly<Record<string, string>>;
    /** Finished, in progress, or ended without its end (Store.recordingState). */
    recordingState: RecordingState;
  };
  sessions: Array<{
    id: number; agent: string | null; title: string; startNs: number; endNs: number | null; processes: number;
    llmCalls: number; models: string[]; costUsd: number | null; toolCalls: number; failedToolCalls: number; filesChanged: number;
  }>;
  llm: { calls: number; failedCalls: number; models: ModelCount[]; usage: ReturnType<typeof totalsJson> };
  processes: { total: number; exitedNonZero: number; failedExecs: FailedExec[]; pathSearchMisses: number };
  files: { filesChanged: number; operations: number; failedOperations: number; changed: Array<{ path: string; ops: string[] }> };
  network: { destinations: Destination[] };
  tools: { calls: number; failed: number; byName: ToolCount[] };
  losses: LossCount[];
  /** What was captured and what could not be, and why (Store.completeness). */
  completeness: Completeness;
  tls: { attached: number; notFound: number; errors: number; targets: TlsTargetInfo[] };
}

/** File operations that change the file system (the rest only read or open). */
export const CHANGING_FILE_OPS: ReadonlySet<string> = new Set(['create', 'write', 'fallocate', 'mmap', 'truncate', 'rename', 'unlink', 'rmdir', 'mkdir', 'chmod', 'link', 'symlink']);

export function isChangingFileOp(op: string, result: number): boolean {
  return result === 0 && CHANGING_FILE_OPS.has(op);
}

export function buildSummary(store: RecordingReader, ctx: ReportContext): ReportSummary {
  const sessions = store.sessions();
  const facts = recordingFacts(store, sessions);
  const calls = store.llmCalls();
  const totals = emptyTotals();
  const models = new Map<string, { calls: number; failed: number }>();
  let failedCalls = 0;
  for (const c of calls) {
    addUsage(totals, callTokens(c), c.costUsd);
    const m = callModel(c) ?? 'unknown';
    const e = models.get(m) ?? { calls: 0, failed: 0 };
    e.calls++;
    if (callFailed(c)) {
      e.failed++;
      failedCalls++;
    }
    models.set(m, e);
  }

  const processes = store.processes();
  // Failed execs that were misses of a $PATH search the process then completed are counted, not listed.
  const failedAll = store.execs({ failedOnly: true });
  const execSplit = splitFailedExecs(failedAll.length > 0 ? store.execs({ processIds: [...new Set(failedAll.map((e) => e.processId))] }) : []);
  const failedExecs = execSplit.failures;
  const pidOf = new Map(processes.map((p) => [p.id, p.pid]));
  const nonZero = processes.filter((p) => (p.exitCode !== null && p.exitCode !== 0) || p.exitSignal !== null);

  const fileOps = store.fileOps();
  const changed = new Map<string, Set<string>>();
  let failedFileOps = 0;
  for (const f of fileOps) {
    if (f.result < 0) failedFileOps++;
    if (!isChangingFileOp(f.op, f.result)) continue;
    const ops = changed.get(f.path) ?? new Set<string>();
    ops.add(f.op === 'rename' && f.path2 ? `rename→${f.path2}` : f.op);
    changed.set(f.path, ops);
  }

  const dests = new Map<string, Destination>();
  for (const n of store.netConns()) {
    if (n.op !== 'connect' || n.family === 'unix') continue;
    const key = `${n.host ?? ''}|${n.addr}|${n.port ?? ''}|${n.proto ?? ''}`;
    const d = dests.get(key) ?? { host: n.host, addr: n.addr, port: n.port, proto: n.proto, connections: 0, failed: 0, bytesSent: 0, bytesRecv: 0 };
    d.connections += n.count;
    if (n.result < 0 && n.result !== -115 /* EINPROGRESS: a non-blocking connect under way */) d.failed += n.count;
    d.bytesSent += n.bytesSent;
    d.bytesRecv += n.bytesRecv;
    dests.set(key, d);
  }

  const tools = new Map<string, { calls: number; failed: number }>();
  let failedTools = 0;
  const toolCalls = store.toolCalls();
  for (const t of toolCalls) {
    const e = tools.get(t.name) ?? { calls: 0, failed: 0 };
    e.calls++;
    if (t.resultIsError) {
      e.failed++;
      failedTools++;
    }
    tools.set(t.name, e);
  }

  const targets = store.tlsTargets();
  return {
    schema: SUMMARY_SCHEMA_ID,
    recording: {
      path: facts.path,
      schemaVersion: facts.schemaVersion,
      command: facts.command,
      agents: facts.agents,
      startNs: facts.startNs,
      endNs: facts.endNs,
      start: ctx.clock.iso(facts.startNs),
      end: ctx.clock.iso(facts.endNs),
      durationNs: facts.durationNs,
      meta: facts.meta,
      recordingState: store.recordingState(),
    },
    sessions: sessions.map((s) => ({
      id: s.id,
      agent: s.agent,
      title: s.title,
      startNs: s.startNs,
      endNs: s.endNs,
      processes: s.processes,
      llmCalls: s.llmCalls,
      models: s.models,
      costUsd: s.costUsd,
      toolCalls: s.toolCalls,
      failedToolCalls: s.failedToolCalls,
      filesChanged: s.filesChanged,
    })),
    llm: {
      calls: calls.length,
      failedCalls,
      models: [...models].sort((a, b) => b[1].calls - a[1].calls).map(([model, v]) => ({ model, calls: v.calls, failed: v.failed })),
      usage: totalsJson(totals),
    },
    processes: {
      total: processes.length,
      exitedNonZero: nonZero.length,
      failedExecs: failedExecs.map((e) => ({
        tsNs: e.tsNs,
        processId: e.processId,
        pid: pidOf.get(e.processId) ?? null,
        filename: e.filename,
        argv: e.argv,
        argvClipped: e.argvClipped,
        error: errnoName(e.ret),
      })),
      pathSearchMisses: execSplit.misses,
    },
    files: {
      filesChanged: changed.size,
      operations: fileOps.length,
      failedOperations: failedFileOps,
      changed: [...changed].sort((a, b) => a[0].localeCompare(b[0])).map(([path, ops]) => ({ path, ops: [...ops].sort() })),
    },
    network: {
      destinations: [...dests.values()].sort((a, b) => b.connections - a.connections),
    },
    tools: {
      calls: toolCalls.length,
      failed: failedTools,
      byName: [...tools].sort((a, b) => b[1].calls - a[1].calls).map(([name, v]) => ({ name, calls: v.calls, failed: v.failed })),
    },
    losses: store.lossTotals().map((l) => ({ source: l.source, count: l.count, bytes: l.bytes })),
    completeness: store.completeness(),
    tls: {
      attached: targets.filter((t) => t.status === 'attached').length,
      notFound: targets.filter((t) => t.status === 'not-found').length,
      errors: targets.filter((t) => t.status === 'error').length,
      targets: targets.map((t) => ({ path: t.path, stack: t.stack, status: t.status, detail: t.detail })),
    },
  };
}

/** Rows listed in full up to this many; longer lists say how many more there are. */
const LIST_LIMIT = 20;

export function renderSummary(s: ReportSummary, ctx: ReportContext): string {
  const p = ctx.painter;
  const c = ctx.clock;
  const out: string[] = [];
  const kv = (k: string, v: string) => out.push(`${p.paint('bold', k.padEnd(11))} ${v}`);
  const rec = s.recording;
  const llm = s.llm;
  const u = llm.usage;

  kv('Recording', `${rec.path} (schema v${rec.schemaVersion})`);
  kv('Command', rec.command ?? '-');
  kv('Agent', rec.agents.length ? rec.agents.join(', ') : 'unknown');
  kv('Started', `${c.dateTime(rec.startNs)}   duration ${formatDuration(rec.durationNs)}`);
  const ended = recordingStateText(rec.recordingState, rec.startNs, c.utc);
  if (ended !== null) kv('State', p.paint('yellow', ended));
  out.push('');
  const modelList = llm.models.map((m) => `${m.model} (${m.calls})`).join(', ');
  kv('LLM calls', `${formatInt(llm.calls)}${llm.failedCalls ? p.paint('red', ` (${llm.failedCalls} failed)`) : ''}${modelList ? `   ${modelList}` : ''}`);
  kv('Tokens', `input ${formatInt(u.inputTokens)}  output ${formatInt(u.outputTokens)}  cache read ${formatInt(u.cacheReadTokens)}  cache write ${formatInt(u.cacheWriteTokens)}  reasoning ${formatInt(u.reasoningTokens)}  total ${formatInt(u.totalTokens)}`);
  kv('Cost', `${formatCost(u.costUsd, u.unknownCostCalls ?? 0)}${u.unknownCostCalls ? p.paint('yellow', `  (${plural(u.unknownCostCalls, 'call')} with unknown price: a lower bound)`) : ''}`);
  const pr = s.processes;
  kv('Processes', `${formatInt(pr.total)}   ${pr.failedExecs.length ? p.paint('red', plural(pr.failedExecs.length, 'failed exec')) : '0 failed execs'}` +
    `${pr.pathSearchMisses ? p.paint('dim', ` (+${formatInt(pr.pathSearchMisses)} $PATH-search misses, not listed)`) : ''}   ${formatInt(pr.exitedNonZero)} exited non-zero or killed`);
  kv('Files', `${formatInt(s.files.changed.length)} changed   ${formatInt(s.files.operations)} operations   ${formatInt(s.files.failedOperations)} failed`);
  kv('Network', `${formatInt(s.network.destinations.length)} ${noun(s.network.destinations.length, 'destination')}`);
  kv('Tools', `${formatInt(s.tools.calls)} ${noun(s.tools.calls, 'call')}${s.tools.failed ? p.paint('red', `, ${s.tools.failed} failed`) : ', 0 failed'}`);
  const lossCount = s.losses.reduce((a, l) => a + l.count, 0);
  kv('Losses', lossCount ? p.paint('yellow', s.losses.map((l) => `${l.source} ${formatInt(l.count)}`).join(', ')) : 'none');
  kv('Capture', s.completeness.complete ? completenessText(s.completeness) : p.paint('yellow', completenessText(s.completeness)));
  for (const l of notDecryptedLines(s.completeness)) out.push(`${' '.repeat(12)}${l}`);
  kv('TLS', `${plural(s.tls.attached, 'binary', 'binaries')} hooked, ${s.tls.notFound} not found${s.tls.errors ? `, ${s.tls.errors} failed` : ''}`);

  const section = (title: string) => {
    out.push('');
    out.push(p.paint('bold', title));
  };
  const more = (n: number) => {
    if (n > LIST_LIMIT) out.push(p.paint('dim', `… and ${n - LIST_LIMIT} more (--json lists all)`));
  };
  if (s.sessions.length > 1) {
    section('Sessions');
    out.push(renderTable<ReportSummary['sessions'][number]>([
      { title: 'ID', align: 'right', value: (r) => String(r.id) },
      { title: 'AGENT', value: (r) => r.agent ?? '-' },
      { title: 'STARTED', value: (r) => c.time(r.startNs) },
      { title: 'PROCS', align: 'right', value: (r) => formatInt(r.processes) },
      { title: 'CALLS', align: 'right', value: (r) => formatInt(r.llmCalls) },
      { title: 'COST', align: 'right', value: (r) => formatCost(r.costUsd) },
      { title: 'TOOLS', align: 'right', value: (r) => `${formatInt(r.toolCalls)}${r.failedToolCalls ? ` (${r.failedToolCalls} failed)` : ''}` },
      { title: 'CHANGED', align: 'right', value: (r) => formatInt(r.filesChanged) },
      { title: 'TITLE', value: (r) => oneLine(r.title, 60) },
    ], s.sessions.slice(0, LIST_LIMIT), p).trimEnd());
    more(s.sessions.length);
  }
  if (llm.models.length) {
    section('Models');
    out.push(renderTable<ModelCount>([
      { title: 'MODEL', value: (r) => r.model },
      { title: 'CALLS', align: 'right', value: (r) => formatInt(r.calls) },
      { title: 'FAILED', align: 'right', value: (r) => formatInt(r.failed), style: (r) => (r.failed ? 'red' : null) },
    ], llm.models, p).trimEnd());
  }
  if (pr.failedExecs.length) {
    section('Failed execs');
    out.push(renderTable<FailedExec>([
      { title: 'TIME', value: (r) => c.time(r.tsNs) },
      { title: 'PID', align: 'right', value: (r) => (r.pid === null ? '-' : String(r.pid)) },
      { title: 'ERROR', value: (r) => r.error, style: () => 'red' },
      { title: 'COMMAND', value: (r) => oneLine(r.argv.length ? formatArgv(r.argv) + (r.argvClipped ? '…' : '') : r.filename, 100) },
    ], pr.failedExecs.slice(0, LIST_LIMIT), p).trimEnd());
    more(pr.failedExecs.length);
  }
  if (s.files.changed.length) {
    section('Files changed');
    for (const f of s.files.changed.slice(0, LIST_LIMIT)) out.push(`  ${f.path}  ${p.paint('dim', f.ops.join(','))}`);
    more(s.files.changed.length);
  }
  if (s.network.destinations.length) {
    section('Network destinations');
    out.push(renderTable<Destination>([
      { title: 'HOST', value: (r) => r.host ?? '-' },
      { title: 'ADDRESS', value: (r) => (r.port === null ? r.addr : r.addr.includes(':') ? `[${r.addr}]:${r.port}` : `${r.addr}:${r.port}`) },
      { title: 'PROTO', value: (r) => r.proto ?? '-' },
      { title: 'CONNECTS', align: 'right', value: (r) => formatInt(r.connections) },
      { title: 'FAILED', align: 'right', value: (r) => formatInt(r.failed), style: (r) => (r.failed ? 'red' : null) },
      { title: 'SENT', align: 'right', value: (r) => formatBytes(r.bytesSent) },
      { title: 'RECEIVED', align: 'right', value: (r) => formatBytes(r.bytesRecv) },
    ], s.network.destinations.slice(0, LIST_LIMIT), p).trimEnd());
    more(s.network.destinations.length);
  }
  if (s.tools.byName.length) {
    section('Tool calls');
    out.push(renderTable<ToolCount>([
      { title: 'TOOL', value: (r) => r.name },
      { title: 'CALLS', align: 'right', value: (r) => formatInt(r.calls) },
      { title: 'FAILED', align: 'right', value: (r) => formatInt(r.failed), style: (r) => (r.failed ? 'red' : null) },
    ], s.tools.byName, p).trimEnd());
  }
  if (s.losses.length) {
    section('Losses');
    out.push(renderTable<LossCount>([
      { title: 'SOURCE', value: (r) => r.source },
      { title: 'COUNT', align: 'right', value: (r) => formatInt(r.count) },
      { title: 'BYTES', align: 'right', value: (r) => formatBytes(r.bytes) },
    ], s.losses, p).trimEnd());
  }
  if (s.tls.targets.length) {
    section('TLS targets');
    out.push(renderTable<TlsTargetInfo>([
      { title: 'STATUS', value: (r) => r.status, style: (r) => (r.status === 'attached' ? 'green' : r.status === 'error' ? 'red' : 'yellow') },
      { title: 'STACK', value: (r) => r.stack ?? '-' },
      { title: 'BINARY', value: (r) => r.path },
      { title: 'DETAIL', value: (r) => oneLine(r.detail, 80) },
    ], s.tls.targets, p).trimEnd());
  }
  return out.join('\n') + '\n';
}

export function runSummary(store: RecordingReader, ctx: ReportContext): number {
  const s = buildSummary(store, ctx);
  if (ctx.json) writeJson(ctx, s);
  else ctx.io.out(renderSummary(s, ctx));
  return 0;
}
