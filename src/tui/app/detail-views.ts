/**
 * Views opened with Enter. Each fetches its rows from the Store when opened (an action's data load, not a frame)
 * and lays them out for whatever width the screen has when drawn.
 */
import type { FileChange, RecordingReader } from '../../store';
import { containerLabel, errnoName, exitStatus, formatArgv, formatCallTokens, formatBytes, formatClockMs, formatCost, formatCount, formatDateTime, formatDuration, mcpCallOutcome, mcpResultText, mcpServerLabel, processDurationNs, toolCallLabel } from '../../present';
import { renderSessionLines } from '../once-text';
import type { NetDest, SessionDetail } from '../session-detail';
import { conversationText, promptText, toolsOffered } from '../../store/message-text';
import { seg, wrapText, type Line, type Style } from './styled-line';
import type { DetailView } from './view-state';

export interface ViewOptions {
  ascii: boolean;
  utc: boolean;
}

const H: Style = { bold: true, fg: 'cyan' };

/** Text blocks → lines, wrapping long text at the current width. */
class Doc {
  private readonly blocks: Array<{ kind: 'line'; line: Line } | { kind: 'text'; text: string; indent: number; style?: Style }> = [];
  heading(t: string): this {
    this.blocks.push({ kind: 'line', line: [] }, { kind: 'line', line: [seg(t, H)] });
    return this;
  }
  field(k: string, v: string, style?: Style): this {
    this.blocks.push({ kind: 'line', line: [seg(`${k.padEnd(12)} `, { fg: 'gray' }), seg(v, style)] });
    return this;
  }
  line(l: Line): this {
    this.blocks.push({ kind: 'line', line: l });
    return this;
  }
  text(t: string, indent = 2, style?: Style): this {
    this.blocks.push({ kind: 'text', text: t, indent, style });
    return this;
  }
  view(title: string, ascii: boolean): DetailView {
    let cache: { width: number; lines: Line[] } | null = null;
    return {
      title,
      top: 0,
      render: (width) => {
        if (cache && cache.width === width) return cache.lines;
        const lines: Line[] = [];
        for (const b of this.blocks) {
          if (b.kind === 'line') lines.push(b.line);
          else for (const l of wrapText(b.text, Math.max(10, width - b.indent), ascii)) lines.push([seg(' '.repeat(b.indent) + l, b.style)]);
        }
        cache = { width, lines };
        return lines;
      },
    };
  }
}

export function sessionView(detail: SessionDetail, o: ViewOptions): DetailView {
  let cache: { width: number; lines: Line[] } | null = null;
  return {
    title: `Session ${detail.sessionId ?? ''} ${detail.summary?.title ?? ''}`,
    top: 0,
    render: (width) => {
      if (!cache || cache.width !== width) cache = { width, lines: renderSessionLines(detail, width, { ...o, story: true }).map((t) => [seg(t)]) };
      return cache.lines;
    },
  };
}

