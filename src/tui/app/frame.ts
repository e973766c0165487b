/**
 * Builds one frame: exactly `height` rows of exactly `width` columns, from the state and the loaded data. Pure and
 * I/O-free (the render loop calls it), and only the visible slice of every list is laid out.
 */
import { completenessBadge, containerLabel, exitStatus, formatCallTokens, formatClock, formatClockMs, formatCost, formatCount, formatBytes, formatDuration, processDurationNs, recordingStateText, strWidth, toolCallLabel, truncate } from '../../present';
import { KEYMAP, paneSortOf } from './actions';
import { PROCESS_SORTS, sortChoices } from './pane-sorts';
import { COLUMNS, type Column } from './columns';
import { keyLabels } from './key-names';
import { PROCESS_COLUMNS, processCell } from './process-columns';
import { scrollTop } from './session-list';
import { plainText, renderLine, seg, type Line, type LineOptions, type Style } from './styled-line';
import { PANE_TITLES, notListed, rowCount, type PaneId, type ViewData, type ViewState } from './view-state';

export interface FrameOptions extends LineOptions {
  utc: boolean;
  /** Also produce the plain text of each row (tests, width checks); the render loop does not need it. */
  plain?: boolean;
}

export interface Frame {
  /** blessed-tagged rows. */
  tagged: string[];
  /** The same rows as plain text (what the terminal shows). */
  plain: string[];
}

interface Part {
  line: Line;
  width: number;
  fill?: Style;
}

const MIN_WIDTH = 50;
const MIN_HEIGHT = 12;

const FOCUS_BAR: Style = { inverse: true, bold: true };
const TITLE_BAR: Style = { bold: true, underline: true };
const SELECTED: Style = { inverse: true };

class Canvas {
  readonly tagged: string[] = [];
  readonly plain: string[] = [];
  constructor(readonly width: number, readonly opts: FrameOptions) {}
  row(parts: Part[]): void {
    let tagged = '';
    let plain = '';
    for (const p of parts) {
      tagged += renderLine(p.line, p.width, this.opts, p.fill);
      if (this.opts.plain === false) continue;
      const t = plainText(p.line, p.width, this.opts);
      plain += t + ' '.repeat(Math.max(0, p.width - strWidth(t)));
    }
    this.tagged.push(tagged);
    this.plain.push(plain);
  }
  line(line: Line, fill?: Style): void {
    this.row([{ line, width: this.width, fill }]);
  }
}

export function buildFrame(st: ViewState, data: ViewData, width: number, height: number, opts: FrameOptions): Frame {
  const c = new Canvas(width, opts);
  if (width < MIN_WIDTH || height < MIN_HEIGHT) {
    c.line([seg(`terminal too small: ${width}x${height}, need ${MIN_WIDTH}x${MIN_HEIGHT}`)]);
    for (let i = 1; i < height; i++) c.line([]);
    return { tagged: c.tagged, plain: c.plain };
  }
  c.line(headerLine(st, data, opts), { inverse: false });
  const bodyH = height - 3;
  if (st.overlay === 'help') helpBody(c, bodyH);
  else if (st.overlay === 'sort' && st.sortMenu) sortMenuBody(c, st, bodyH, opts);
  else if (st.search.listOpen) searchBody(c, st, bodyH, opts);
  else if (st.details.length > 0) detailBody(c, st, bodyH);
  else if (st.expanded) paneBlock(c, st, data, st.focus, width, bodyH, opts).forEach((r) => c.row([r]));
  else mainBody(c, st, data, bodyH, opts);
  c.line(scrubberLine(st, data, width, opts));
  c.line(keyBarLine(st, width, opts));
  return { tagged: c.tagged, plain: c.plain };
}

/** Spans shorter than this show the moment to the millisecond: their events are often less than a second apart. */
const MS_CLOCK_SPAN_NS = 600e9;

function modeBadge(st: ViewState, opts: FrameOptions): Seg2 {
  const t = st.endNs - st.startNs < MS_CLOCK_SPAN_NS ? formatClockMs(st.atNs, opts.utc) : formatClock(st.atNs, opts.utc);
  if (st.live && st.following) return { t: ' LIVE ', s: { inverse: true, bold: true, fg: 'green' } };
  if (st.live && !st.playing) return { t: ` PAUSED ${t} `, s: { inverse: true, bold: true, fg: 'yellow' } };
  const play = st.playing ? (opts.ascii ? '>' : '►') : opts.ascii ? '||' : '❚❚';
  return { t: ` ${st.live ? 'LIVE-REPLAY' : 'REPLAY'} ${t} ×${st.speed} ${play} `.replace('×', opts.ascii ? 'x' : '×'), s: { inverse: true, bold: true, fg: 'cyan' } };
}

