import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixtureDb } from '../../src/fixtures/generate-db';
import { createRecording, openRecording, type SessionSummary, type RecordingReader } from '../../src/store';
import { ACTIONS, actionFor, KEYMAP } from '../../src/tui/app/actions';
import { COLUMNS } from '../../src/tui/app/columns';
import { DataSource, nextEventNs } from '../../src/tui/app/data-source';
import { buildFrame, type FrameOptions } from '../../src/tui/app/frame';
import { buildCorpus, SearchIndex } from '../../src/tui/app/search';
import { conversationText, toolsOffered, turnText } from '../../src/store/message-text';
import { FILE_SORTS, sortChoices, sortForest, sortRows } from '../../src/tui/app/pane-sorts';
import type { ProcessNode } from '../../src/tui/session-detail';
import type { ProcessRow } from '../../src/store';
import { displayList, scrollTop } from '../../src/tui/app/session-list';
import { renderLine, seg } from '../../src/tui/app/styled-line';
import { initialState, type ViewState } from '../../src/tui/app/view-state';
import { recordingSpan } from '../../src/tui/once-report';
import { strWidth } from '../../src/present';
import { parseTimeSpec } from '../../src/tui/time-spec';
import { tempDir } from './helpers';

let dir: string;
let store: RecordingReader;
let span: { startNs: number; endNs: number };
const FO: FrameOptions = { color: true, ascii: false, utc: true };