export function llmCallView(store: RecordingReader, id: number, atNs: number, o: ViewOptions): DetailView | null {
  const c = store.llmCall(id);
  if (!c) return null;
  const d = new Doc();
  const model = c.responseModel ?? c.requestModel ?? 'unknown model';
  d.field('model', model, { bold: true })
    .field('provider', `${c.provider}  ${c.host ?? ''}${c.endpoint}`)
    .field('started', `${formatDateTime(c.startNs, o.utc)}${c.firstTokenNs ? `  first token after ${formatDuration(c.firstTokenNs - c.startNs)}` : ''}`)
    .field('latency', c.endNs !== null && c.endNs <= atNs ? formatDuration(c.endNs - c.startNs) : 'in progress')
    .field('tokens', `${formatCallTokens(c)}${c.reasoningTokens ? ` (reasoning ${fmt(c.reasoningTokens)} of out)` : ''}`)
    .field('cost', formatCost(c.costUsd))
    .field('status', [c.httpStatus !== null ? `HTTP ${c.httpStatus}` : '', c.stopReason ?? '', c.error ? `error: ${c.error}` : '', c.incomplete ? 'incomplete' : ''].filter(Boolean).join('  ') || '-',
      c.error || c.incomplete || (c.httpStatus ?? 0) >= 400 ? { fg: 'red' } : undefined);
  const prompt = promptText(c.requestJson);
  d.heading('Prompt (last user turn)').text(prompt ?? '(not captured)');
  // The whole conversation is one scroll away (PgDn): every message, the tools offered, the raw bodies.
  const turns = conversationText(c.requestJson);
  d.heading(`Conversation (${turns.length} message${turns.length === 1 ? '' : 's'} sent)`);
  for (const t of turns) {
    d.line([seg(`  ${t.role}`, { bold: true })]);
    d.text(clip(t.text, MESSAGE_CHARS), 4);
  }
  const offered = toolsOffered(c.requestJson);
  d.heading(`Tools offered (${offered.length})`).text(offered.join(', ') || '-');
  if (c.systemPrompt) d.heading('System prompt').text(c.systemPrompt.length > 4000 ? c.systemPrompt.slice(0, 4000) + ' …' : c.systemPrompt, 2, { fg: 'gray' });
  if (c.thinking) d.heading('Thinking').text(c.thinking, 2, { fg: 'gray' });
  d.heading('Response').text(c.responseText ?? '(no text)');
  const tools = store.toolCalls({ atNs, llmCallId: id });
  const servers = new Map(store.mcpServers({ atNs }).map((m) => [m.id, m]));
  d.heading(`Tool calls (${tools.length})`);
  for (const t of tools) {
    const res = t.resultNs === null || t.resultNs > atNs ? 'pending' : t.resultIsError ? 'failed' : 'ok';
    d.line([seg(`${o.ascii ? '>' : '↳'} ${t.name} `, { bold: true }), seg(`[${res}] `, res === 'failed' ? { fg: 'red' } : { fg: 'gray' }), seg(t.callId, { fg: 'gray' })]);
    d.text(prettyJson(t.inputJson), 4);
    if (t.resultText !== null && res !== 'pending') d.text(`result: ${t.resultText.slice(0, 2000)}`, 4, { fg: 'gray' });
    // An MCP tool: the agent's JSON-RPC call to the server that did the work, and the server's own answer.
    for (const m of store.mcpCalls({ atNs, toolCallIds: [t.id] })) {
      const server = servers.get(m.serverId);
      const outcome = m.endNs === null || m.endNs > atNs ? 'pending' : mcpCallOutcome(m);
      d.line([
        seg(`    MCP ${server ? mcpServerLabel(server) : `server ${m.serverId}`}`, { bold: true }),
        seg(`  ${m.method}${m.target ? ` ${m.target}` : ''}  `),
        seg(`[${outcome}]`, outcome === 'ok' || outcome === 'pending' ? { fg: 'gray' } : { fg: 'red' }),
        seg(m.endNs !== null && m.endNs <= atNs ? `  ${formatDuration(m.endNs - m.startNs)}` : '', { fg: 'gray' }),
      ]);
      if (server?.command) d.text(`server: ${server.command}`, 6, { fg: 'gray' });
      if (outcome !== 'pending') d.text(`MCP result: ${(m.errorMessage ?? mcpResultText(m.resultJson)).slice(0, 2000)}`, 6, { fg: 'gray' });
    }
    for (const l of store.causalLinks({ toolCallId: t.id })) {
      if (l.targetKind === 'mcp_call') continue; // shown above
      d.line([seg(`    ${o.ascii ? '->' : '→'} ${effectLabel(store, l.targetKind, l.targetId)}`), seg(`  (${l.method}, ${Math.round(l.confidence * 100)}%)`, { fg: 'gray' })]);
    }
  }
  d.heading('Raw request').text(clip(c.requestJson ?? '(not captured)', RAW_CHARS), 2, { fg: 'gray' });
  d.heading('Raw response').text(clip(c.responseJson ?? '(not captured)', RAW_CHARS), 2, { fg: 'gray' });
  return d.view(`LLM call ${id} ${model}`, o.ascii);
}

