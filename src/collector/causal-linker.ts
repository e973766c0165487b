/**
 * Tool call → what it caused. When a tool call's result reaches the model (its window closes), the processes that
 * started in the session between the call and its result, descending from the process that made the call, are
 * linked to it, with the file changes and connections those processes made; file changes by the agent process
 * itself in the window whose path appears in the tool input (Write/Edit tools) are linked by path.
 *
 * confidence: 0.95 when the tool input names the process's command line, 0.6 for lineage + window alone (several
 * tools may run at once), path matches 0.9. Reads go through the store after the tick's commit.
 */
import type { RecordingReader, RecordingWriter } from '../store/store';
import type { CausalLinkRow, ProcessRow, ToolCallRow } from '../store/types';
import { redactCommandText } from './process/redact-command';

/** What the linker reads back (rows of the tool call's window, committed at the tick before): nothing else. */
export type CausalLinkReads = Pick<RecordingReader, 'toolCalls' | 'causalLinks' | 'llmCall' | 'processes' | 'fileOps' | 'netConns'>;

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
  }
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