beforeAll(() => {
  dir = tempDir();
  const file = path.join(dir, 'fx.db');
  generateFixtureDb(file, { sessions: 6, events: 30_000, llmCalls: 240, seed: 7 });
  store = openRecording(file);
  span = recordingSpan(store.info());
});
afterAll(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function loaded(at?: number): { st: ViewState; ds: DataSource } {
  const st = initialState(span.startNs, span.endNs, false, at);
  const ds = new DataSource(store, undefined, span.startNs);
  ds.loadTimeline(st.startNs, st.endNs);
  ds.loadAll(st);
  return { st, ds };
}

const summary = (over: Partial<SessionSummary>): SessionSummary => ({
  id: 1, agent: 'codex', externalId: null, rootProcessId: null, title: 't', startNs: 0, endNs: null, processes: 0, liveProcesses: 0,
  llmCalls: 0, models: [], inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 0, costUsd: null,
  toolCalls: 0, failedToolCalls: 0, errors: 0, fileOps: 0, filesChanged: 0, netConns: 0, losses: 0, lastActivityNs: 0, ...over,
});

describe('session ranking', () => {
  const rows = [
    summary({ id: 1, agent: 'codex', inputTokens: 100, totalTokens: 100, errors: 2, title: 'alpha' }),
    summary({ id: 2, agent: 'claude-code', inputTokens: 500, totalTokens: 500, title: 'beta' }),
    summary({ id: 3, agent: 'gemini-cli', inputTokens: 300, totalTokens: 300, losses: 5, title: 'gamma' }),
  ];
  it('sorts by a column in its default direction, inverts, and filters', () => {
    expect(displayList(rows, { sortBy: 'tokens', invert: false, filter: '' }, { atNs: 0 }).map((s) => s.id)).toEqual([2, 3, 1]);
    expect(displayList(rows, { sortBy: 'tokens', invert: true, filter: '' }, { atNs: 0 }).map((s) => s.id)).toEqual([1, 3, 2]);
    expect(displayList(rows, { sortBy: 'agent', invert: false, filter: '' }, { atNs: 0 }).map((s) => s.id)).toEqual([2, 1, 3]);
    expect(displayList(rows, { sortBy: 'health', invert: false, filter: '' }, { atNs: 0 }).map((s) => s.id)).toEqual([3, 1, 2]);
    expect(displayList(rows, { sortBy: 'id', invert: false, filter: 'GAM' }, { atNs: 0 }).map((s) => s.id)).toEqual([3]);
  });
  it('declares every column once with a description', () => {
    expect(new Set(COLUMNS.map((c) => c.id)).size).toBe(COLUMNS.length);
    expect(COLUMNS.filter((c) => c.width === 0)).toHaveLength(1);
    for (const c of COLUMNS) expect(c.description.length).toBeGreaterThan(3);
  });
  it('scrolls so the cursor stays visible', () => {
    expect(scrollTop(0, 15, 10, 100)).toBe(6);
    expect(scrollTop(6, 3, 10, 100)).toBe(3);
    expect(scrollTop(50, 99, 10, 100)).toBe(90);
  });
});

describe('keys and actions', () => {
  it('maps each key to one action', () => {
    const seen = new Set<string>();
    for (const k of KEYMAP) for (const key of k.keys) {
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
    expect(actionFor('f6', undefined)).toBe('sortMenu');
    expect(actionFor(undefined, '>')).toBe('sortNext');
    expect(actionFor('enter', '\r')).toBe('open');
    expect(actionFor('return', '\r')).toBeUndefined();
  });
  it('seeks within the recording and asks for a reload', () => {
    const { st, ds } = loaded();
    const env = { data: ds.view, pageRows: 10 };
    expect(ACTIONS.forward10s(st, env).reload).toBeFalsy(); // already at the end
    expect(ACTIONS.back1m(st, env).reload).toBe(true);
    expect(st.atNs).toBe(span.endNs - 60e9);
    ACTIONS.toStart(st, env);
    expect(st.atNs).toBe(span.startNs);
    ACTIONS.stepBack(st, env);
    expect(st.atNs).toBe(span.startNs);
    const r = ACTIONS.nextEvent(st, env);
    expect(r.reload).toBe(true);
    expect(st.atNs).toBeGreaterThan(span.startNs);
  });
  it('moving the session cursor selects that session and reloads its detail', () => {
    const { st, ds } = loaded();
    const env = { data: ds.view, pageRows: 10 };
    const first = st.selectedSessionId;
    const r = ACTIONS.down(st, env);
    expect(r.reloadDetail).toBe(true);
    expect(st.selectedSessionId).toBe(ds.view.list[1].id);
    expect(st.selectedSessionId).not.toBe(first);
  });
  it('pauses live following when the scrubber moves, and L returns to live', () => {
    const st = initialState(span.startNs, span.endNs, true);
    const ds = new DataSource(store, undefined, span.startNs);
    ds.loadAll(st);
    expect(st.following).toBe(true);
    ACTIONS.back10s(st, { data: ds.view, pageRows: 10 });
    expect(st.following).toBe(false);
    ACTIONS.live(st, { data: ds.view, pageRows: 10 });
    expect(st.following).toBe(true);
    expect(st.atNs).toBe(st.endNs);
  });
});

describe('data as of the scrubber time', () => {
  it('shows fewer sessions, processes and tokens earlier in the recording', () => {
    const end = loaded();
    const mid = loaded(span.startNs + (span.endNs - span.startNs) / 3);
    expect(mid.ds.view.sessions.length).toBeLessThanOrEqual(end.ds.view.sessions.length);
    const tokens = (v: { sessions: SessionSummary[] }) => v.sessions.reduce((n, s) => n + s.inputTokens, 0);
    expect(tokens(mid.ds.view)).toBeLessThan(tokens(end.ds.view));
    for (const tl of mid.ds.view.treeLines) expect(tl.node.proc.startNs).toBeLessThanOrEqual(mid.st.atNs);
    for (const p of mid.ds.view.prompts) expect(p.call.startNs).toBeLessThanOrEqual(mid.st.atNs);
  });
  it('finds events on the timeline', () => {
    const { st, ds } = loaded();
    const tl = ds.view.timeline;
    const next = nextEventNs(tl, st.startNs, 1)!;
    expect(next).toBeGreaterThan(st.startNs);
    expect(nextEventNs(tl, next, -1) ?? st.startNs).toBeLessThan(next);
  });
});

describe('frame', () => {
  it('fills exactly the screen, every line at the width, at many sizes and modes', () => {
    const { st, ds } = loaded();
    for (const [w, h] of [[120, 40], [80, 24], [50, 12], [200, 60], [30, 8]] as const) {
      for (const ascii of [false, true]) {
        const f = buildFrame(st, ds.view, w, h, { ...FO, ascii });
        expect(f.plain).toHaveLength(h);
        expect(f.tagged).toHaveLength(h);
        for (const line of f.plain) expect(strWidth(line)).toBe(w);
        if (ascii) for (const line of f.plain) expect(line).toMatch(/^[\x20-\x7e]*$/);
      }
    }
    expect(buildFrame(st, ds.view, 30, 8, FO).plain[0]).toContain('terminal too small');
  });
  it('shows the header badge, sessions, panes, scrubber and key bar', () => {
    const { st, ds } = loaded();
    const f = buildFrame(st, ds.view, 120, 40, FO).plain;
    expect(f[0]).toMatch(/REPLAY \d\d:\d\d:\d\d ×1/);
    expect(f.join('\n')).toContain('▸1 Sessions (6)');
    expect(f.join('\n')).toContain('2 Processes');
    expect(f.join('\n')).toContain('5 Prompts');
    expect(f[38]).toContain('┃');
    expect(f[39]).toContain('F10');
  });
  it('drops the least needed keys from a narrow key bar instead of cutting one in half', () => {
    const { st, ds } = loaded();
    const bar = (w: number) => buildFrame(st, ds.view, w, 40, FO).plain[39]!.trimEnd();
    expect(bar(200)).toMatch(/^F1Help F3Search .* \+Speed LEnd$/);
    for (const w of [120, 100, 80]) {
      expect(bar(w)).toMatch(/^F1Help .*F10Quit .*LEnd$/);
      expect(bar(w)).not.toContain('…');
      expect(strWidth(bar(w))).toBeLessThanOrEqual(w);
    }
    expect(bar(120)).not.toContain('+Speed');
    expect(bar(80)).not.toContain('eExpand');
  });
  it('says in a pane title how many rows a cut list leaves out', () => {
    const { st, ds } = loaded();
    const d = ds.view.detail!;
    const files = ds.view.files.length;
    // The list the pane got is cut to its first row; the counts stay those of the session.
    const cut = { ...ds.view, files: ds.view.files.slice(0, 1), detail: { ...d, fileChanges: d.fileChanges.slice(0, 1) } };
    expect(files).toBeGreaterThan(1);
    expect(d.fileChangeTotal).toBe(files);
    const f = buildFrame(st, cut, 160, 40, FO).plain.join('\n');
    expect(f).toContain(`3 Files (1 1/1, ${files - 1} more not listed)`);
    expect(buildFrame(st, ds.view, 160, 40, FO).plain.join('\n')).not.toContain('more not listed');
  });

  it('shows model names whole or visibly cut, never cut into another model\'s name', () => {
    const { st, ds } = loaded();
    const list = [
      summary({ id: 1, models: ['gemini-3.5-flash-lite', 'gemini-3.8-flash'], llmCalls: 2 }),
      summary({ id: 2, models: ['claude-sonnet-4-5-20250929'], llmCalls: 1, costUsd: 1234.5 }),
      summary({ id: 3, models: ['claude-sonnet-4-5-20250929-preview', 'a', 'b'], llmCalls: 3 }),
    ];
    for (const ascii of [false, true]) {
      const f = buildFrame(st, { ...ds.view, list }, 160, 40, { ...FO, ascii }).plain.join('\n');
      expect(f).toContain('gemini-3.5-flash-lite +1');
      expect(f).toContain('claude-sonnet-4-5-20250929 ');
      expect(f).toContain(ascii ? 'claude-sonnet-4-5-2025~ +2' : 'claude-sonnet-4-5-2025… +2');
      expect(f).toContain(ascii ? '$1234.~' : '$1234.…'); // a cost too wide for its column is cut visibly
      expect(f).not.toMatch(/gemini-3\.5-flash(?!-lite)/);
    }
  });

  it('escapes tag braces and replaces emoji so blessed keeps widths', () => {
    const tagged = renderLine([seg('{bold}x{/bold} ✅ 日本')], 30, { color: true, ascii: false });
    expect(tagged).toContain('{open}bold{close}');
    expect(tagged).not.toContain('✅');
    expect(tagged).toContain('日本');
  });
});

describe('search', () => {
  it('finds tool calls and prompts in a bounded corpus', () => {
    const corpus = buildCorpus(store);
    expect(corpus.length).toBeGreaterThan(100);
    expect(corpus.length).toBeLessThanOrEqual(6000);
    const idx = new SearchIndex(corpus);
    const hits = idx.query('git status');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0].item.text).toContain('git status');
    expect(idx.query('fix the failing test').some((h) => h.item.kind === 'prompt')).toBe(true);
    expect(idx.query('x')).toEqual([]);
  });
  it('reads a user turn of every provider shape as text, tool results marked', () => {
    expect(turnText({ role: 'user', content: [{ type: 'text', text: 'hello' }] })).toBe('hello');
    expect(turnText('plain')).toBe('plain');
    // Tool results: Anthropic tool_result blocks, Chat tool messages, Responses function_call_output items, Gemini functionResponse parts.
    expect(turnText({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok done' }] })).toBe('[tool result] ok done');
    expect(turnText({ role: 'tool', tool_call_id: 'c1', content: 'exit 0' })).toBe('[tool result] exit 0');
    expect(turnText({ type: 'function_call_output', call_id: 'c1', output: 'exit 0' })).toBe('[tool result] exit 0');
    expect(turnText({ role: 'user', parts: [{ functionResponse: { name: 'run_shell_command', response: { output: 'hello written' } } }] })).toBe('[tool result] hello written');
    expect(turnText({ role: 'user', parts: [{ text: 'a' }, { text: 'b' }] })).toBe('a\nb');
    expect(turnText({ role: 'user', parts: [{ text: '<session_context>\nx\n</session_context>' }] })).toBe('<session_context>\nx\n</session_context>');
  });
});

describe('pane sorts (F6)', () => {
  const node = (pid: number, startNs: number, argv: string[], children: ProcessNode[] = []): ProcessNode =>
    ({ proc: { pid, startNs, argv, comm: argv[0]!, exitNs: startNs + 5, exitCode: 0, execNs: startNs } as unknown as ProcessRow, children, failedExecs: [], pathSearchMisses: 0 });
  it('sorts each process\'s children, keeping the tree; files and destinations by their keys; ties stay in order', () => {
    const roots = [node(10, 1, ['sh'], [node(30, 2, ['node']), node(20, 3, ['seq']), node(40, 4, ['awk'])])];
    expect(sortForest(roots, 'start', false, 100)).toEqual(roots);
    expect(sortForest(roots, 'pid', false, 100)[0]!.children.map((n) => n.proc.pid)).toEqual([20, 30, 40]);
    expect(sortForest(roots, 'command', true, 100)[0]!.children.map((n) => n.proc.argv[0])).toEqual(['seq', 'node', 'awk']);
    expect(roots[0]!.children.map((n) => n.proc.pid)).toEqual([30, 20, 40]); // the loaded forest is not changed
    const f = (path: string, count: number, bytes: number, firstNs: number) => ({ op: 'write', path, path2: null, count, bytes, firstNs, lastNs: firstNs, processId: 1, processes: 1 });
    const files = [f('/b', 1, 10, 1), f('/a', 3, 10, 2), f('/c', 3, 99, 3)];
    expect(sortRows(files, FILE_SORTS, 'path', false, 0).map((x) => x.path)).toEqual(['/a', '/b', '/c']);
    expect(sortRows(files, FILE_SORTS, 'count', false, 0).map((x) => x.path)).toEqual(['/a', '/c', '/b']); // largest first, ties in order
    expect(sortRows(files, FILE_SORTS, 'bytes', true, 0).map((x) => x.path)).toEqual(['/b', '/a', '/c']);
    expect(sortChoices('prompts')).toEqual([]);
    expect(sortChoices('processes').map((k) => k.title)).toEqual(['START', 'PID', 'STATUS', 'TIME', 'COMMAND']);
  });
});

describe('the whole conversation of a call', () => {
  it('lists every message of every provider shape as text, and the tools offered', () => {
    const anthropic = JSON.stringify({
      tools: [{ name: 'Bash', input_schema: {} }, { name: 'Edit', input_schema: {} }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Write hello to /tmp/x' }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'easy' }, { type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'echo hello > /tmp/x' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: '(no output)' }] },
      ],
    });
    expect(conversationText(anthropic)).toEqual([
      { role: 'user', text: 'Write hello to /tmp/x' },
      { role: 'assistant', text: '[thinking] easy\n[tool call] Bash {"command":"echo hello > /tmp/x"}' },
      { role: 'user', text: '[tool result] (no output)' },
    ]);
    expect(toolsOffered(anthropic)).toEqual(['Bash', 'Edit']);
    // Chat: an assistant message with tool_calls and a tool message.
    const chat = JSON.stringify({
      tools: [{ type: 'function', function: { name: 'shell' } }],
      messages: [{ role: 'system', content: 'be brief' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'shell', arguments: '{"cmd":"ls"}' } }] }, { role: 'tool', tool_call_id: 'c1', content: 'a b' }],
    });
    expect(conversationText(chat)).toEqual([{ role: 'system', text: 'be brief' }, { role: 'assistant', text: '[tool call] shell {"cmd":"ls"}' }, { role: 'tool', text: 'a b' }]);
    expect(toolsOffered(chat)).toEqual(['shell']);
    // Responses input items and Gemini contents.
    const responses = JSON.stringify({ tools: [{ type: 'function', name: 'shell' }, { type: 'web_search' }], input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }, { type: 'function_call', name: 'shell', arguments: '{}' }, { type: 'function_call_output', call_id: 'c', output: 'ok' }] });
    expect(conversationText(responses).map((t) => t.text)).toEqual(['hi', '[tool call] shell {}', '[tool result] ok']);
    expect(toolsOffered(responses)).toEqual(['shell', 'web_search']);
    const gemini = JSON.stringify({ tools: [{ functionDeclarations: [{ name: 'run_shell_command' }] }], contents: [{ role: 'user', parts: [{ text: 'go' }] }, { role: 'model', parts: [{ functionCall: { name: 'run_shell_command', args: { command: 'ls' } } }] }] });
    expect(conversationText(gemini)).toEqual([{ role: 'user', text: 'go' }, { role: 'model', text: '[tool call] run_shell_command {"command":"ls"}' }]);
    expect(toolsOffered(gemini)).toEqual(['run_shell_command']);
    expect(conversationText(null)).toEqual([]);
    expect(conversationText('{"messages": [')).toEqual([]);
  });
});

