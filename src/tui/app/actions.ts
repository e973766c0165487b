/**
 * Keys map to actions in one table (KEYMAP); an action changes the state and returns a reaction telling the loop
 * what to do next (redraw, re-list, reload data, open a view, search, quit). Actions never draw and never query.
 */
import { nextEventNs } from './data-source';
import { sortChoices, type SortablePane } from './pane-sorts';
import { PANES, PANE_TITLES, SPEEDS, rowCount, type PaneId, type ViewData, type ViewState } from './view-state';

export interface Reaction {
  render?: boolean;
  /** Re-filter/re-sort the model without a query. */
  relist?: boolean;
  /** Reload everything as of state.atNs (a seek). */
  reload?: boolean;
  /** Reload the selected session's detail panes. */
  reloadDetail?: boolean;
  /** Re-sort the detail panes (a new sort key; no query). */
  resort?: boolean;
  /** Open the detail view of the focused pane's selected row. */
  open?: boolean;
  /** Run the search for state.search.query (debounced by the loop). */
  search?: boolean;
  /** Start or stop the play timer. */
  play?: boolean;
  /** Return to following live data. */
  live?: boolean;
  quit?: boolean;
}

export interface ActionEnv {
  data: ViewData;
  /** Rows visible in the focused pane (page size). */
  pageRows: number;
  /** The next/previous event at full resolution (DataSource.eventNs); the timeline's slots when absent. */
  eventNs?: (atNs: number, dir: 1 | -1) => number | null;
}

export type Action = (st: ViewState, env: ActionEnv) => Reaction;

const SECOND = 1e9;

function seekTo(st: ViewState, ns: number): Reaction {
  const at = Math.min(st.endNs, Math.max(st.startNs, Math.round(ns)));
  // Moving the scrubber pauses live following (atop's twin mode): capture continues, the view stays put.
  st.following = false;
  if (at === st.atNs) return { render: true };
  st.atNs = at;
  return { reload: true, render: true };
}

function seekBy(deltaNs: number): Action {
  return (st) => seekTo(st, st.atNs + deltaNs);
}

function moveCursor(delta: number | 'top' | 'bottom' | 'pageUp' | 'pageDown'): Action {
  return (st, env) => {
    if (st.overlay === 'sort' && st.sortMenu) {
      const n = sortChoices(st.sortMenu.pane).length;
      const step = delta === 'top' ? -n : delta === 'bottom' ? n : delta === 'pageUp' ? -env.pageRows : delta === 'pageDown' ? env.pageRows : delta;
      st.sortMenu.index = Math.max(0, Math.min(n - 1, st.sortMenu.index + step));
      return { render: true };
    }
    if (st.details.length > 0) {
      const d = st.details[st.details.length - 1];
      const step = delta === 'pageUp' ? -env.pageRows : delta === 'pageDown' ? env.pageRows : delta === 'top' ? -1e9 : delta === 'bottom' ? 1e9 : delta;
      d.top = Math.max(0, d.top + step);
      return { render: true };
    }
    if (st.search.listOpen) {
      const n = st.search.hits.length;
      const step = typeof delta === 'number' ? delta : delta === 'pageUp' ? -env.pageRows : delta === 'pageDown' ? env.pageRows : delta === 'top' ? -n : n;
      st.search.index = Math.max(0, Math.min(n - 1, st.search.index + step));
      return { render: true };
    }
    const pane = st.focus;
    const n = rowCount(env.data, pane);
    const cur = st.cursor[pane];
    let next: number;
    if (delta === 'top') next = 0;
    else if (delta === 'bottom') next = n - 1;
    else if (delta === 'pageUp') next = cur - env.pageRows;
    else if (delta === 'pageDown') next = cur + env.pageRows;
    else next = cur + delta;
    next = Math.max(0, Math.min(n - 1, next));
    if (next === cur || n === 0) return { render: true };
    st.cursor[pane] = next;
    if (pane === 'sessions') {
      st.selectedSessionId = env.data.list[next]?.id ?? null;
      for (const p of PANES) if (p !== 'sessions') st.cursor[p] = st.top[p] = 0;
      return { reloadDetail: true, render: true };
    }
    return { render: true };
  };
}

