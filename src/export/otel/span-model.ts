/**
 * A recording as OpenTelemetry spans, one trace per agent session:
 *
 *   invoke_agent {agent}                      the session (INTERNAL)
 *   ├─ chat {model}                           one per model call (CLIENT)
 *   │  └─ execute_tool {tool}                 one per tool call the response asked for (INTERNAL)
 *   │     └─ process {command}                each process the tool call caused, under its parent (INTERNAL)
 *
 * Pure over RecordingReader: ids come from ids.ts, times are the recording's own (Unix ns). `ready` says whether a
 * span is final — its row ended and has been quiet for `settleNs` — so a live export sends each span once, with the
 * attributes a later `report otel` of the same file gives it.
 */
import type { AttributeValue } from '@opentelemetry/api';
import type { RecordingReader } from '../../store/store';
import type { LlmCallRow, McpCallRow, McpServerRow, ProcessRow, SessionRow, ToolCallRow } from '../../store/types';
import { callErrorType, providerName, serverOf } from './conventions';
import { contentAttributes } from './content';
import { spanId, traceId, type SpanSubject } from './ids';

export type Attributes = Record<string, AttributeValue>;

export interface SpanRecord {
  subject: SpanSubject;
  rowId: number;
  sessionId: number;
  name: string;
  kind: 'internal' | 'client';
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  startNs: number;
  endNs: number;
  attributes: Attributes;
  /** error.type when the operation failed (status ERROR); null leaves the status unset, as the conventions ask. */
  errorType: string | null;
  errorMessage: string | null;
  /** Final: the row ended (and settled). A live export sends only ready spans; a saved recording's all are. */
  ready: boolean;
  /** The model call itself, for the metrics (chat spans only). */
  call?: LlmCallRow;
}

export interface SpanModelOptions {
  key: string;
  /** Add prompt and response content (--otel-content). */
  content: boolean;
  /**
   * Live export: the recording's "now" (Unix ns) minus a settle time; rows that ended after it are not ready yet.
   * Undefined for a finished recording: everything is ready, spans still open end at the recording's end.
   */
  settledBeforeNs?: number;
  /** Span ids already sent: their heavy columns are not read again. */
  sent?: ReadonlySet<string>;
}

/** Sessions that get a trace: those with a model call or a known agent (a plain process tree is not GenAI). */
function exported(s: { agent: string | null; llmCalls: number }): boolean {
  return s.llmCalls > 0 || s.agent !== null;
}

const ms = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

function put(a: Attributes, k: string, v: AttributeValue | null | undefined): void {
  if (v !== null && v !== undefined && v !== '') a[k] = v;
}

/** The provider's id of its response (msg_…, resp_…, chatcmpl-…, Gemini responseId). */
function responseId(json: string | null): string | null {
  if (!json) return null;
  try {
    const o = JSON.parse(json) as Record<string, unknown>;
    const id = o['id'] ?? o['responseId'];
    return typeof id === 'string' ? id : null;
  } catch {
    // A response cut short: its id comes first in every provider's shape.
    const m = /"(?:id|responseId)"\s*:\s*"([^"]{1,200})"/.exec(json.slice(0, 4096));
    return m ? m[1]! : null;
  }
}

export function buildSpans(reader: RecordingReader, opts: SpanModelOptions): SpanRecord[] {
  return reader.readSnapshot(() => build(reader, opts));
}