describe('time specs', () => {
  const T = Date.UTC(2026, 10, 24, 5, 30, 0) * 1e6;
  it('parses absolute, relative and ISO times, clamped to the recording', () => {
    expect(parseTimeSpec('+30s', T, T + 120e9)).toBe(T + 30e9);
    expect(parseTimeSpec('-10s', T, T + 120e9)).toBe(T + 110e9);
    expect(parseTimeSpec('+1m30s', T, T + 120e9)).toBe(T + 90e9);
    expect(parseTimeSpec('+1h', T, T + 120e9)).toBe(T + 120e9);
    expect(parseTimeSpec('05:31:00', T, T + 120e9, true)).toBe(T + 60e9);
    expect(parseTimeSpec('2026-11-24T05:30:45Z', T, T + 120e9)).toBe(T + 45e9);
    expect(() => parseTimeSpec('soon', T, T + 1)).toThrow(/invalid time "soon"/);
    expect(() => parseTimeSpec('+3q', T, T + 1)).toThrow();
  });
});

describe('fixture generator', () => {
  it('is deterministic from the seed and meets the requested budget', () => {
    const a = path.join(dir, 'a.db');
    const b = path.join(dir, 'b.db');
    const sa = generateFixtureDb(a, { sessions: 3, events: 5000, llmCalls: 30, seed: 3 });
    const sb = generateFixtureDb(b, { sessions: 3, events: 5000, llmCalls: 30, seed: 3 });
    expect({ ...sa, path: '' }).toEqual({ ...sb, path: '' });
    expect(sa.llmCalls).toBe(30);
    expect(sa.events).toBeGreaterThanOrEqual(5000);
    expect(sa.events).toBeLessThan(5600);
    const ra = openRecording(a);
    const rb = openRecording(b);
    expect(ra.sessions({ atNs: sa.endNs })).toEqual(rb.sessions({ atNs: sb.endNs }));
    expect(ra.lossTotals({ atNs: sa.endNs }).length).toBeGreaterThanOrEqual(0);
    expect(ra.causalLinks({}).length).toBeGreaterThan(0);
    ra.close();
    rb.close();
  });
});

