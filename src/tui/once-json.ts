/** JSON printer of `top --once --format json`: the same report as the text printer, as plain data. */
import { tokenFigures } from '../store';
import { exitStatus, processDurationNs } from '../present';
import type { OnceReport } from './once-report';
import { flattenForest } from './session-detail';

export function renderOnceJson(r: OnceReport): string {
  const out = {
    recording: {
      path: r.info.path,
      schemaVersion: r.info.schemaVersion,
      command: r.command,
      meta: r.info.meta,
      startNs: r.startNs,
      endNs: r.endNs,
      atNs: r.atNs,
      counts: r.info.counts,
      recordingState: r.recordingState,
    },
    losses: r.lossTotals,
    completeness: r.completeness,
    tlsTargets: r.tlsTargets.map((t) => ({ path: t.path, stack: t.stack, status: t.status, detail: t.detail })),
    unattributedProcesses: r.unattributedProcesses,
    sessions: r.sessions.map((d) => ({
      summary: d.summary,
      completeness: d.completeness,
      processCount: d.processCount,
      processesOmitted: d.processesOmitted,
      pathSearchMisses: d.pathSearchMisses,
      processes: flattenForest(d.roots).map((tl) => ({
        depth: tl.depth,
        ...tl.node.proc,
        status: exitStatus(tl.node.proc, d.atNs),
        durationNs: processDurationNs(tl.node.proc, d.atNs),
        failedExecs: tl.node.failedExecs,
        pathSearchMisses: tl.node.pathSearchMisses,
      })),
      filesChanged: d.filesChanged,
      fileChangeCount: d.fileChangeTotal,
      fileChangeCounts: d.fileChangeCounts,
      fileChanges: d.fileChanges,
      networkDestinationCount: d.netDestTotal,
      network: d.netDests,
      llmCallsOmitted: d.llmCallsOmitted,
      llmCalls: d.llmCalls.map((c) => ({
        ...c,
        // Token fields in the views' kinds (docs/figures.md), not the stored convention.
        ...(c.inputTokens === null && c.outputTokens === null ? {} : tokenFigures(c)),
        requestJson: undefined,
        responseJson: undefined,
        toolCalls: (d.toolCallsByCall.get(c.id) ?? []).map((t) => ({ ...t, effects: d.effectsByToolCall.get(t.id) ?? [] })),
      })),
    })),
  };
  return JSON.stringify(out, null, 2) + '\n';
}