function build(reader: RecordingReader, opts: SpanModelOptions): SpanRecord[] {
  const { key } = opts;
  const live = opts.settledBeforeNs !== undefined;
  const settled = (endNs: number | null): boolean => endNs !== null && (!live || endNs <= opts.settledBeforeNs!);
  const info = reader.info();
  const recordingEnd = info.endNs ?? 0;
  const sessions = reader.sessions().filter(exported).sort((a, b) => a.startNs - b.startNs || a.id - b.id);
  const bySession = new Map(sessions.map((s) => [s.id, s]));
  const calls = reader.llmCalls().filter((c) => c.sessionId !== null && bySession.has(c.sessionId));
  const callById = new Map(calls.map((c) => [c.id, c]));
  const tools = calls.length > 0 ? reader.toolCalls({ llmCallIds: calls.map((c) => c.id) }) : [];
  const spans: SpanRecord[] = [];

  const root = (s: SessionRow) => spanId(key, 'session', s.id);
  for (const s of sessions) {
    const a: Attributes = { 'gen_ai.operation.name': 'invoke_agent' };
    put(a, 'gen_ai.agent.name', s.agent);
    put(a, 'gen_ai.conversation.id', s.externalId);
    const providers = [...new Set(calls.filter((c) => c.sessionId === s.id).map((c) => providerName(c)).filter((p): p is string => p !== null))];
    if (providers.length === 1) put(a, 'gen_ai.provider.name', providers[0]);
    put(a, 'agentsight.session.id', s.id);
    put(a, 'agentsight.session.title', s.title);
    const end = s.endNs ?? Math.max(s.lastActivityNs, s.startNs);
    spans.push({
      subject: 'session', rowId: s.id, sessionId: s.id,
      name: s.agent ? `invoke_agent ${s.agent}` : 'invoke_agent', kind: 'internal',
      traceId: traceId(key, s.id), spanId: root(s), parentSpanId: null,
      startNs: s.startNs, endNs: Math.max(end, s.startNs),
      attributes: a, errorType: null, errorMessage: null,
      // The root spans the whole session: final only when the recording is.
      ready: !live,
    });
  }

  for (const c0 of calls) {
    const s = bySession.get(c0.sessionId!)!;
    const id = spanId(key, 'llm_call', c0.id);
    const ready = settled(c0.endNs ?? (c0.incomplete ? c0.startNs : null)) || !live;
    // Heavy columns (response id, content) only for a span about to be sent.
    const c = ready && !opts.sent?.has(id) ? reader.llmCall(c0.id) ?? c0 : c0;
    const model = c.requestModel ?? c.responseModel;
    const a: Attributes = { 'gen_ai.operation.name': 'chat' };
    put(a, 'gen_ai.provider.name', providerName(c));
    put(a, 'gen_ai.request.model', c.requestModel);
    put(a, 'gen_ai.response.model', c.responseModel);
    put(a, 'gen_ai.response.id', responseId(c.responseJson));
    if (c.stopReason) a['gen_ai.response.finish_reasons'] = [c.stopReason];
    // The store's inputTokens already counts cached prompt tokens (src/protocols/llm/types.ts), as the conventions
    // require of gen_ai.usage.input_tokens; the views' disjoint kinds (figures.ts) are not used here.
    put(a, 'gen_ai.usage.input_tokens', ms(c.inputTokens));
    put(a, 'gen_ai.usage.output_tokens', ms(c.outputTokens));
    put(a, 'gen_ai.usage.cache_read.input_tokens', ms(c.cacheReadTokens));
    put(a, 'gen_ai.usage.cache_creation.input_tokens', ms(c.cacheWriteTokens));
    put(a, 'gen_ai.usage.reasoning.output_tokens', ms(c.reasoningTokens));
    if (c.streaming && c.firstTokenNs !== null) a['gen_ai.response.time_to_first_chunk'] = (c.firstTokenNs - c.startNs) / 1e9;
    put(a, 'gen_ai.conversation.id', s.externalId);
    const server = serverOf(c.host);
    if (server) {
      a['server.address'] = server.address;
      a['server.port'] = server.port;
    }
    put(a, 'http.response.status_code', c.httpStatus);
    put(a, 'agentsight.llm.endpoint', c.endpoint);
    a['agentsight.llm.streaming'] = c.streaming;
    put(a, 'agentsight.llm.cost_usd', c.costUsd);
    if (opts.content && ready) Object.assign(a, contentAttributes(c));
    const errorType = callErrorType(c);
    spans.push({
      subject: 'llm_call', rowId: c.id, sessionId: s.id,
      name: model ? `chat ${model}` : 'chat', kind: 'client',
      traceId: traceId(key, s.id), spanId: id, parentSpanId: root(s),
      startNs: c.startNs, endNs: Math.max(c.endNs ?? c.firstTokenNs ?? recordingEnd, c.startNs),
      attributes: a, errorType, errorMessage: errorType === null ? null : c.error ?? (c.httpStatus !== null ? `HTTP ${c.httpStatus}` : 'the response ended early'),
      ready, call: c,
    });
  }

  // Each process once, under the tool call most confidently linked to it (ties: the earlier call).
  const links = tools.length > 0 ? reader.causalLinks({ toolCallIds: tools.map((t) => t.id), targetKind: 'process' }) : [];
  const best = new Map<number, { toolCallId: number; method: string; confidence: number }>();
  for (const l of links) {
    const b = best.get(l.targetId);
    if (!b || l.confidence > b.confidence || (l.confidence === b.confidence && l.toolCallId < b.toolCallId)) best.set(l.targetId, l);
  }
  const procs = best.size > 0 ? reader.processes({ ids: [...best.keys()] }) : [];
  const procsByTool = new Map<number, Array<{ p: ProcessRow; method: string; confidence: number }>>();
  for (const p of procs) {
    const l = best.get(p.id)!;
    const list = procsByTool.get(l.toolCallId) ?? [];
    list.push({ p, method: l.method, confidence: l.confidence });
    procsByTool.set(l.toolCallId, list);
  }

  // MCP tools: the agent's tools/call that carried the tool call out (linked by the causal linker), and its server.
  const mcpByTool = new Map<number, McpCallRow>();
  if (tools.length > 0) for (const m of reader.mcpCalls({ toolCallIds: tools.map((t) => t.id) })) mcpByTool.set(m.toolCallId!, m);
  const mcpServers = new Map<number, McpServerRow>(mcpByTool.size > 0 ? reader.mcpServers().map((m) => [m.id, m]) : []);

  for (const t of tools) {
    const call = callById.get(t.llmCallId)!;
    const s = bySession.get(call.sessionId!)!;
    const id = spanId(key, 'tool_call', t.id);
    const mine = procsByTool.get(t.id) ?? [];
    const span = toolSpan(t, s, id, spanId(key, 'llm_call', call.id), opts, settled(t.resultNs) || !live, recordingEnd, mine);
    const mcp = mcpByTool.get(t.id);
    if (mcp) addMcpAttributes(span, mcp, mcpServers.get(mcp.serverId) ?? null);
    spans.push(span);
    // A process whose parent ran for the same tool call nests under it (bash > its commands), else under the tool.
    const mineIds = new Set(mine.map(({ p }) => p.id));
    for (const { p, method, confidence } of mine) {
      const parent = p.parentId !== null && mineIds.has(p.parentId) ? spanId(key, 'process', p.parentId) : id;
      spans.push(processSpan(p, s, key, parent, method, confidence, settled(p.exitNs) || !live, recordingEnd));
    }
  }
  return spans;
}