describe('screen factory decisions', () => {
  it('drives 256-colour terminals as xterm-256color and detects UTF-8 locales', async () => {
    const { blessedTerminal, utf8Locale } = await import('../../src/tui/app/screen-factory');
    expect(blessedTerminal({ TERM: 'tmux-256color' })).toBe('xterm-256color');
    expect(blessedTerminal({ TERM: 'screen-256color' })).toBe('xterm-256color');
    expect(blessedTerminal({ TERM: 'xterm-kitty', COLORTERM: 'truecolor' })).toBe('xterm-256color');
    expect(blessedTerminal({ TERM: 'screen' })).toBe('xterm');
    expect(blessedTerminal({})).toBe('xterm');
    expect(utf8Locale({ LANG: 'C.UTF-8' })).toBe(true);
    expect(utf8Locale({ LANG: 'en_US.utf8' })).toBe(true);
    expect(utf8Locale({ LANG: 'C' })).toBe(false);
    expect(utf8Locale({ LC_ALL: 'C', LANG: 'C.UTF-8' })).toBe(false);
  });
});

describe('views', () => {
  it('expands the focused pane, shows help, and lays out detail views at any width', async () => {
    const { llmCallView, processView } = await import('../../src/tui/app/detail-views');
    const { st, ds } = loaded();
    const env = { data: ds.view, pageRows: 10 };
    ACTIONS.focusPrompts(st, env);
    ACTIONS.expand(st, env);
    let f = buildFrame(st, ds.view, 100, 30, FO).plain;
    expect(f[1]).toContain('▸5 Prompts');
    expect(f.join('\n')).not.toContain('2 Processes');
    ACTIONS.help(st, env);
    f = buildFrame(st, ds.view, 100, 30, FO).plain;
    expect(f.join('\n')).toContain('Session columns (F6 sort menu of the focused pane, < > next/previous, I invert)');
    ACTIONS.back(st, env);
    const call = ds.view.prompts[0].call;
    const v = llmCallView(store, call.id, st.atNs, { ascii: false, utc: true })!;
    st.details.push(v);
    for (const w of [60, 120]) {
      f = buildFrame(st, ds.view, w, 30, FO).plain;
      expect(f[1]).toMatch(/LLM call \d+/);
      for (const line of f) expect(strWidth(line)).toBe(w);
    }
    expect(v.render(60).length).toBeGreaterThan(v.render(120).length - 1);
    ACTIONS.back(st, env);
    expect(st.details).toHaveLength(0);
    const pv = processView(store, ds.view.treeLines[0].node.proc.id, st.atNs, { ascii: true, utc: true })!;
    expect(pv.render(80).map((l) => l.map((s) => s.t).join('')).join('\n')).toMatch(/argv +/);
  });
});

