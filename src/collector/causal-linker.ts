/**
 * Tool call → what it caused. When a tool call's result reaches the model (its window closes), the processes that
 * started in the session between the call and its result, descending from the process that made the call, are
 * linked to it, with the file changes and connections those processes made; file changes by the agent process
 * itself in the window whose path appears in the tool input (Write/Edit tools) are linked by path.
 *
 * confidence: 0.95 when the tool input names the process's command line, 0.6 for lineage + window alone (several
 * tools may run at once), path matches 0.9. Reads go through the store after the tick's commit.
 *
 * MCP tools: the agent carries the model's tool call out as a JSON-RPC tools/call to one of its MCP servers, and the
 * server does the work in its own process (started long before the call, so lineage + window does not find it). The
 * tools/call is matched by tool name (Claude Code names MCP tools `mcp__<server>__<tool>`, others `<server>__<tool>`
 * or the bare name), by arguments and by time; then what the server's process tree did while serving that request
 * (between its request and its response) is linked: file changes, processes, connections.
 */
import type { RecordingReader, RecordingWriter } from '../store/store';
import type { CausalLinkRow, ProcessRow, ToolCallRow } from '../store/types';
import { redactCommandText } from './process/redact-command';

/** What the linker reads back (rows of the tool call's window, committed at the tick before): nothing else. */
export type CausalLinkReads = Pick<RecordingReader, 'toolCalls' | 'causalLinks' | 'llmCall' | 'processes' | 'fileOps' | 'netConns' | 'mcpCalls' | 'mcpServers'>;

/** Processes can start a little before the tool-call record's timestamp (stream time vs. process time). */
const WINDOW_SLACK_NS = 50e6;

export class CausalLinker {
  private readonly queue: ToolCallRow[] = [];
  links = 0;

  constructor(private readonly store: RecordingWriter & CausalLinkReads) {}

  /** A tool call's result arrived: link it at the next tick. */
  enqueue(t: ToolCallRow): void {
    this.queue.push(t);
  }

  /** Link every queued tool call (after the store has committed the rows in its window). */
  tick(): void {
    while (this.queue.length > 0) this.link(this.queue.shift()!, null);
  }

  /** End of capture: tool calls whose result never came are linked up to the end, at lower confidence. */
  finish(endNs: number): void {
    this.tick();
    for (const t of this.store.toolCalls({})) {
      if (t.resultLlmCallId === null && this.store.causalLinks({ toolCallId: t.id }).length === 0) this.link(t, endNs);
    }
  }

  private link(t: ToolCallRow, openEndNs: number | null): void {
    if (t.sessionId === null) return;
    const call = this.store.llmCall(t.llmCallId);
    const agentPid = call?.processId ?? null;
    const from = t.tsNs - WINDOW_SLACK_NS;
    const to = openEndNs ?? t.resultNs ?? t.tsNs;
    const procs = this.store.processes({ sessionId: t.sessionId });
    const byId = new Map(procs.map((p) => [p.id, p]));
    const descends = (p: ProcessRow): boolean => {
      for (let cur = p.parentId, hops = 0; cur !== null && hops < 64; hops++) {
        if (cur === agentPid) return true;
        cur = byId.get(cur)?.parentId ?? null;
      }
      return false;
    };
    const input = t.inputJson;
    // Stored argv is redacted (redact-command.ts) while the tool input may hold the secret: compare redacted forms.
    const raw = extractCommand(input);
    const commandText = raw === null ? null : redactCommandText(raw);
    const scale = openEndNs !== null ? 0.8 : 1;
    const add = (kind: string, id: number, method: string, confidence: number) => {
      const row: CausalLinkRow = { id: this.store.nextId('causal_links'), toolCallId: t.id, targetKind: kind, targetId: id, method, confidence: round(confidence * scale) };
      this.store.addCausalLink(row);
      this.links++;
    };
    const linked: Array<{ p: ProcessRow; confidence: number }> = [];
    for (const p of procs) {
      if (p.startNs < from || p.startNs > to || p.id === agentPid) continue;
      if (agentPid !== null && !descends(p)) continue;
      const argv = p.argv.join(' ');
      const matches = commandText !== null && argv.length > 0 && (argv.includes(commandText) || commandText.includes(argv));
      const confidence = matches ? 0.95 : 0.6;
      add('process', p.id, matches ? 'lineage+window+command' : 'lineage+window', confidence);
      linked.push({ p, confidence });
    }
    for (const { p, confidence } of linked) {
      for (const f of this.store.fileOps({ processId: p.id, changesOnly: true })) add('file_op', f.id, 'via-process', confidence);
      for (const n of this.store.netConns({ processId: p.id })) add('net_conn', n.id, 'via-process', confidence);
    }
    if (agentPid !== null) {
      for (const f of this.store.fileOps({ processId: agentPid, changesOnly: true })) {
        if (f.firstNs < from || f.firstNs > to) continue;
        if (input.includes(JSON.stringify(f.path).slice(1, -1)) || (f.path2 !== null && input.includes(f.path2))) add('file_op', f.id, 'path-match', 0.9);
      }
    }
    this.linkMcp(t, from, to, procs, add);
  }