function focus(pane: PaneId): Action {
  return (st) => {
    st.focus = pane;
    return { render: true };
  };
}

function cycleFocus(dir: 1 | -1): Action {
  return (st) => {
    st.focus = PANES[(PANES.indexOf(st.focus) + dir + PANES.length) % PANES.length];
    return { render: true };
  };
}

/** The sort key of a pane now: its id and whether the key's default direction is inverted. */
export function paneSortOf(st: ViewState, pane: PaneId): { by: string; invert: boolean } | null {
  if (pane === 'sessions') return { by: st.sortBy, invert: st.invert };
  if (pane === 'prompts') return null;
  return st.paneSort[pane];
}

/** Sort the focused pane by a key (a menu pick or `<`/`>`); sessions re-list, the detail panes re-sort. */
function applySort(st: ViewState, pane: PaneId, id: string): Reaction {
  const title = sortChoices(pane).find((c) => c.id === id)?.title ?? id;
  st.message = `${PANE_TITLES[pane]} sorted by ${title}`;
  if (pane === 'sessions') {
    st.sortBy = id;
    return { relist: true, render: true };
  }
  st.paneSort[pane as SortablePane] = { by: id, invert: st.paneSort[pane as SortablePane].invert };
  return { resort: true, render: true };
}

function noColumns(st: ViewState): Reaction {
  st.message = `${PANE_TITLES[st.focus]} has no columns to sort: it stays in time order`;
  return { render: true };
}

function cycleSort(dir: 1 | -1): Action {
  return (st) => {
    const choices = sortChoices(st.focus);
    if (choices.length === 0) return noColumns(st);
    const i = choices.findIndex((c) => c.id === paneSortOf(st, st.focus)!.by);
    return applySort(st, st.focus, choices[(i + dir + choices.length) % choices.length].id);
  };
}

/** F6: htop's sort menu for the focused pane, the current key highlighted; Enter picks, Esc or F6 closes. */
const sortMenu: Action = (st) => {
  if (st.overlay === 'sort') {
    st.overlay = null;
    st.sortMenu = null;
    return { render: true };
  }
  const choices = sortChoices(st.focus);
  if (choices.length === 0) return noColumns(st);
  st.overlay = 'sort';
  st.sortMenu = { pane: st.focus, index: Math.max(0, choices.findIndex((c) => c.id === paneSortOf(st, st.focus)!.by)) };
  return { render: true };
};

function startPrompt(kind: 'filter' | 'search' | 'goto'): Action {
  return (st) => {
    st.prompt = { kind, text: kind === 'filter' ? st.filter : kind === 'search' ? st.search.query : '' };
    return { render: true };
  };
}

function jumpToHit(st: ViewState, index: number): Reaction {
  const hit = st.search.hits[index];
  if (!hit) return { render: true };
  st.search.index = index;
  st.search.listOpen = false;
  st.details = [];
  st.playing = false;
  if (hit.item.sessionId !== null) st.selectedSessionId = hit.item.sessionId;
  st.filter = '';
  st.message = `match ${index + 1}/${st.search.hits.length}`;
  // Select the matching row once the detail is loaded (the loop resolves it after the reload).
  const it = hit.item;
  if (it.kind === 'file' || it.kind === 'command') {
    st.focus = it.kind === 'file' ? 'files' : 'processes';
    st.pendingCall = null;
    st.pendingRow = it.kind === 'file' ? { pane: 'files', path: it.path ?? '' } : { pane: 'processes', processId: it.processId! };
  } else {
    st.focus = 'prompts';
    st.pendingRow = null;
    st.pendingCall = { llmCallId: it.llmCallId!, toolCallId: it.toolCallId };
  }
  const r = seekTo(st, Math.max(hit.item.tsNs, st.startNs));
  return { ...r, relist: true, reload: true, play: true };
}