describe('replay row cache', () => {
  it('answers time-bounded reads exactly like the store', async () => {
    const { replayCache } = await import('../../src/tui/app/replay-cache');
    const cached = replayCache(store, span.endNs);
    const sessionId = store.sessions({ atNs: span.endNs })[0].id;
    for (let i = 0; i <= 8; i++) {
      const atNs = span.startNs + ((span.endNs - span.startNs) * i) / 8;
      const q = { atNs, sessionId };
      expect(cached.processes({ ...q, limit: 50 })).toEqual(store.processes({ ...q, limit: 50 }));
      expect(cached.processes(q)).toEqual(store.processes(q));
      expect(cached.llmCalls(q)).toEqual(store.llmCalls(q));
      expect(cached.recentLlmCalls({ ...q, limit: 5 })).toEqual(store.recentLlmCalls({ ...q, limit: 5 }));
      expect(cached.toolCalls(q)).toEqual(store.toolCalls(q));
      expect(cached.execs({ ...q, failedOnly: true })).toEqual(store.execs({ ...q, failedOnly: true }));
    }
    expect(cached.info().counts).toEqual(store.info().counts);
  });
});

describe('recordings without sessions', () => {
  it('shows every process in the panes', async () => {
    const { buildShellRecording } = await import('./helpers');
    const file = path.join(dir, 'nosession.db');
    buildShellRecording(file, false);
    const s = openRecording(file);
    try {
      const sp = recordingSpan(s.info());
      const st = initialState(sp.startNs, sp.endNs, false);
      const ds = new DataSource(s, undefined, sp.startNs, sp.endNs);
      ds.loadTimeline(sp.startNs, sp.endNs);
      ds.loadAll(st);
      expect(ds.view.list).toHaveLength(0);
      expect(ds.view.treeLines.map((t) => t.node.proc.pid)).toEqual([4100, 4101, 4102, 4103, 4104]);
      const f = buildFrame(st, ds.view, 120, 40, FO).plain.join('\n');
      expect(f).toContain('no sessions at this time');
      expect(f).toMatch(/4103 exit 3 /);
    } finally {
      s.close();
    }
  });
});

