/**
 * The interactive `top`: wires keys → actions → reactions, data ticks (seek, play, live) → DataSource, and a
 * throttled render loop that only builds frames from loaded data. Live and replay run the same loop; live adds a
 * one-second tick that moves the end of time (and follows it unless the user paused on the scrubber).
 */
import { StoreError } from '../../store/errors';
import type { RecordingReader } from '../../store';
import { recordingSpan } from '../once-report';
import { clampNote, resolveTimeSpec, TimeSpecError } from '../time-spec';
import type { TopOptions } from '../types';
import { ACTIONS, actionFor, type Reaction } from './actions';
import { loadSessionDetail } from '../session-detail';
import { DataSource, PANE_LIMITS } from './data-source';
import { fileView, llmCallView, netView, processView, sessionView, type ViewOptions } from './detail-views';
import { buildFrame, type FrameOptions } from './frame';
import { createScreen, utf8Locale, type AppScreen } from './screen-factory';
import { buildCorpus, SearchIndex } from './search';
import { initialState, type ViewState } from './view-state';

/** Frame budget: at most ~30 frames per second, only when something changed. */
const FRAME_MS = 33;
const LIVE_TICK_MS = 1000;
/** Play steps at least this far apart; slower when loads are slow, so replay stays cheap (≤5% of a core). */
const PLAY_TICK_MIN_MS = 250;
const PLAY_LOAD_DUTY = 20;
const SEARCH_DEBOUNCE_MS = 150;
const RESIZE_DEBOUNCE_MS = 80;
/** Rebuild the live search corpus when it is older than this. */
const LIVE_CORPUS_MAX_AGE_MS = 10_000;

