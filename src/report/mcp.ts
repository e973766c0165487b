/**
 * `agentsight report mcp`: the MCP servers the agents talked to (name and version from initialize, command,
 * transport, calls, errors, losses) and every request to them in time order — method, tool, outcome, latency,
 * sizes, and the model's tool call it carried out. --json has the arguments and results too.
 */
import type { McpCallRow, McpServerRow, RecordingReader } from '../store';
import type { ReportContext } from './context';
import { writeJson } from './context';
import { EXIT_NOTHING_FOUND, EXIT_OK, ReportError } from './errors';
import { formatBytes, formatDuration, formatInt, mcpArgumentsJson, mcpCallOutcome, mcpServerLabel, oneLine } from '../present';
import { renderTable } from './table';

export const MCP_SCHEMA_ID = 'agentsight.report.mcp/1';

function parsed(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function runMcp(store: RecordingReader, ctx: ReportContext): number {
  const servers = store.mcpServers();
  const calls = store.mcpCalls();
  const byId = new Map<number, McpServerRow>(servers.map((s) => [s.id, s]));
  const pids = new Map(store.processes().map((p) => [p.id, p.pid]));
  const tools = new Map(store.toolCalls().map((t) => [t.id, t]));
  if (ctx.json) {
    writeJson(ctx, {
      schema: MCP_SCHEMA_ID,
      recording: store.path,
      recordingState: store.recordingState(),
      servers: servers.map((s) => ({ ...s, pid: s.processId === null ? null : pids.get(s.processId) ?? null, label: mcpServerLabel(s) })),
      calls: calls.map((c) => ({
        ...c, paramsJson: undefined, resultJson: undefined, params: parsed(c.paramsJson), result: parsed(c.resultJson),
        start: ctx.clock.iso(c.startNs), latencyNs: c.endNs === null ? null : c.endNs - c.startNs, outcome: mcpCallOutcome(c),
        toolCall: c.toolCallId === null ? null : { id: c.toolCallId, callId: tools.get(c.toolCallId)?.callId ?? null, name: tools.get(c.toolCallId)?.name ?? null },
      })),
      completeness: store.completeness(),
    });
    return servers.length ? EXIT_OK : EXIT_NOTHING_FOUND;
  }
  if (servers.length === 0) throw new ReportError(`${store.path}: no MCP server recorded`, EXIT_NOTHING_FOUND);
  ctx.io.out('MCP servers\n');
  ctx.io.out(
    renderTable<McpServerRow>(
      [
        { title: 'ID', align: 'right', value: (s) => String(s.id) },
        { title: 'SERVER', value: (s) => mcpServerLabel(s) },
        { title: 'TRANSPORT', value: (s) => s.transport },
        { title: 'PID', align: 'right', value: (s) => (s.processId === null ? '-' : String(pids.get(s.processId) ?? '-')) },
        { title: 'CALLS', align: 'right', value: (s) => formatInt(s.calls) },
        { title: 'ERRORS', align: 'right', value: (s) => formatInt(s.errors), style: (s) => (s.errors ? 'red' : null) },
        { title: 'LOST', align: 'right', value: (s) => (s.lostBytes || s.malformed ? `${formatBytes(s.lostBytes)}${s.malformed ? `, ${formatInt(s.malformed)} malformed` : ''}` : '-'), style: (s) => (s.lostBytes ? 'red' : null) },
        { title: 'COMMAND', value: (s) => oneLine(s.command ?? '', 80), maxWidth: 80 },
      ],
      servers,
      ctx.painter,
    ),
  );
  const requests = calls.filter((c) => c.kind === 'request');
  if (requests.length === 0) return EXIT_OK;
  ctx.io.out('\nMCP requests\n');
  ctx.io.out(
    renderTable<McpCallRow>(
      [
        { title: 'TIME', value: (c) => ctx.clock.time(c.startNs) },
        { title: 'SERVER', value: (c) => (byId.has(c.serverId) ? mcpServerLabel(byId.get(c.serverId)!) : String(c.serverId)), maxWidth: 30 },
        { title: 'FROM', value: (c) => c.fromSide },
        { title: 'METHOD', value: (c) => `${c.method}${c.target ? ` ${c.target}` : ''}` },
        { title: 'RESULT', value: (c) => mcpCallOutcome(c), style: (c) => (c.isError || c.endNs === null ? 'red' : null), maxWidth: 40 },
        { title: 'LATENCY', align: 'right', value: (c) => (c.endNs === null ? '-' : formatDuration(c.endNs - c.startNs)) },
        { title: 'IN/OUT', align: 'right', value: (c) => `${formatBytes(c.requestBytes)}/${formatBytes(c.responseBytes)}` },
        { title: 'TOOL CALL', value: (c) => (c.toolCallId === null ? '' : `${tools.get(c.toolCallId)?.name ?? '?'}#${c.toolCallId}`) },
        { title: 'ARGUMENTS', value: (c) => (c.method === 'tools/call' ? oneLine(mcpArgumentsJson(c.paramsJson), 80) : ''), maxWidth: 80 },
      ],
      requests,
      ctx.painter,
    ),
  );
  return EXIT_OK;
}