// Issue 22: `(`/`)` step through events less than a second apart (the timeline's one-second slots jumped from +0.5 s
// past four model calls to the end), and tok/s at a moment counts no token of a call that ends later.
describe('sub-second events and no future data', () => {
  const T = 1_800_000_000e9;
  const MS = 1e6;
  let file: string;
  let rec: RecordingReader;
  beforeAll(() => {
    file = path.join(tempDir(), 'subsecond.db');
    const w = createRecording(file);
    const call = (id: number, startMs: number, endMs: number, tokens: number) =>
      w.putLlmCall({
        id, exchangeId: id, sessionId: null, processId: null, provider: 'anthropic', host: null, endpoint: '/v1/messages', streaming: false,
        requestModel: 'm', responseModel: 'm', systemPrompt: null, requestJson: null, responseJson: null, responseText: null, thinking: null,
        stopReason: 'end_turn', inputTokens: tokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0,
        costUsd: null, httpStatus: 200, error: null, startNs: T + startMs * MS, firstTokenNs: null, endNs: T + endMs * MS, incomplete: false,
      });
    call(1, 550, 600, 100);
    call(2, 620, 700, 200);
    call(3, 710, 800, 400);
    call(4, 850, 900, 800);
    w.putMeta('start_ns', String(T));
    w.putMeta('end_ns', String(T + 3000 * MS));
    w.finalize();
    w.close();
    rec = openRecording(file);
  });
  afterAll(() => rec?.close());

  it('( and ) stop at every call, in both directions', () => {
    const st = initialState(T, T + 3000 * MS, false, T + 500 * MS);
    const ds = new DataSource(rec, undefined, T);
    ds.loadTimeline(st.startNs, st.endNs);
    ds.loadAll(st);
    const env = () => ({ data: ds.view, pageRows: 10, eventNs: (at: number, dir: 1 | -1) => ds.eventNs(at, dir) });
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      ACTIONS.nextEvent(st, env());
      seen.push(Math.round((st.atNs - T) / MS));
    }
    expect(seen).toEqual([550, 620, 710, 850]);
    ACTIONS.nextEvent(st, env());
    expect(st.message).toBe('no later event');
    ACTIONS.prevEvent(st, env());
    expect(Math.round((st.atNs - T) / MS)).toBe(710);
  });

  it('tok/s at +0.75 s counts only calls ended by then', () => {
    const st = initialState(T, T + 3000 * MS, false, T + 750 * MS);
    const ds = new DataSource(rec, undefined, T);
    ds.loadTimeline(st.startNs, st.endNs);
    ds.loadAll(st);
    expect(ds.view.tokensPerSecond).toBe((100 + 200) / 10);
    st.atNs = T + 2000 * MS;
    ds.loadAll(st);
    expect(ds.view.tokensPerSecond).toBe(1500 / 10);
  });
});
