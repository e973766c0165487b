/**
 * The data behind `top --once`: the recording header and every session's detail as of one moment. Text and JSON
 * printers both read this, so they always agree.
 */
import type { Completeness, LossTotal, RecordingInfo, RecordingState, SessionSummary, RecordingReader, TlsTargetRow } from '../store';
import { loadSessionDetail, onceLimits, type DetailLimits, type SessionDetail } from './session-detail';

export interface OnceReport {
  info: RecordingInfo;
  /** Finished, in progress, or ended without its end (Store.recordingState). */
  recordingState: RecordingState;
  /** The recorded command line, when the recorder stored one. */
  command: string | null;
  startNs: number;
  endNs: number;
  atNs: number;
  lossTotals: LossTotal[];
  /** The whole recording's completeness verdict as of atNs. */
  completeness: Completeness;
  tlsTargets: TlsTargetRow[];
  sessions: SessionDetail[];
  /** Processes that belong to no session (counted even when not listed); null when not counted. */
  unattributedProcesses: number | null;
}

/** The recorded command from meta: a JSON argv array or a plain string. */
export function recordedCommand(meta: Readonly<Record<string, string>>): string | null {
  const raw = meta['command'] ?? meta['cmd'] ?? null;
  if (raw === null) return null;
  try {
    const v = JSON.parse(raw) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
      return v.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
    }
  } catch {
    // a plain string, kept as is
  }
  return raw;
}

/** Resolve the recording's span (an empty recording spans its meta start, or now). */
export function recordingSpan(info: RecordingInfo): { startNs: number; endNs: number } {
  const startNs = info.startNs ?? info.endNs ?? 0;
  const endNs = Math.max(startNs, info.endNs ?? startNs);
  return { startNs, endNs };
}

export function buildOnceReport(store: RecordingReader, atNs?: number, limitsIn?: DetailLimits, info: RecordingInfo = store.info()): OnceReport {
  const { startNs, endNs } = recordingSpan(info);
  const at = atNs ?? endNs;
  const summaries: SessionSummary[] = store.sessions({ atNs: at }).sort((a, b) => a.startNs - b.startNs || a.id - b.id);
  const limits = limitsIn ?? onceLimits(summaries.length);
  const sessions = summaries.map((s) => loadSessionDetail(store, s, at, limits, 0, true));
  let attributed = 0;
  for (const s of summaries) attributed += s.processes;
  // Processes outside every session, as of `at`: exact from the counts at the end; counted by loading rows only
  // when that stays cheap, otherwise left unknown (null) rather than guessed.
  let unattributed: number | null = null;
  if (at >= endNs) unattributed = Math.max(0, info.counts.processes - attributed);
  else if (info.counts.processes <= 20_000) unattributed = Math.max(0, store.processes({ atNs: at }).length - attributed);
  if (summaries.length === 0) {
    // Nothing was grouped into sessions (e.g. a plain `record` of a command): show every process as one group.
    const all = loadSessionDetail(store, null, at, limits, info.counts.llmCalls);
    if (all.processCount > 0 || all.fileChanges.length > 0 || all.llmCalls.length > 0 || all.netDests.length > 0) sessions.push(all);
    unattributed = 0;
  }
  return {
    info,
    recordingState: store.recordingState(),
    command: recordedCommand(info.meta),
    startNs,
    endNs,
    atNs: at,
    lossTotals: store.lossTotals({ atNs: at }),
    completeness: store.completeness({ atNs: at }),
    tlsTargets: store.tlsTargets().filter((t) => t.tsNs <= at),
    sessions,
    unattributedProcesses: unattributed,
  };
}
