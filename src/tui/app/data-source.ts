/**
 * Reads what the screen needs from the Store as of the scrubber time. Called on data ticks (seek, play step, live
 * tick, selection change), never from the render path. The timeline is read once (replay) or extended (live).
 */
import type { RecordingReader } from '../../store';
import { flattenForest, loadSessionDetail, type DetailLimits } from '../session-detail';
import type { LiveView } from '../types';
import { FILE_SORTS, NET_SORTS, sortForest, sortRows } from './pane-sorts';
import { replayCache } from './replay-cache';
import { displayList } from './session-list';
import { emptyTimeline, promptRows, type Timeline, type ViewData, type ViewState } from './view-state';

/** Rows per pane kept in memory for the selected session; panes page through these, widgets see only a screenful. */
export const PANE_LIMITS: DetailLimits = { processes: 2000, files: 1000, net: 300, llmCalls: 500 };

/** Slots in the timeline at most: one per second up to a day, coarser beyond. */
const MAX_SLOTS = 86_400;

/** The window of the header's tok/s. */
const TOKEN_RATE_S = 10;

export class DataSource {
  timeline: Timeline;
  private data: ViewData;
  /** Where detail panes read from: the store, or in replay the store behind a per-session row cache. */
  private readonly detailStore: RecordingReader;

  constructor(readonly store: RecordingReader, readonly live: LiveView | undefined, startNs: number, replayEndNs?: number) {
    this.detailStore = live === undefined && replayEndNs !== undefined ? replayCache(store, replayEndNs) : store;
    this.timeline = emptyTimeline(startNs);
    this.data = {
      sessions: [], list: [], detail: null, treeLines: [], files: [], net: [], prompts: [], lossTotal: 0, completeness: null, tokensPerSecond: 0,
      timeline: this.timeline, liveStatus: null, recordingState: null,
    };
  }

  get view(): ViewData {
    return this.data;
  }

  /** (Re)read per-slot activity over [startNs, endNs]: one indexed query over precomputed per-second buckets. */
  loadTimeline(startNs: number, endNs: number): void {
    const span = Math.max(1e9, endNs - startNs);
    const slotNs = Math.max(1e9, Math.ceil(span / MAX_SLOTS / 1e9) * 1e9);
    const start = Math.floor(startNs / slotNs) * slotNs;
    const n = Math.max(1, Math.ceil((endNs + 1 - start) / slotNs));
    const buckets = this.store.activity(start, start + n * slotNs, n);
    const tl: Timeline = {
      startNs: start, slotNs,
      events: new Float64Array(n), llmCalls: new Float64Array(n), tokens: new Float64Array(n),
      errors: new Float64Array(n), losses: new Float64Array(n),
    };
    buckets.forEach((b, i) => {
      tl.events[i] = b.procEvents + b.fileOps + b.netEvents + b.llmCalls;
      tl.llmCalls[i] = b.llmCalls;
      tl.tokens[i] = b.tokens;
      tl.errors[i] = b.errors;
      tl.losses[i] = b.losses;
    });
    this.timeline = tl;
    this.data.timeline = tl;
  }

  /** Everything as of state.atNs, read from one snapshot (every pane shows the same commit). */
  loadAll(state: ViewState): ViewData {
    return this.store.readSnapshot(() => {
      const sessions = this.store.sessions({ atNs: state.atNs });
      const lossTotal = this.store.lossTotals({ atNs: state.atNs }).reduce((n, l) => n + l.count, 0);
      const completeness = this.store.completeness({ atNs: state.atNs });
      // A live capture is this process's own: nothing to say about how it ended.
      const recordingState = this.live ? null : this.store.recordingState();
      // Tokens of the calls that ended in the last TOKEN_RATE_S seconds: none that come later (the timeline's
      // one-second slots would count a whole slot's tokens at +0.75 s).
      const tokensPerSecond = this.store.tokensEndedIn(state.atNs, TOKEN_RATE_S * 1e9) / TOKEN_RATE_S;
      this.data = { ...this.data, sessions, lossTotal, completeness, tokensPerSecond, liveStatus: this.live ? this.live.status() : null, recordingState };
      this.relist(state);
      this.loadDetail(state);
      return this.data;
    });
  }

  /** The next/previous event at full resolution (`(`/`)`), within the view's span. */
  eventNs(atNs: number, dir: 1 | -1): number | null {
    return this.store.eventNs(atNs, dir);
  }

  /** Re-filter and re-sort the model (no query). Keeps the selected session selected when it is still listed. */
  relist(state: ViewState): void {
    const list = displayList(this.data.sessions, state, { atNs: state.atNs });
    this.data = { ...this.data, list };
    let idx = state.selectedSessionId !== null ? list.findIndex((s) => s.id === state.selectedSessionId) : -1;
    if (idx < 0) idx = Math.min(state.cursor.sessions, list.length - 1);
    state.cursor.sessions = Math.max(0, idx);
    state.selectedSessionId = list[idx]?.id ?? null;
  }

  /** The selected session's detail panes. */
  loadDetail(state: ViewState): void {
    const summary = this.data.list.find((s) => s.id === state.selectedSessionId) ?? null;
    // A recording without sessions (nothing grouped them) still has processes: show them all, as --once does.
    const o = { workspaceOnly: state.workspaceOnly };
    const detail = summary
      ? loadSessionDetail(this.detailStore, summary, state.atNs, PANE_LIMITS, 0, false, o)
      : this.data.sessions.length === 0
        ? loadSessionDetail(this.store, null, state.atNs, PANE_LIMITS, 0, false, o)
        : null;
    this.data = { ...this.data, detail, prompts: promptRows(detail) };
    this.resort(state);
  }

  /** The detail panes in the order the user picked (F6, <, >, I): no query, the loaded rows re-sorted. */
  resort(state: ViewState): void {
    const d = this.data.detail;
    const ps = state.paneSort;
    this.data = {
      ...this.data,
      treeLines: d ? flattenForest(sortForest(d.roots, ps.processes.by, ps.processes.invert, state.atNs), false) : [],
      files: d ? sortRows(d.fileChanges, FILE_SORTS, ps.files.by, ps.files.invert, state.atNs) : [],
      net: d ? sortRows(d.netDests, NET_SORTS, ps.network.by, ps.network.invert, state.atNs) : [],
    };
  }
}

/** Next (dir 1) or previous (dir -1) moment with an LLM call, error or loss; null when there is none. */
export function nextEventNs(tl: Timeline, atNs: number, dir: 1 | -1): number | null {
  const cur = Math.floor((atNs - tl.startNs) / tl.slotNs);
  for (let i = cur + dir; i >= 0 && i < tl.llmCalls.length; i += dir) {
    if (tl.llmCalls[i] > 0 || tl.errors[i] > 0 || tl.losses[i] > 0) {
      // Just before the end of the slot, so the state shown includes what happened in it (1 µs, since Unix-ns
      // doubles resolve 256 ns and a 1 ns step would round to the next slot).
      return tl.startNs + (i + 1) * tl.slotNs - 1000;
    }
  }
  return null;
}
