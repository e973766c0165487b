/**
 * The TUI's state (what the user chose: time, sort, filter, focus, selection, open views) and the data loaded for
 * it (the model rows as of the scrubber time). Live and replay share both; live just moves `endNs` and follows it.
 */
import type { Completeness, FileChange, LiveStatus, LlmCallRow, RecordingState, SessionSummary, ToolCallRow } from '../../store';
import type { NetDest, SessionDetail, TreeLine } from '../session-detail';
import type { SortablePane } from './pane-sorts';
import type { SearchHit } from './search';
import type { Line } from './styled-line';

export type PaneId = 'sessions' | 'processes' | 'files' | 'network' | 'prompts';
export const PANES: readonly PaneId[] = ['sessions', 'processes', 'files', 'network', 'prompts'];
export const PANE_TITLES: Record<PaneId, string> = {
  sessions: 'Sessions', processes: 'Processes', files: 'Files', network: 'Network', prompts: 'Prompts',
};

export const SPEEDS = [1, 4, 16] as const;

/** A full-body view opened with Enter: content fetched when opened, laid out per width when drawn. */
export interface DetailView {
  title: string;
  render(width: number): Line[];
  top: number;
}

export type PromptKind = 'filter' | 'search' | 'goto';

export interface ViewState {
  live: boolean;
  /** Live mode showing the newest data (false = paused on the scrubber while capture continues). */
  following: boolean;
  atNs: number;
  startNs: number;
  endNs: number;
  playing: boolean;
  speed: number;
  sortBy: string;
  invert: boolean;
  filter: string;
  focus: PaneId;
  expanded: boolean;
  selectedSessionId: number | null;
  cursor: Record<PaneId, number>;
  top: Record<PaneId, number>;
  details: DetailView[];
  prompt: { kind: PromptKind; text: string } | null;
  search: { query: string; hits: SearchHit[]; index: number; listOpen: boolean };
  overlay: 'help' | 'sort' | null;
  /** The F6 menu: the pane it sorts and the highlighted choice (sortChoices(pane)[index]). */
  sortMenu: { pane: PaneId; index: number } | null;
  /** Sort of the Processes (siblings), Files and Network panes (pane-sorts.ts); Sessions use sortBy/invert. */
  paneSort: Record<SortablePane, { by: string; invert: boolean }>;
  /** Hide file changes outside the session's workspace (its root process's cwd): the agent's home/config churn. */
  workspaceOnly: boolean;
  message: string | null;
  /** Prompts-pane row to select after the next reload (set by a search jump). */
  pendingCall: { llmCallId: number; toolCallId: number | null } | null;
  /** Processes- or Files-pane row to select after the next reload (a search jump to a command or a path). */
  pendingRow: { pane: 'processes'; processId: number } | { pane: 'files'; path: string } | null;
}

/** One row of the prompts pane: an LLM call, or one of its tool calls under it. */
export interface PromptRow {
  call: LlmCallRow;
  tool: ToolCallRow | null;
}

/** Activity per time slot over the recording (seconds, or coarser for very long recordings). */
export interface Timeline {
  startNs: number;
  slotNs: number;
  events: Float64Array;
  llmCalls: Float64Array;
  tokens: Float64Array;
  errors: Float64Array;
  losses: Float64Array;
}

export interface ViewData {
  /** The model: every session as of atNs. */
  sessions: SessionSummary[];
  /** The display list: filtered and sorted. */
  list: SessionSummary[];
  detail: SessionDetail | null;
  treeLines: TreeLine[];
  files: FileChange[];
  net: NetDest[];
  prompts: PromptRow[];
  lossTotal: number;
  /** The whole recording's completeness verdict as of atNs (header). */
  completeness: Completeness | null;
  /** Token rate as of atNs over the last 10 s (DataSource.loadAll), from calls ended by then. */
  tokensPerSecond: number;
  timeline: Timeline;
  liveStatus: LiveStatus | null;
  /** How the recording ended (Store.recordingState); null for a live capture (this process's own). */
  recordingState: RecordingState | null;
}

export function initialState(startNs: number, endNs: number, live: boolean, atNs?: number): ViewState {
  const zero = { sessions: 0, processes: 0, files: 0, network: 0, prompts: 0 };
  return {
    live,
    following: live && atNs === undefined,
    atNs: atNs ?? endNs,
    startNs,
    endNs,
    playing: false,
    speed: 1,
    sortBy: 'idle',
    invert: false,
    filter: '',
    focus: 'sessions',
    expanded: false,
    selectedSessionId: null,
    cursor: { ...zero },
    top: { ...zero },
    details: [],
    prompt: null,
    search: { query: '', hits: [], index: -1, listOpen: false },
    overlay: null,
    sortMenu: null,
    paneSort: { processes: { by: 'start', invert: false }, files: { by: 'first', invert: false }, network: { by: 'first', invert: false } },
    workspaceOnly: false,
    message: null,
    pendingCall: null,
    pendingRow: null,
  };
}

export function emptyTimeline(startNs: number): Timeline {
  const z = () => new Float64Array(0);
  return { startNs, slotNs: 1e9, events: z(), llmCalls: z(), tokens: z(), errors: z(), losses: z() };
}

export function rowCount(data: ViewData, pane: PaneId): number {
  switch (pane) {
    case 'sessions': return data.list.length;
    case 'processes': return data.treeLines.length;
    case 'files': return data.files.length;
    case 'network': return data.net.length;
    case 'prompts': return data.prompts.length;
  }
}

/** Rows of a pane beyond what was loaded (counted, never guessed): said in the pane's title. */
export function notListed(data: ViewData, pane: PaneId): number {
  const d = data.detail;
  if (!d) return 0;
  switch (pane) {
    case 'sessions': return 0;
    case 'processes': return d.processesOmitted;
    case 'files': return Math.max(0, d.fileChangeTotal - d.fileChanges.length);
    case 'network': return Math.max(0, d.netDestTotal - d.netDests.length);
    case 'prompts': return d.llmCallsOmitted;
  }
}

/** Flatten LLM calls with their tool calls for the prompts pane. */
export function promptRows(detail: SessionDetail | null): PromptRow[] {
  if (!detail) return [];
  const rows: PromptRow[] = [];
  for (const call of detail.llmCalls) {
    rows.push({ call, tool: null });
    for (const t of detail.toolCallsByCall.get(call.id) ?? []) rows.push({ call, tool: t });
  }
  return rows;
}