type Seg2 = { t: string; s?: Style };

function headerLine(st: ViewState, data: ViewData, opts: FrameOptions): Line {
  let cost = 0;
  let known = false;
  let active = 0;
  for (const s of data.sessions) {
    if (s.costUsd !== null) {
      cost += s.costUsd;
      known = true;
    }
    if (s.endNs === null || s.endNs > st.atNs) active++;
  }
  const drops = data.lossTotal + (data.liveStatus?.losses ?? 0);
  const line: Line = [
    seg('agentsight ', { bold: true }),
    modeBadge(st, opts),
    seg(`  sessions ${active}/${data.sessions.length}`),
    seg(`  tok/s ${formatCount(Math.round(data.tokensPerSecond))}`),
    seg(`  cost ${formatCost(known || data.sessions.every((s) => s.llmCalls === 0) ? cost : null)}`),
    seg(`  drops ${formatCount(drops)}`, drops > 0 ? { fg: 'red', bold: true } : undefined),
  ];
  if (data.completeness) line.push(seg(`  ${completenessBadge(data.completeness)}`, data.completeness.complete ? { fg: 'green' } : { fg: 'red', bold: true }));
  const ended = data.recordingState ? recordingStateText(data.recordingState, st.startNs, opts.utc) : null;
  if (ended) line.push(seg(`  Recording: ${ended}`, { fg: 'yellow', bold: true }));
  if (data.liveStatus && !data.liveStatus.bpf) line.push(seg(`  no eBPF: ${data.liveStatus.reason ?? 'limited view'}`, { fg: 'yellow' }));
  if (st.filter) line.push(seg(`  filter "${st.filter}"`, { fg: 'yellow' }));
  if (st.workspaceOnly) line.push(seg('  workspace only', { fg: 'yellow' }));
  if (st.message) line.push(seg(`  ${st.message}`, { fg: 'gray' }));
  return line;
}

function mainBody(c: Canvas, st: ViewState, data: ViewData, bodyH: number, opts: FrameOptions): void {
  const sessH = Math.max(4, Math.min(Math.floor(bodyH * 0.4), data.list.length + 2));
  const rest = bodyH - sessH;
  paneBlock(c, st, data, 'sessions', c.width, sessH, opts).forEach((r) => c.row([r]));
  const lw = Math.floor((c.width - 1) / 2);
  const rw = c.width - lw - 1;
  const topH = Math.ceil(rest / 2);
  const botH = rest - topH;
  const sep: Part = { line: [seg(opts.ascii ? '|' : '│', { fg: 'gray' })], width: 1 };
  const zip = (a: Part[], b: Part[]) => a.forEach((p, i) => c.row([p, sep, b[i]]));
  zip(paneBlock(c, st, data, 'processes', lw, topH, opts), paneBlock(c, st, data, 'prompts', rw, topH, opts));
  if (botH > 0) zip(paneBlock(c, st, data, 'files', lw, botH, opts), paneBlock(c, st, data, 'network', rw, botH, opts));
}