export async function runApp(store: RecordingReader, opts: TopOptions & { atNs?: number; atNote?: string | null }): Promise<number> {
  const live = opts.live;
  const info = store.info();
  const nowNs = () => Date.now() * 1e6;
  let { startNs, endNs } = recordingSpan(info);
  if (live) {
    endNs = nowNs();
    if (info.startNs === null) startNs = endNs;
  }
  const st = initialState(startNs, endNs, live !== undefined, opts.atNs);
  if (opts.atNote) st.message = `--at ${opts.atNote}`;
  const ascii = opts.ascii === true || (!utf8Locale() && process.env['AGENTSIGHT_FORCE_UNICODE'] !== '1');
  const color = !(opts.noColor || (process.env['NO_COLOR'] ?? '') !== '');
  const fo: FrameOptions = { color, ascii, utc: opts.utc === true, plain: false };
  const vo: ViewOptions = { ascii, utc: opts.utc === true };

  const ds = new DataSource(store, live, startNs, live ? undefined : endNs);
  ds.loadTimeline(st.startNs, st.endNs);
  ds.loadAll(st);

  let app: AppScreen;
  try {
    app = createScreen({ forceUnicode: process.env['AGENTSIGHT_FORCE_UNICODE'] === '1' });
  } catch (err) {
    process.stderr.write(`agentsight: cannot start the terminal interface: ${(err as Error).message}\n`);
    return 2;
  }
  const { screen } = app;

  return new Promise<number>((resolve) => {
    let renderTimer: NodeJS.Timeout | null = null;
    let lastRender = 0;
    let playTimer: NodeJS.Timeout | null = null;
    let liveTimer: NodeJS.Timeout | null = null;
    let searchTimer: NodeJS.Timeout | null = null;
    let resizeTimer: NodeJS.Timeout | null = null;
    let lastLoadMs = 0;
    let search: { index: SearchIndex; builtAt: number } | null = null;
    let done = false;

    const render = () => {
      renderTimer = null;
      lastRender = Date.now();
      const frame = buildFrame(st, ds.view, screen.width as number, screen.height as number, fo);
      app.paint(frame.tagged);
    };
    const requestRender = () => {
      if (renderTimer || done) return;
      renderTimer = setTimeout(render, Math.max(0, lastRender + FRAME_MS - Date.now()));
    };

    const timed = (f: () => void) => {
      const t = performance.now();
      f();
      lastLoadMs = performance.now() - t;
    };

    const selectPending = () => {
      const r = st.pendingRow;
      st.pendingRow = null;
      if (r?.pane === 'processes') {
        const idx = ds.view.treeLines.findIndex((tl) => tl.node.proc.id === r.processId);
        if (idx >= 0) st.cursor.processes = idx;
      } else if (r?.pane === 'files') {
        const idx = ds.view.files.findIndex((f) => f.path === r.path);
        if (idx >= 0) st.cursor.files = idx;
      }
      const p = st.pendingCall;
      if (!p) return;
      st.pendingCall = null;
      const idx = ds.view.prompts.findIndex((r) => r.call.id === p.llmCallId && (p.toolCallId === null ? r.tool === null : r.tool?.id === p.toolCallId));
      if (idx >= 0) st.cursor.prompts = idx;
    };

    const openDetail = () => {
      const v = ds.view;
      let view = null;
      switch (st.focus) {
        case 'sessions': {
          // The story needs what the panes do not load: each call's prompt and what each tool call caused.
          const d = v.detail;
          view = d ? sessionView(loadSessionDetail(store, d.summary, st.atNs, PANE_LIMITS, 0, true, { workspaceOnly: st.workspaceOnly, prompts: true }), vo) : null;
          break;
        }
        case 'processes': {
          const tl = v.treeLines[st.cursor.processes];
          view = tl ? processView(store, tl.node.proc.id, st.atNs, vo) : null;
          break;
        }
        case 'files': {
          const f = v.files[st.cursor.files];
          view = f ? fileView(store, f, vo) : null;
          break;
        }
        case 'network': {
          const n = v.net[st.cursor.network];
          view = n ? netView(n, vo) : null;
          break;
        }
        case 'prompts': {
          const r = v.prompts[st.cursor.prompts];
          view = r ? llmCallView(store, r.call.id, st.atNs, vo) : null;
          break;
        }
      }
      if (view) st.details.push(view);
    };

    const schedulePlay = () => {
      if (playTimer) clearTimeout(playTimer);
      playTimer = null;
      if (!st.playing || done) return;
      const started = Date.now();
      playTimer = setTimeout(() => {
        const elapsed = Date.now() - started;
        st.atNs = Math.min(st.endNs, st.atNs + elapsed * 1e6 * st.speed);
        if (st.atNs >= st.endNs) {
          st.playing = false;
          if (st.live) st.following = true;
        }
        timed(() => ds.loadAll(st));
        requestRender();
        schedulePlay();
      }, Math.max(PLAY_TICK_MIN_MS, lastLoadMs * PLAY_LOAD_DUTY));
    };

    const liveTick = () => {
      if (!live || done) return;
      st.endNs = nowNs();
      ds.loadTimeline(st.startNs, st.endNs);
      if (st.following) {
        st.atNs = st.endNs;
        timed(() => ds.loadAll(st));
      } else {
        ds.view.liveStatus = live.status();
      }
      // Drawn in this wakeup when the frame budget allows (at rest it always does): a zero-delay timer would wake
      // the thread once more every second for nothing.
      if (!renderTimer && Date.now() - lastRender >= FRAME_MS) render();
      else requestRender();
    };

    const runSearch = () => {
      searchTimer = null;
      if (!search || (live && Date.now() - search.builtAt > LIVE_CORPUS_MAX_AGE_MS)) {
        search = { index: new SearchIndex(buildCorpus(store, live ? undefined : st.endNs)), builtAt: Date.now() };
      }
      st.search.hits = search.index.query(st.search.query);
      st.search.index = st.search.hits.length > 0 ? 0 : -1;
      st.search.listOpen = true;
      requestRender();
    };

    const react = (r: Reaction) => {
      if (r.quit) return shutdown(0);
      if (r.relist) {
        const before = st.selectedSessionId;
        ds.relist(st);
        if (st.selectedSessionId !== before) r.reloadDetail = true;
      }
      if (r.reload) {
        timed(() => ds.loadAll(st));
        selectPending();
      } else if (r.reloadDetail) {
        timed(() => ds.loadDetail(st));
        selectPending();
      } else if (r.resort) ds.resort(st);
      if (r.open) openDetail();
      if (r.search) {
        if (searchTimer) clearTimeout(searchTimer);
        searchTimer = setTimeout(runSearch, SEARCH_DEBOUNCE_MS);
      }
      if (r.play) schedulePlay();
      if (r.render) requestRender();
    };

    const onPromptKey = (ch: string | undefined, full: string) => {
      const p = st.prompt!;
      if (full === 'escape') {
        st.prompt = null;
        if (p.kind === 'filter') {
          st.filter = '';
          return react({ relist: true, render: true });
        }
        return react({ render: true });
      }
      if (full === 'enter' || full === 'linefeed') {
        st.prompt = null;
        if (p.kind === 'goto') {
          try {
            st.playing = false;
            st.following = false;
            const r = resolveTimeSpec(p.text, st.startNs, st.endNs, fo.utc);
            st.atNs = r.ns;
            st.message = clampNote(p.text, r.clamped, true);
            return react({ reload: true, render: true, play: true });
          } catch (err) {
            st.message = err instanceof TimeSpecError ? err.message : String(err);
            return react({ render: true });
          }
        }
        if (p.kind === 'search') {
          st.search.query = p.text;
          if (searchTimer) clearTimeout(searchTimer);
          runSearch();
          return;
        }
        return react({ render: true });
      }
      if (full === 'backspace') p.text = p.text.slice(0, -1);
      else if (ch && ch.length === 1 && ch >= ' ' && ch !== '\x7f') p.text += ch;
      else return;
      if (p.kind === 'filter') {
        st.filter = p.text;
        return react({ relist: true, render: true });
      }
      if (p.kind === 'search') {
        st.search.query = p.text;
        return react({ search: true, render: true });
      }
      react({ render: true });
    };

    const onKey = (ch: string | undefined, key: { full?: string; name?: string } | undefined) => {
      if (done) return;
      try {
        const full = key?.full ?? key?.name ?? ch ?? '';
        if (full === 'C-c') return shutdown(0);
        if (st.prompt) return onPromptKey(ch, full);
        const id = actionFor(full, ch);
        if (!id) return;
        st.message = null;
        react(ACTIONS[id](st, { data: ds.view, pageRows: Math.max(1, Math.floor((screen.height as number) / 3)), eventNs: (at, dir) => ds.eventNs(at, dir) }));
      } catch (err) {
        fail(err);
      }
    };

    const onResize = () => {
      if (resizeTimer) clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        resizeTimer = null;
        requestRender();
      }, RESIZE_DEBOUNCE_MS);
    };

    const signals: Array<[NodeJS.Signals, number]> = [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129], ['SIGQUIT', 131]];
    // After SIGHUP the terminal is gone: restoring it would only fail with EIO.
    const signalHandlers = signals.map(([sig, code]) => [sig, () => shutdown(code, undefined, sig !== 'SIGHUP')] as const);
    // A vanished terminal (EIO) or a closed pipe must end the program quietly, not as an uncaught stream error.
    const onStdoutError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EIO' || err.code === 'EPIPE') shutdown(129, undefined, false);
    };
    const fail = (err: unknown) => {
      const msg = err instanceof Error ? err.message : String(err);
      // A damaged page met while browsing: the same line as any reader's at open (the file named), exit 2.
      if (err instanceof StoreError) return shutdown(2, `agentsight: ${msg}\n`);
      shutdown(1, `agentsight: internal error in top: ${msg}\n`);
    };
    const onUncaught = (err: unknown) => fail(err);

    function shutdown(code: number, message?: string, restoreTerminal = true): void {
      if (done) return;
      done = true;
      for (const t of [renderTimer, playTimer, searchTimer, resizeTimer]) if (t) clearTimeout(t);
      if (liveTimer) clearInterval(liveTimer);
      for (const [sig, h] of signalHandlers) process.removeListener(sig, h);
      process.removeListener('uncaughtException', onUncaught);
      process.removeListener('unhandledRejection', onUncaught);
      screen.removeListener('keypress', onKey);
      if (restoreTerminal) app.restore();
      else process.stdout.destroy();
      if (message) process.stderr.write(message);
      // The CLI, which started a live capture, stops it once this returns.
      resolve(code);
    }

    for (const [sig, h] of signalHandlers) process.on(sig, h);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    process.stdout.on('error', onStdoutError);
    screen.on('keypress', onKey);
    screen.on('resize', onResize);
    if (live) liveTimer = setInterval(liveTick, LIVE_TICK_MS);
    render();
  });
}