export const ACTIONS = {
  quit: (() => ({ quit: true })) as Action,
  up: moveCursor(-1),
  down: moveCursor(1),
  pageUp: moveCursor('pageUp'),
  pageDown: moveCursor('pageDown'),
  top: moveCursor('top'),
  bottom: moveCursor('bottom'),
  focusNext: cycleFocus(1),
  focusPrev: cycleFocus(-1),
  focusSessions: focus('sessions'),
  focusProcesses: focus('processes'),
  focusFiles: focus('files'),
  focusNetwork: focus('network'),
  focusPrompts: focus('prompts'),
  open: ((st) => {
    if (st.overlay === 'sort' && st.sortMenu) {
      const { pane, index } = st.sortMenu;
      st.overlay = null;
      st.sortMenu = null;
      return applySort(st, pane, sortChoices(pane)[index].id);
    }
    if (st.search.listOpen) return jumpToHit(st, st.search.index);
    return st.details.length > 0 ? { render: true } : { open: true, render: true };
  }) as Action,
  back: ((st) => {
    if (st.overlay) {
      st.overlay = null;
      st.sortMenu = null;
    } else if (st.search.listOpen) st.search.listOpen = false;
    else if (st.details.length > 0) st.details.pop();
    else if (st.expanded) st.expanded = false;
    else st.message = null;
    return { render: true };
  }) as Action,
  expand: ((st) => {
    st.expanded = !st.expanded;
    return { render: true };
  }) as Action,
  sortNext: cycleSort(1),
  sortPrev: cycleSort(-1),
  sortMenu,
  workspace: ((st) => {
    st.workspaceOnly = !st.workspaceOnly;
    st.message = st.workspaceOnly ? 'files: workspace only (the session\'s cwd)' : 'files: everywhere';
    return { reloadDetail: true, render: true };
  }) as Action,
  invert: ((st) => {
    if (st.focus === 'prompts') return noColumns(st);
    if (st.focus === 'sessions') {
      st.invert = !st.invert;
      return { relist: true, render: true };
    }
    const s = st.paneSort[st.focus];
    s.invert = !s.invert;
    return { resort: true, render: true };
  }) as Action,
  filter: startPrompt('filter'),
  search: startPrompt('search'),
  gotoTime: startPrompt('goto'),
  searchNext: ((st) => (st.search.hits.length === 0 ? { render: true } : jumpToHit(st, (st.search.index + 1) % st.search.hits.length))) as Action,
  searchPrev: ((st) =>
    st.search.hits.length === 0 ? { render: true } : jumpToHit(st, (st.search.index - 1 + st.search.hits.length) % st.search.hits.length)) as Action,
  stepBack: seekBy(-SECOND),
  stepForward: seekBy(SECOND),
  back10s: seekBy(-10 * SECOND),
  forward10s: seekBy(10 * SECOND),
  back1m: seekBy(-60 * SECOND),
  forward1m: seekBy(60 * SECOND),
  prevEvent: ((st, env) => {
    const t = env.eventNs ? env.eventNs(st.atNs, -1) : nextEventNs(env.data.timeline, st.atNs, -1);
    return t === null ? ((st.message = 'no earlier event'), { render: true }) : seekTo(st, t);
  }) as Action,
  nextEvent: ((st, env) => {
    const t = env.eventNs ? env.eventNs(st.atNs, 1) : nextEventNs(env.data.timeline, st.atNs, 1);
    return t === null ? ((st.message = 'no later event'), { render: true }) : seekTo(st, t);
  }) as Action,
  toStart: ((st) => seekTo(st, st.startNs)) as Action,
  playPause: ((st) => {
    if (!st.playing && st.atNs >= st.endNs && !st.live) seekTo(st, st.startNs);
    st.playing = !st.playing;
    st.following = false;
    return { play: true, render: true, reload: true };
  }) as Action,
  speed: ((st) => {
    st.speed = SPEEDS[(SPEEDS.indexOf(st.speed as (typeof SPEEDS)[number]) + 1) % SPEEDS.length];
    return { render: true };
  }) as Action,
  live: ((st) => {
    st.playing = false;
    if (st.live) {
      st.following = true;
      st.atNs = st.endNs;
      return { live: true, play: true, reload: true, render: true };
    }
    return { ...seekTo(st, st.endNs), play: true };
  }) as Action,
  help: ((st) => {
    st.overlay = st.overlay === 'help' ? null : 'help';
    return { render: true };
  }) as Action,
} satisfies Record<string, Action>;