function toolSpan(t: ToolCallRow, s: SessionRow, id: string, parent: string, opts: SpanModelOptions, ready: boolean, recordingEnd: number, procs: Array<{ p: ProcessRow }>): SpanRecord {
  const a: Attributes = {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': t.name,
    'gen_ai.tool.call.id': t.callId,
    // Agents' tools are functions the model calls by name (the conventions' `function`).
    'gen_ai.tool.type': 'function',
  };
  if (t.resultLlmCallId === null) a['agentsight.tool.result_seen'] = false;
  if (opts.content) {
    put(a, 'gen_ai.tool.call.arguments', t.inputJson);
    put(a, 'gen_ai.tool.call.result', t.resultText);
  }
  // A tool whose result was never sent back (the agent stopped) ends when its last process did, or with the recording.
  const lastExit = Math.max(0, ...procs.map(({ p }) => p.exitNs ?? 0));
  const end = t.resultNs ?? (lastExit || recordingEnd);
  const failed = t.resultIsError === true;
  return {
    subject: 'tool_call', rowId: t.id, sessionId: s.id,
    name: `execute_tool ${t.name}`, kind: 'internal',
    traceId: traceId(opts.key, s.id), spanId: id, parentSpanId: parent,
    startNs: t.tsNs, endNs: Math.max(end, t.tsNs),
    attributes: a, errorType: failed ? 'tool_error' : null, errorMessage: failed ? 'the tool reported an error' : null,
    ready,
  };
}