  /** The MCP tools/call that carried t out, and what its server did while serving it. */
  private linkMcp(t: ToolCallRow, from: number, to: number, procs: ProcessRow[], add: (kind: string, id: number, method: string, confidence: number) => void): void {
    const candidates = this.store.mcpCalls({ sessionId: t.sessionId!, method: 'tools/call' })
      .filter((c) => c.toolCallId === null && c.target !== null && mcpToolMatches(t.name, c.target) && c.startNs >= from && c.startNs <= to);
    if (candidates.length === 0) return;
    const want = canonicalJson(t.inputJson);
    const same = candidates.find((c) => want !== null && want === canonicalArguments(c.paramsJson));
    const c = same ?? candidates[0]!;
    const confidence = same ? 0.95 : 0.7;
    this.store.putMcpCall({ ...c, toolCallId: t.id });
    add('mcp_call', c.id, same ? 'mcp-name+arguments' : 'mcp-name+window', confidence);
    const server = this.store.mcpServers({ sessionId: t.sessionId! }).find((s) => s.id === c.serverId);
    if (!server || server.processId === null) return;
    // The server's process tree: the server and everything it started.
    const tree = new Set<number>([server.processId]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of procs) if (p.parentId !== null && tree.has(p.parentId) && !tree.has(p.id)) { tree.add(p.id); grew = true; }
    }
    const start = c.startNs;
    const end = c.endNs ?? to;
    const inWindow = (ns: number) => ns >= start && ns <= end;
    const served = confidence * 0.95;
    for (const p of procs) if (tree.has(p.id) && p.id !== server.processId && inWindow(p.startNs)) add('process', p.id, 'mcp-server+window', served);
    for (const pid of tree) {
      for (const f of this.store.fileOps({ processId: pid, changesOnly: true })) if (inWindow(f.firstNs)) add('file_op', f.id, 'mcp-server+window', served);
      for (const n of this.store.netConns({ processId: pid })) if (inWindow(n.firstNs)) add('net_conn', n.id, 'mcp-server+window', served);
    }
  }
}

/** Does a model's tool name name this MCP tool? `mcp__fs__write_file`, `fs__write_file` or `write_file` for write_file. */
export function mcpToolMatches(toolName: string, mcpTool: string): boolean {
  return toolName === mcpTool || toolName.endsWith(`__${mcpTool}`);
}

function canonicalJson(text: string | null): string | null {
  if (text === null) return null;
  try {
    return JSON.stringify(sortKeys(JSON.parse(text)));
  } catch {
    return null;
  }
}

function canonicalArguments(paramsJson: string | null): string | null {
  if (paramsJson === null) return null;
  try {
    return JSON.stringify(sortKeys((JSON.parse(paramsJson) as { arguments?: unknown }).arguments ?? {}));
  } catch {
    return null;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
}

/** The shell command of a tool input, for the common shapes: {"command": "..."}, {"cmd": "..."}, {"command": [...]}. */
function extractCommand(inputJson: string): string | null {
  try {
    const v = JSON.parse(inputJson) as Record<string, unknown>;
    const c = v['command'] ?? v['cmd'];
    if (typeof c === 'string') return c.trim() || null;
    if (Array.isArray(c)) return c.map(String).join(' ').trim() || null;
  } catch {
    // not JSON: no command to match
  }
  return null;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