export type ActionId = keyof typeof ACTIONS;

/** The one key table: blessed key names (key.full) or typed characters → action, with the help text. */
export const KEYMAP: ReadonlyArray<{ keys: readonly string[]; action: ActionId; help: string }> = [
  { keys: ['q', 'f10', 'C-c'], action: 'quit', help: 'quit' },
  { keys: ['f1', '?'], action: 'help', help: 'help' },
  { keys: ['up', 'k'], action: 'up', help: 'previous row' },
  { keys: ['down', 'j'], action: 'down', help: 'next row' },
  { keys: ['pageup'], action: 'pageUp', help: 'page up' },
  { keys: ['pagedown'], action: 'pageDown', help: 'page down' },
  { keys: ['home'], action: 'top', help: 'first row' },
  { keys: ['end'], action: 'bottom', help: 'last row' },
  { keys: ['tab'], action: 'focusNext', help: 'next pane' },
  { keys: ['S-tab'], action: 'focusPrev', help: 'previous pane' },
  { keys: ['1'], action: 'focusSessions', help: 'sessions' },
  { keys: ['2'], action: 'focusProcesses', help: 'processes' },
  { keys: ['3'], action: 'focusFiles', help: 'files' },
  { keys: ['4'], action: 'focusNetwork', help: 'network' },
  { keys: ['5'], action: 'focusPrompts', help: 'prompts' },
  { keys: ['enter', 'linefeed'], action: 'open', help: 'open detail' },
  { keys: ['escape', 'backspace'], action: 'back', help: 'back' },
  { keys: ['e'], action: 'expand', help: 'expand pane' },
  { keys: ['w'], action: 'workspace', help: 'files: workspace only / all' },
  { keys: ['f6'], action: 'sortMenu', help: 'sort menu (focused pane)' },
  { keys: ['>'], action: 'sortNext', help: 'sort by next column' },
  { keys: ['<'], action: 'sortPrev', help: 'sort by previous column' },
  { keys: ['I'], action: 'invert', help: 'invert sort' },
  { keys: ['f4', '\\'], action: 'filter', help: 'filter sessions' },
  { keys: ['f3', '/'], action: 'search', help: 'search prompts, tools, paths, commands' },
  { keys: ['n'], action: 'searchNext', help: 'next match' },
  { keys: ['N'], action: 'searchPrev', help: 'previous match' },
  { keys: ['left'], action: 'stepBack', help: 'time -1s' },
  { keys: ['right'], action: 'stepForward', help: 'time +1s' },
  { keys: ['['], action: 'back10s', help: 'time -10s' },
  { keys: [']'], action: 'forward10s', help: 'time +10s' },
  { keys: ['{'], action: 'back1m', help: 'time -1m' },
  { keys: ['}'], action: 'forward1m', help: 'time +1m' },
  { keys: ['('], action: 'prevEvent', help: 'previous event' },
  { keys: [')'], action: 'nextEvent', help: 'next event' },
  { keys: ['0'], action: 'toStart', help: 'start of recording' },
  { keys: ['g'], action: 'gotoTime', help: 'go to time' },
  { keys: ['space'], action: 'playPause', help: 'play/pause' },
  { keys: ['+', 'x'], action: 'speed', help: 'speed 1x/4x/16x' },
  { keys: ['L'], action: 'live', help: 'back to live / end' },
];

const BY_KEY = new Map<string, ActionId>();
for (const k of KEYMAP) for (const key of k.keys) BY_KEY.set(key, k.action);

/** The action bound to a key: blessed's full key name first, then the typed character. */
export function actionFor(full: string | undefined, ch: string | undefined): ActionId | undefined {
  return (full !== undefined ? BY_KEY.get(full) : undefined) ?? (ch !== undefined ? BY_KEY.get(ch) : undefined);
}