/** A pane: a title bar and the visible slice of its rows (only those rows are formatted). */
function paneBlock(c: Canvas, st: ViewState, data: ViewData, pane: PaneId, width: number, height: number, opts: FrameOptions): Part[] {
  const out: Part[] = [];
  const n = rowCount(data, pane);
  const focused = st.focus === pane;
  const num = ['sessions', 'processes', 'files', 'network', 'prompts'].indexOf(pane) + 1;
  const cursor = Math.min(st.cursor[pane], Math.max(0, n - 1));
  const more = notListed(data, pane);
  let cut = more > 0 ? `, ${more} ${pane === 'prompts' ? 'earlier calls' : 'more'} not listed` : '';
  // Hidden rows are counted where they would have been (w shows them again).
  const hidden = pane === 'files' && data.detail?.workspaceOnly ? data.detail.changesOutsideWorkspace : 0;
  if (hidden > 0) cut += `, ${hidden} outside workspace hidden`;
  const title = `${num} ${PANE_TITLES[pane]} (${n}${pane !== 'sessions' && n > 0 ? ` ${cursor + 1}/${n}` : ''}${cut})`;
  // The focus and cursor are also marked with characters, not only with inverse video (NO_COLOR, screen readers).
  const mark = opts.ascii ? '>' : '▸';
  out.push({ line: [seg(`${focused ? mark : ' '}${title} `)], width, fill: focused ? FOCUS_BAR : TITLE_BAR });
  let rowsH = height - 1;
  if (pane === 'sessions') {
    out.push({ line: [seg(' '), ...sessionHeader(st, width - 1, opts)], width, fill: { bold: true } });
    rowsH--;
  } else if (pane === 'processes' && height > 2) {
    const ps = st.paneSort.processes;
    const mark = (title: string) => (title.toLowerCase() !== ps.by ? '' : (ascii(opts) ? ['^', 'v'] : ['▲', '▼'])[Number(PROCESS_SORTS.find((k) => k.id === ps.by)!.defaultDesc !== ps.invert)]);
    out.push({ line: [seg(' '), seg(PROCESS_COLUMNS.map((col) => processCell(col, col.title + mark(col.title))).join(' '))], width, fill: { bold: true } });
    rowsH--;
  }
  if (rowsH <= 0) return out.slice(0, height);
  const top = scrollTop(st.top[pane], cursor, rowsH, n);
  st.top[pane] = top; // remember the scroll position so the list does not jump (layout state, not data)
  for (let i = top; i < Math.min(n, top + rowsH); i++) {
    const selected = i === cursor && (focused || pane === 'sessions');
    out.push({ line: [seg(selected ? mark : ' '), ...paneRow(st, data, pane, i, width - 1, opts)], width, fill: selected ? SELECTED : undefined });
  }
  if (n === 0) out.push({ line: [seg(`  ${emptyText(st, data, pane)}`, { fg: 'gray' })], width });
  while (out.length < height) out.push({ line: [], width });
  return out;
}

/** Why a pane is empty: a filter that matches nothing says so, rather than claiming there is nothing to show. */
function emptyText(st: ViewState, data: ViewData, pane: PaneId): string {
  if (pane !== 'sessions') return 'nothing at this time';
  if (st.filter && data.sessions.length > 0) return `no session matches '${st.filter}' (${data.sessions.length} at this time; F4 to change)`;
  return 'no sessions at this time';
}

function colWidths(width: number): number[] {
  const fixed = COLUMNS.reduce((n, col) => n + (col.width > 0 ? col.width + 1 : 0), 0);
  return COLUMNS.map((col) => (col.width > 0 ? col.width : Math.max(8, width - fixed)));
}

/** A cell at its column's width; a value too wide is cut with an ellipsis, keeping a trailing " +N" count. */
function cellText(col: Column, text: string, w: number, ascii = false): string {
  const more = / \+\d+$/.exec(text)?.[0] ?? '';
  const t = strWidth(text) <= w ? text : more && w > more.length + 2 ? truncate(text.slice(0, -more.length), w - more.length, ascii ? '~' : '…') + more : truncate(text, w, ascii ? '~' : '…');
  return col.align === 'right' ? ' '.repeat(Math.max(0, w - strWidth(t))) + t : t + ' '.repeat(Math.max(0, w - strWidth(t)));
}

function sessionHeader(st: ViewState, width: number, opts: FrameOptions): Line {
  const ws = colWidths(width);
  const line: Line = [];
  COLUMNS.forEach((col, i) => {
    const sorted = col.id === st.sortBy;
    const desc = col.defaultDesc !== st.invert;
    const mark = sorted ? (opts.ascii ? (desc ? 'v' : '^') : desc ? '▼' : '▲') : '';
    line.push(seg(cellText(col, col.title + mark, ws[i], opts.ascii), sorted ? { fg: 'cyan', bold: true } : undefined));
    if (col.width > 0) line.push(seg(' '));
  });
  return line;
}