/**
 * The MCP conventions' attributes on the execute_tool span of a tool an MCP server carried out: the JSON-RPC method and
 * request id, the protocol version, `network.transport` `pipe` for stdio, and a JSON-RPC error's code as
 * `rpc.response.status_code` and `error.type`. The server's name and version (from initialize) have no convention
 * attribute: `agentsight.mcp.server.*`.
 */
function addMcpAttributes(span: SpanRecord, m: McpCallRow, server: McpServerRow | null): void {
  const a = span.attributes;
  a['mcp.method.name'] = m.method;
  if (m.rpcId !== null) a['jsonrpc.request.id'] = m.rpcId;
  a['jsonrpc.protocol.version'] = '2.0';
  if (server) {
    put(a, 'mcp.protocol.version', server.protocolVersion);
    if (server.transport === 'stdio') a['network.transport'] = 'pipe';
    else if (server.transport === 'http') a['network.transport'] = 'tcp';
    put(a, 'agentsight.mcp.server.name', server.name);
    put(a, 'agentsight.mcp.server.version', server.version);
  }
  if (m.errorCode !== null) {
    a['rpc.response.status_code'] = String(m.errorCode);
    span.errorType = String(m.errorCode);
    span.errorMessage = m.errorMessage;
  } else if (m.isError && span.errorType === null) {
    span.errorType = 'tool_error';
    span.errorMessage = 'the MCP tool reported an error';
  }
}

function processSpan(p: ProcessRow, s: SessionRow, key: string, parent: string, method: string, confidence: number, ready: boolean, recordingEnd: number): SpanRecord {
  const a: Attributes = { 'process.pid': p.pid };
  put(a, 'process.parent_pid', p.ppid);
  put(a, 'process.executable.name', p.comm);
  put(a, 'process.executable.path', p.exe);
  if (p.argv.length > 0) a['process.command_args'] = p.argv;
  put(a, 'process.working_directory', p.cwd);
  put(a, 'process.exit.code', p.exitCode);
  if (p.exitSignal !== null) a['agentsight.process.exit_signal'] = p.exitSignal;
  if (p.argvClipped) a['agentsight.process.argv_clipped'] = true;
  a['agentsight.link.method'] = method;
  a['agentsight.link.confidence'] = confidence;
  const failed = (p.exitCode !== null && p.exitCode !== 0) || p.exitSignal !== null;
  const base = p.exe ? p.exe.slice(p.exe.lastIndexOf('/') + 1) : p.comm;
  return {
    subject: 'process', rowId: p.id, sessionId: s.id,
    name: `process ${base}`, kind: 'internal',
    traceId: traceId(key, s.id), spanId: spanId(key, 'process', p.id), parentSpanId: parent,
    startNs: p.startNs, endNs: Math.max(p.exitNs ?? recordingEnd, p.startNs),
    attributes: a,
    errorType: failed ? (p.exitSignal !== null ? `signal ${p.exitSignal}` : `exit ${p.exitCode}`) : null,
    errorMessage: failed ? (p.exitSignal !== null ? `killed by signal ${p.exitSignal}` : `exited ${p.exitCode}`) : null,
    ready,
  };
}
