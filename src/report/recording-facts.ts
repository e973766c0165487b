/** Facts about a recording that several reports print: the command, the agents, the time span. */
import type { RecordingInfo, SessionSummary, RecordingReader } from '../store';
import { formatArgv } from '../present';

export interface RecordingFacts {
  readonly path: string;
  readonly schemaVersion: number;
  readonly command: string | null;
  readonly agents: string[];
  readonly startNs: number | null;
  readonly endNs: number | null;
  readonly durationNs: number | null;
  readonly meta: Readonly<Record<string, string>>;
}

/**
 * The recorded command. The collector stores it in meta (`command`, as a JSON argv array or a plain string; `argv`
 * is accepted too); recordings of attached processes have none, and the root session's title stands in.
 */
export function recordedCommand(info: RecordingInfo, sessions: readonly SessionSummary[]): string | null {
  for (const key of ['command', 'argv', 'cmdline']) {
    const v = info.meta[key];
    if (!v) continue;
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed) && parsed.every((a) => typeof a === 'string')) return formatArgv(parsed as string[]);
      if (typeof parsed === 'string') return parsed;
    } catch {
      // A plain string, not JSON.
    }
    return v;
  }
  const titled = sessions.find((s) => s.title);
  return titled ? titled.title : null;
}

export function recordingFacts(store: RecordingReader, sessions: readonly SessionSummary[] = store.sessions()): RecordingFacts {
  const info = store.info();
  const agents = [...new Set(sessions.map((s) => s.agent).filter((a): a is string => Boolean(a)))];
  if (agents.length === 0 && info.meta['agent']) agents.push(info.meta['agent']);
  return {
    path: info.path,
    schemaVersion: info.schemaVersion,
    command: recordedCommand(info, sessions),
    agents,
    startNs: info.startNs,
    endNs: info.endNs,
    durationNs: info.startNs !== null && info.endNs !== null ? info.endNs - info.startNs : null,
    meta: info.meta,
  };
}