function paneRow(st: ViewState, data: ViewData, pane: PaneId, i: number, width: number, opts: FrameOptions): Line {
  const ctx = { atNs: st.atNs };
  switch (pane) {
    case 'sessions': {
      const s = data.list[i];
      const ws = colWidths(width);
      const line: Line = [];
      COLUMNS.forEach((col, k) => {
        const style: Style | undefined = col.id === 'health' && s.errors + s.failedToolCalls + s.losses > 0 ? { fg: 'red' } : undefined;
        const text = col.cell(s, ctx);
        line.push(seg(col.width > 0 ? cellText(col, text, ws[k], opts.ascii) : text, style));
        if (col.width > 0) line.push(seg(' '));
      });
      return line;
    }
    case 'processes': {
      const tl = data.treeLines[i];
      const p = tl.node.proc;
      const status = exitStatus(p, st.atNs);
      const bad = status !== 'running' && status !== 'exit 0';
      const prefix = opts.ascii ? tl.prefix.replace(/├─ /g, '|- ').replace(/└─ /g, '`- ').replace(/│/g, '|') : tl.prefix;
      const argv = p.argv.length > 0 ? p.argv.join(' ') : `[${p.comm}]`;
      const failed = tl.node.failedExecs.length > 0 ? ` ${tl.node.failedExecs.length} exec failed` : '';
      const [pidCol, statusCol, timeCol] = PROCESS_COLUMNS;
      return [
        seg(`${processCell(pidCol, String(p.pid))} `, { fg: 'cyan' }),
        seg(`${processCell(statusCol, status)} `, { fg: status === 'running' ? 'green' : bad ? 'red' : undefined }),
        seg(`${processCell(timeCol, formatDuration(processDurationNs(p, st.atNs)))} `),
        seg(prefix, { fg: 'gray' }),
        ...(containerLabel(p) ? [seg(`${containerLabel(p)} `, { fg: 'magenta' })] : []),
        seg(argv),
        seg(failed, { fg: 'red' }),
      ];
    }
    case 'files': {
      const f = data.files[i];
      const verb = f.op === 'unlink' || f.op === 'rmdir' ? 'deleted' : f.op === 'rename' ? 'renamed' : f.op === 'create' || f.op === 'mkdir' ? 'created' : 'modified';
      const color: Style['fg'] = verb === 'deleted' ? 'red' : verb === 'created' ? 'green' : verb === 'renamed' ? 'magenta' : 'yellow';
      // The operation before the path (a long path is cut at the pane's edge): "modified" alone made a file's write
      // and truncate look like the same line twice.
      const what = `${f.op}${f.count > 1 ? ` ×${f.count}` : ''}${f.bytes > 0 ? ` ${formatBytes(f.bytes)}` : ''}`;
      return [seg(verb.padEnd(9), { fg: color }), seg(`${what.padEnd(16)} `, { fg: 'gray' }), seg(f.path2 ? `${f.path} → ${f.path2}` : f.path)];
    }
    case 'network': {
      const d = data.net[i];
      return [
        seg(`${d.op} `, { fg: 'gray' }),
        seg(d.host && d.family !== 'unix' ? `${d.host} ` : ''),
        // A socket without an address (netlink) is named by its family.
        seg(d.target || d.family, { fg: 'cyan' }),
        seg(` ×${d.count}`),
        seg(d.failures > 0 ? ` ${d.failures} failed` : '', { fg: 'red' }),
      ];
    }
    case 'prompts': {
      const r = data.prompts[i];
      if (r.tool) {
        const res = r.tool.resultNs === null || r.tool.resultNs > st.atNs ? 'pending' : r.tool.resultIsError ? 'failed' : 'ok';
        // The tool and what it was asked to do ("Bash `npm test`"), as the search list and process detail name it.
        const tail = ` [${res}]`;
        return [
          seg(opts.ascii ? '  > ' : '  ↳ ', { fg: 'gray' }),
          seg(toolCallLabel(r.tool.name, r.tool.inputJson, Math.max(12, width - 4 - tail.length), opts.ascii), { bold: true }),
          seg(tail, { fg: res === 'failed' ? 'red' : 'gray' }),
        ];
      }
      const call = r.call;
      const done = call.endNs !== null && call.endNs <= st.atNs;
      const bad = call.error !== null || (call.httpStatus !== null && call.httpStatus >= 400) || call.incomplete;
      return [
        seg(formatClock(call.startNs, opts.utc) + ' ', { fg: 'gray' }),
        seg((call.responseModel ?? call.requestModel ?? '?') + ' '),
        seg(`${formatCallTokens(call)} `),
        seg(formatCost(call.costUsd) + ' '),
        seg(done ? formatDuration(call.endNs! - call.startNs) : 'streaming', { fg: done ? undefined : 'green' }),
        seg(bad ? ` ${call.error ?? (call.httpStatus !== null && call.httpStatus >= 400 ? `HTTP ${call.httpStatus}` : 'incomplete')}` : '', { fg: 'red' }),
      ];
    }
  }
}