export function processView(store: RecordingReader, id: number, atNs: number, o: ViewOptions): DetailView | null {
  const p = store.process(id);
  if (!p) return null;
  const d = new Doc();
  d.field('pid', `${p.pid}  ppid ${p.ppid ?? '?'}  uid ${p.uid ?? '?'}${p.seeded ? '  (already running when capture started)' : ''}`)
    .field('argv', formatArgv(p.argv) + (p.argvClipped ? ' … (clipped)' : ''), { bold: true })
    .field('exe', p.exe ?? '-')
    .field('container', p.containerId ? `${p.containerName ?? '-'}  id ${p.containerId.slice(0, 12)}  pid ${p.nsPid ?? '?'} inside` : '-')
    .field('cwd', p.cwd ?? '-')
    .field('started', formatDateTime(p.startNs, o.utc))
    .field('status', `${exitStatus(p, atNs)} after ${formatDuration(processDurationNs(p, atNs))}`)
    .field('peak RSS', p.peakRssKb !== null ? formatBytes(p.peakRssKb * 1024) : '-');
  const execs = store.execs({ atNs, processId: id });
  d.heading(`Execs (${execs.length})`);
  for (const e of execs) {
    d.line([seg(`  ${formatClockMs(e.tsNs, o.utc)} `, { fg: 'gray' }), seg(e.ret < 0 ? `failed ${errnoName(e.ret)} ` : 'ok ', e.ret < 0 ? { fg: 'red' } : undefined), seg(`${e.filename}  ${formatArgv(e.argv)}${e.argvClipped ? '…' : ''}`)]);
  }
  const causes = store.causalLinks({ targetKind: 'process', targetId: id });
  if (causes.length > 0) {
    // Name the tool and what it ran ("Bash `npm test`"): a bare "tool call 1" meant opening every call to find it.
    const tools = new Map(store.toolCalls({ atNs: Number.MAX_VALUE, ...(p.sessionId !== null ? { sessionId: p.sessionId } : {}) }).map((t) => [t.id, t]));
    d.heading('Caused by');
    for (const l of causes) {
      const t = tools.get(l.toolCallId);
      d.line([
        seg(`  ${t ? toolCallLabel(t.name, t.inputJson, 100, o.ascii) : `tool call ${l.toolCallId}`}`, { bold: true }),
        seg(` (call ${l.toolCallId}${t ? ` of LLM call ${t.llmCallId}` : ''}, ${l.method}, ${Math.round(l.confidence * 100)}%)`, { fg: 'gray' }),
      ]);
    }
  }
  const files = store.fileOps({ atNs, processId: id, limit: 500 });
  d.heading(`Files (${files.length}${files.length === 500 ? '+' : ''})`);
  for (const f of files) {
    d.line([seg(`  ${f.op.padEnd(8)} `, { fg: f.result < 0 ? 'red' : 'gray' }), seg(f.path2 ? `${f.path} → ${f.path2}` : f.path), seg(`${f.count > 1 ? ` ×${f.count}` : ''}${f.result < 0 ? ` ${errnoName(f.result)}` : ''}`, { fg: 'gray' })]);
  }
  const net = store.netConns({ atNs, processId: id, limit: 200 });
  d.heading(`Network (${net.length})`);
  for (const n of net) d.line([seg(`  ${n.op} ${n.proto ?? n.family} ${n.host ? n.host + ' ' : ''}${n.addr}${n.port !== null ? ':' + n.port : ''} ×${n.count}${n.result < 0 && n.result !== -115 ? ' ' + errnoName(n.result) : ''}`)]);
  return d.view(`Process ${p.pid} ${p.argv[0] ?? p.comm}`, o.ascii);
}

export function fileView(store: RecordingReader, f: FileChange, o: ViewOptions): DetailView {
  const d = new Doc();
  const p = store.process(f.processId);
  d.field('path', f.path, { bold: true });
  if (f.path2) d.field('to', f.path2);
  d.field('operation', `${f.op} ×${f.count}${f.bytes > 0 ? `  ${formatBytes(f.bytes)}` : ''}`)
    .field('first', formatDateTime(f.firstNs, o.utc))
    .field('last', formatDateTime(f.lastNs, o.utc))
    .field('by', p ? `${p.pid} ${formatArgv(p.argv)}${f.processes > 1 ? ` and ${f.processes - 1} more processes` : ''}` : `process ${f.processId}`);
  return d.view(`File ${f.path}`, o.ascii);
}

export function netView(n: NetDest, o: ViewOptions): DetailView {
  const d = new Doc();
  d.field('destination', n.target, { bold: true })
    .field('host', n.host ?? '-')
    .field('operation', `${n.op} ${n.family} ${n.proto ?? ''}`)
    .field('count', `${n.count}${n.failures > 0 ? `  (${n.failures} failed)` : ''}`)
    .field('bytes', `sent ${formatBytes(n.bytesSent)}  received ${formatBytes(n.bytesRecv)}`)
    .field('first', formatDateTime(n.firstNs, o.utc))
    .field('last', formatDateTime(n.lastNs, o.utc))
    .field('processes', String(n.processes));
  return d.view(`Network ${n.target}`, o.ascii);
}

/** Characters shown of one message and of a raw body; the rest is counted (report prompts --json has it whole). */
const MESSAGE_CHARS = 4000;
const RAW_CHARS = 20_000;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)} … ${formatCount(text.length - max)} more characters (report prompts --json has them all)`;
}

function fmt(n: number | null): string {
  return n === null ? '?' : formatCount(n);
}

function prettyJson(s: string): string {
  try {
    return JSON.stringify(JSON.parse(s), null, 1).replace(/\n\s*/g, ' ');
  } catch {
    return s;
  }
}

function effectLabel(store: RecordingReader, kind: string, id: number): string {
  if (kind === 'process') {
    const p = store.process(id);
    return p ? `process ${p.pid} ${formatArgv(p.argv)}` : `process #${id}`;
  }
  if (kind === 'file_op') {
    const f = store.fileOp(id);
    return f ? `file ${f.op} ${f.path}` : `file op #${id}`;
  }
  if (kind === 'net_conn') {
    const n = store.netConn(id);
    return n ? `network ${n.op} ${n.host ?? n.addr}${n.port !== null ? ':' + n.port : ''}` : `connection #${id}`;
  }
  return `${kind} #${id}`;
}