function detailBody(c: Canvas, st: ViewState, bodyH: number): void {
  const d = st.details[st.details.length - 1];
  const lines = d.render(c.width);
  d.top = Math.max(0, Math.min(d.top, lines.length - (bodyH - 1)));
  c.line([seg(` ${d.title} `), seg(` (${lines.length === 0 ? 0 : d.top + 1}-${Math.min(lines.length, d.top + bodyH - 1)}/${lines.length}; Esc back)`)], FOCUS_BAR);
  for (let i = 0; i < bodyH - 1; i++) c.line(lines[d.top + i] ?? []);
}

function searchBody(c: Canvas, st: ViewState, bodyH: number, opts: FrameOptions): void {
  const hits = st.search.hits;
  c.line([seg(` Search "${st.search.query}": ${hits.length} matches (Enter jump, n/N next/prev, Esc close) `)], FOCUS_BAR);
  const rowsH = bodyH - 1;
  const top = scrollTop(0, Math.max(0, st.search.index), rowsH, hits.length);
  for (let i = 0; i < rowsH; i++) {
    const h = hits[top + i];
    if (!h) {
      c.line(i === 0 && hits.length === 0 ? [seg('  no matches', { fg: 'gray' })] : []);
      continue;
    }
    const sel = top + i === st.search.index;
    c.line(
      [
        seg(sel ? (opts.ascii ? '>' : '▸') : ' '),
        seg(`${formatClock(h.item.tsNs, opts.utc)} `, { fg: 'gray' }),
        seg(`s${h.item.sessionId ?? '?'} `, { fg: 'cyan' }),
        seg(`${h.item.kind.padEnd(8)} `, { fg: 'yellow' }),
        seg(h.item.text),
      ],
      sel ? SELECTED : undefined,
    );
  }
}

function ascii(opts: FrameOptions): boolean {
  return opts.ascii === true;
}

/** htop's F6 menu: the focused pane's sort keys, the current one marked, the highlighted one inverse. */
function sortMenuBody(c: Canvas, st: ViewState, bodyH: number, opts: FrameOptions): void {
  const { pane, index } = st.sortMenu!;
  const choices = sortChoices(pane);
  const current = paneSortOf(st, pane);
  c.line([seg(` Sort ${PANE_TITLES[pane]} by (Up/Down choose, Enter sort, Esc cancel; I inverts) `)], FOCUS_BAR);
  const lines = choices.map((k, i) => {
    const sel = i === index;
    const now = current?.by === k.id ? (opts.ascii ? ' *' : ' ✓') : '';
    return { line: [seg(sel ? (opts.ascii ? '>' : '▸') : ' '), seg(` ${k.title.padEnd(12)} ${k.description}${now}`)], sel };
  });
  const top = scrollTop(0, index, bodyH - 1, lines.length);
  for (let i = 0; i < bodyH - 1; i++) {
    const l = lines[top + i];
    c.line(l ? l.line : [], l?.sel ? SELECTED : undefined);
  }
}

function helpBody(c: Canvas, bodyH: number): void {
  const lines: Line[] = [[seg('Keys', { bold: true })]];
  const half = Math.ceil(KEYMAP.length / 2);
  const colW = Math.floor(c.width / 2);
  for (let i = 0; i < half; i++) {
    const a = KEYMAP[i];
    const b = KEYMAP[i + half];
    const cell = (k?: (typeof KEYMAP)[number]) => (k ? `${keyLabels(k.keys).padEnd(16)} ${k.help}` : '');
    lines.push([seg(cell(a).padEnd(colW).slice(0, colW)), seg(cell(b))]);
  }
  lines.push([]);
  lines.push([seg('Session columns (F6 sort menu of the focused pane, < > next/previous, I invert)', { bold: true })]);
  for (const col of COLUMNS) lines.push([seg(`${col.title.padEnd(8)} ${col.description}`)]);
  c.line([seg(' Help (Esc back) ')], FOCUS_BAR);
  for (let i = 0; i < bodyH - 1; i++) c.line(lines[i] ?? []);
}

const SPARK = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const SPARK_ASCII = ['_', '.', ':', '-', '=', '+', '*', '#'];

/** The timeline: activity sparkline with markers for LLM calls (colour), errors (!) and losses (x); the cursor is inverse. */
export function scrubberLine(st: ViewState, data: ViewData, width: number, opts: FrameOptions): Line {
  const left = formatClock(st.startNs, opts.utc);
  const right = formatClock(st.endNs, opts.utc);
  const cells = Math.max(1, width - left.length - right.length - 2);
  const tl = data.timeline;
  const span = Math.max(1, st.endNs - st.startNs);
  const ev = new Float64Array(cells);
  const llm = new Uint8Array(cells);
  const err = new Uint8Array(cells);
  const loss = new Uint8Array(cells);
  for (let i = 0; i < tl.events.length; i++) {
    const t = tl.startNs + i * tl.slotNs;
    if (t + tl.slotNs <= st.startNs || t > st.endNs) continue;
    const cell = Math.min(cells - 1, Math.max(0, Math.floor(((t - st.startNs) / span) * cells)));
    ev[cell] += tl.events[i];
    if (tl.llmCalls[i] > 0) llm[cell] = 1;
    if (tl.errors[i] > 0) err[cell] = 1;
    if (tl.losses[i] > 0) loss[cell] = 1;
  }
  let max = 0;
  for (const v of ev) max = Math.max(max, v);
  const cursor = Math.min(cells - 1, Math.floor(((st.atNs - st.startNs) / span) * cells));
  const glyphs = opts.ascii ? SPARK_ASCII : SPARK;
  const line: Line = [seg(left + ' ', { fg: 'gray' })];
  for (let i = 0; i < cells; i++) {
    let ch = ev[i] === 0 ? ' ' : glyphs[Math.min(7, Math.floor((Math.log1p(ev[i]) / Math.log1p(max)) * 7.999))];
    let style: Style | undefined = llm[i] ? { fg: 'cyan' } : undefined;
    if (err[i]) {
      ch = '!';
      style = { fg: 'red', bold: true };
    }
    if (loss[i]) {
      ch = 'x';
      style = { fg: 'magenta', bold: true };
    }
    if (i > cursor) style = { ...style, fg: style?.fg ?? 'gray' };
    if (i === cursor) {
      ch = opts.ascii ? '|' : '┃';
      style = { ...style, inverse: true, bold: true };
    }
    line.push(seg(ch, style));
  }
  line.push(seg(' ' + right, { fg: 'gray' }));
  return line;
}

function keyBarLine(st: ViewState, width: number, opts: FrameOptions): Line {
  if (st.prompt) {
    const label = st.prompt.kind === 'filter' ? 'Filter sessions' : st.prompt.kind === 'search' ? 'Search' : 'Go to time (HH:MM:SS, +30s, -10s)';
    return [seg(`${label}: `, { bold: true }), seg(st.prompt.text), seg(opts.ascii ? '_' : '█'), seg('  Enter apply  Esc cancel', { fg: 'gray' })];
  }
  // [key, label, rank]: when the bar is wider than the terminal, the highest ranks go first (F1 lists them all), so
  // no key is cut in the middle, as htop drops its function-key labels.
  const keys: Array<[string, string, number]> = [
    ['F1', 'Help', 0], ['F3', 'Search', 1], ['F4', 'Filter', 2], ['F6', 'Sort', 2], ['F10', 'Quit', 0], ['Tab', 'Pane', 1], ['Enter', 'Open', 1], ['e', 'Expand', 3],
    ['w', st.workspaceOnly ? 'All files' : 'Workspace', 3],
    [opts.ascii ? '<- ->' : '← →', '1s', 2], ['[ ]', '10s', 4], ['{ }', '1m', 4], ['( )', 'Event', 3], ['g', 'Goto', 3], ['Space', 'Play', 2], ['+', 'Speed', 4], ['L', st.live ? 'Live' : 'End', 2],
  ];
  const cost = (k: [string, string, number]) => strWidth(k[0]) + strWidth(k[1]) + 1;
  let shown = keys;
  for (let rank = 4; rank > 0 && shown.reduce((n, k) => n + cost(k), 0) > width; rank--) shown = shown.filter((k) => k[2] < rank);
  const line: Line = [];
  for (const [k, label] of shown) {
    line.push(seg(k, { inverse: true, bold: true }));
    line.push(seg(label + ' '));
  }
  return line;
}
