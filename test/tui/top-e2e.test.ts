/**
 * End-to-end: the compiled CLI (`bin/agentsight top --db FILE`) in a real terminal (tmux), driven by keys.
 * Screens are polled for the expected text, never waited on with fixed sleeps.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateFixtureDb } from '../../src/fixtures/generate-db';
import { strWidth } from '../../src/present';
import { buildShellRecording, tempDir } from './helpers';
import { ensureBuilt, quitAll, TmuxSession } from './tmux';

let dir: string;
let fixture: string;
let shell: string;
const sessions: TmuxSession[] = [];

function start(db: string, opts: { width?: number; height?: number; env?: Record<string, string>; args?: string } = {}): TmuxSession {
  const s = new TmuxSession(`bin/agentsight top --db ${db} --utc ${opts.args ?? ''} 2>>${path.join(dir, 'stderr.txt')}`, opts.width ?? 120, opts.height ?? 40, opts.env);
  sessions.push(s);
  return s;
}

/** Every captured line fits the terminal width (checked on every capture: a wrapped line breaks the layout). */
function expectFits(lines: string[], width: number): void {
  for (const l of lines) expect(strWidth(l), `line too wide: ${l}`).toBeLessThanOrEqual(width);
}

const clock = (lines: string[]): string => /(?:REPLAY|PAUSED) (\d\d:\d\d:\d\d)/.exec(lines[0])?.[1] ?? '';
const toSec = (t: string): number => t.split(':').reduce((n, x) => n * 60 + Number(x), 0);
const ready = (l: string[]) => /REPLAY \d\d:\d\d:\d\d/.test(l[0] ?? '') && l.some((x) => x.includes('F10'));

/** Numeric value of formatCount output (1.9M, 114.9k, 950). */
const count = (s: string): number => {
  const m = /^([\d.]+)([kMG]?)$/.exec(s.trim());
  return m ? Number(m[1]) * ({ '': 1, k: 1e3, M: 1e6, G: 1e9 }[m[2]] ?? 1) : NaN;
};

/** Rows of the sessions table: lines after the column header up to the next pane title. */
function sessionRows(lines: string[]): string[] {
  const head = lines.findIndex((l) => /\bID AGENT\b/.test(l));
  const rows: string[] = [];
  for (let i = head + 1; i < lines.length && !/Processes \(/.test(lines[i]); i++) if (lines[i].trim()) rows.push(lines[i]);
  return rows;
}

beforeAll(() => {
  ensureBuilt();
  dir = tempDir();
  fixture = path.join(dir, 'fixture.db');
  shell = path.join(dir, 'shell.db');
  generateFixtureDb(fixture, { sessions: 6, events: 30_000, llmCalls: 240, seed: 11 });
  buildShellRecording(shell, true);
}, 180_000);

afterEach(async () => {
  await quitAll(sessions, 30_000); // live capture takes a moment to stop
});

afterAll(() => {
  const stderr = fs.existsSync(path.join(dir, 'stderr.txt')) ? fs.readFileSync(path.join(dir, 'stderr.txt'), 'utf8') : '';
  fs.rmSync(dir, { recursive: true, force: true });
  // blessed must not have printed terminfo errors or JS source (the screen-256color failure mode).
  expect(stderr).toBe('');
});

describe('agentsight top in a terminal', () => {
  it('opens in replay at the end of the recording and fills the screen within its width', async () => {
    const t = start(fixture);
    const lines = await t.waitFor(ready, 'the first frame');
    expect(lines).toHaveLength(40);
    expectFits(lines, 120);
    expect(lines.join('\n')).toContain('▸1 Sessions (6)');
    expect(lines.join('\n')).toMatch(/2 Processes \(\d+/);
    expect(lines[38]).toContain('┃');
    expect(sessionRows(lines)).toHaveLength(6);
  });

  it('sorts by a column, inverts, and filters', async () => {
    const t = start(fixture);
    await t.waitFor(ready, 'the first frame');
    // From the default IDLE column, `<` steps left through the declared columns to TOKENS.
    for (let i = 0; i < 8; i++) t.keys('<');
    let lines = await t.waitFor((l) => l.some((x) => x.includes('TOKENS▼')), 'TOKENS sorted descending');
    expectFits(lines, 120);
    const tokCol = (l: string[]) => {
      const head = l.find((x) => /\bID AGENT\b/.test(x))!;
      const end = head.indexOf('TOKENS') + 'TOKENS'.length;
      return sessionRows(l).map((r) => count(r.slice(end - 8, end)));
    };
    const desc = tokCol(lines);
    expect(desc.length).toBe(6);
    expect([...desc].sort((a, b) => b - a)).toEqual(desc);
    t.keys('I');
    lines = await t.waitFor((l) => l.some((x) => x.includes('TOKENS▲')), 'TOKENS inverted');
    expect(tokCol(lines)).toEqual([...desc].reverse());

    t.keys('\\');
    t.type('codex');
    t.keys('Enter');
    lines = await t.waitFor((l) => l[0].includes('filter "codex"') && sessionRows(l).length === 2, 'codex filter');
    for (const r of sessionRows(lines)) expect(r).toMatch(/\bcodex\b/);
    expectFits(lines, 120);
  });

  it('searches, jumps to the match in time and selects it; n goes to the next match', async () => {
    const t = start(fixture);
    const first = await t.waitFor(ready, 'the first frame');
    const endClock = clock(first);
    t.keys('/');
    t.type('git status');
    let lines = await t.waitFor((l) => /Search "git status": [1-9]\d* matches/.test(l[1] ?? ''), 'search results');
    expectFits(lines, 120);
    // Tool calls that ran it and the `git status` processes themselves (commands are searched too).
    const hits = lines.slice(2).filter((l) => /^.\d\d:\d\d:\d\d s\d+ /.test(l));
    expect(hits.some((l) => /^.\d\d:\d\d:\d\d s\d+ command +git status/.test(l))).toBe(true);
    const tool = hits.findIndex((l) => /^.\d\d:\d\d:\d\d s\d+ tool +.*git status/.test(l));
    expect(tool).toBeGreaterThanOrEqual(0);
    t.keys('Enter'); // ends typing: the result list takes the keys
    await t.waitFor((l) => !l[39].startsWith('Search:'), 'search prompt closed');
    for (let i = 0; i < tool; i++) t.keys('Down');
    t.keys('Enter'); // jumps to the selected (first tool call) result
    lines = await t.waitFor((l) => new RegExp(`match ${tool + 1}/\\d+`).test(l[0]), 'jump to the first tool-call match');
    expect(clock(lines)).not.toBe(endClock);
    expect(lines.join('\n')).toContain('▸5 Prompts');
    expect(lines.some((l) => /│▸ {2}↳ \S+ `[^`]*git status[^`]*` \[\w+\]/.test(l))).toBe(true); // the tool named by its command
    const t1 = clock(lines);
    t.keys('n');
    lines = await t.waitFor((l) => new RegExp(`match ${tool + 2}/\\d+`).test(l[0]), 'next match');
    expect(clock(lines)).not.toBe(t1);
    expectFits(lines, 120);
  });

  it('steps, seeks and plays the scrubber', async () => {
    const t = start(fixture);
    let lines = await t.waitFor(ready, 'the first frame');
    const end = toSec(clock(lines));
    t.keys('Left');
    lines = await t.waitFor((l) => toSec(clock(l)) === end - 1, 'step back 1 s');
    t.keys('[');
    lines = await t.waitFor((l) => toSec(clock(l)) === end - 11, 'back 10 s');
    t.keys('{');
    lines = await t.waitFor((l) => toSec(clock(l)) === end - 71, 'back 1 min');
    t.keys('g');
    t.type('+60s');
    t.keys('Enter');
    const startSec = toSec(/^(\d\d:\d\d:\d\d)/.exec(lines[38])![1]);
    lines = await t.waitFor((l) => toSec(clock(l)) === startSec + 60, 'go to start + 60 s');
    expectFits(lines, 120);
    const sessionsEarly = sessionRows(lines).length;
    t.keys(')');
    lines = await t.waitFor((l) => toSec(clock(l)) > startSec + 60, 'next event');
    t.keys('+', '+', 'Space');
    lines = await t.waitFor((l) => /REPLAY \d\d:\d\d:\d\d ×16 ►/.test(l[0]), 'playing at 16x');
    const playFrom = toSec(clock(lines));
    lines = await t.waitFor((l) => toSec(clock(l)) >= playFrom + 8, 'time advancing while playing');
    t.keys('Space');
    lines = await t.waitFor((l) => /×16 ❚❚/.test(l[0]), 'paused');
    const paused = clock(lines);
    await new Promise((r) => setTimeout(r, 600));
    expect(clock(t.capture())).toBe(paused);
    t.keys('L');
    lines = await t.waitFor((l) => toSec(clock(l)) === end, 'back to the end');
    expect(sessionRows(lines).length).toBeGreaterThanOrEqual(sessionsEarly);
  });

  it('opens process and LLM-call detail views and goes back', async () => {
    const t = start(shell);
    await t.waitFor(ready, 'the first frame');
    t.keys('2', 'Down', 'Down', 'Down', 'Enter');
    let lines = await t.waitFor((l) => l.some((x) => x.includes('Process 4103 sh')), 'process view');
    const text = lines.join('\n');
    expect(text).toMatch(/argv +sh -c 'exit 3'/);
    expect(text).toMatch(/cwd +\/tmp\/a1/);
    expect(text).toMatch(/status +exit 3/);
    expect(text).toMatch(/failed ENOENT +\/usr\/bin\/nope/);
    expectFits(lines, 120);
    t.keys('BSpace');
    lines = await t.waitFor((l) => l.some((x) => x.includes('▸2 Processes')), 'back to the panes');

    const f = start(fixture);
    await f.waitFor(ready, 'the first frame');
    f.keys('5', 'Enter');
    lines = await f.waitFor((l) => l.some((x) => / LLM call \d+ /.test(x)), 'LLM call view');
    expect(lines.join('\n')).toContain('Prompt (last user turn)');
    expect(lines.join('\n')).toMatch(/tokens +in /);
    expectFits(lines, 120);
    f.keys('Escape');
    await f.waitFor((l) => l.some((x) => x.includes('▸5 Prompts')), 'back to the panes');
  });

  it('redraws at a new size after a resize, every line within the new width', async () => {
    const t = start(fixture);
    await t.waitFor(ready, 'the first frame');
    t.resize(80, 24);
    let lines = await t.waitFor((l) => l.length === 24 && l[23].includes('F1') && l[22].includes('┃') && ready(l), 'frame at 80x24');
    expectFits(lines, 80);
    t.resize(150, 45);
    lines = await t.waitFor((l) => l.length === 45 && l[44].includes('F1') && l[43].includes('┃'), 'frame at 150x45');
    expectFits(lines, 150);
  });

  it('draws ASCII only with --ascii, and under a non-UTF-8 locale', async () => {
    for (const s of [start(fixture, { args: '--ascii' }), start(fixture, { env: { LANG: 'C', LC_ALL: 'C' } })]) {
      const lines = await s.waitFor((l) => /REPLAY/.test(l[0]) && l.some((x) => x.includes('F10')), 'ascii frame');
      for (const l of lines) expect(l).toMatch(/^[\x20-\x7e]*$/);
      expect(lines.join('\n')).toContain('>1 Sessions');
    }
  });

  it('quits with q and restores the terminal', async () => {
    const t = start(fixture);
    await t.waitFor(ready, 'the first frame');
    expect(t.display('#{alternate_on}')).toBe('1');
    t.keys('q');
    const lines = await t.waitFor((l) => l.some((x) => x.includes('__EXIT__0')), 'exit');
    expect(lines.join('\n')).not.toContain('REPLAY');
    expect(t.display('#{alternate_on}')).toBe('0');
    expect(t.display('#{cursor_flag}')).toBe('1');
  });

  it('restores the terminal when killed by SIGTERM', async () => {
    const t = start(fixture);
    await t.waitFor(ready, 'the first frame');
    const pane = t.display('#{pane_pid}');
    // The pane's shell runs `env … bin/agentsight` (env execs node): the node process is the shell's child.
    const node = execFileSync('pgrep', ['-P', pane, '-f', 'agentsight top'], { encoding: 'utf8' }).trim().split('\n')[0];
    process.kill(Number(node), 'SIGTERM');
    const lines = await t.waitFor((l) => l.some((x) => /__EXIT__\d+/.test(x)), 'exit after SIGTERM');
    expect(lines.join('\n')).toMatch(/__EXIT__143/);
    expect(t.display('#{alternate_on}')).toBe('0');
    expect(t.display('#{cursor_flag}')).toBe('1');
  });
});

describe('agentsight top live', () => {
  it('shows an agent session as it appears, pauses on the scrubber while capture goes on, and returns to live', async () => {
    const t = new TmuxSession(`bin/agentsight top --utc 2>>${path.join(dir, 'stderr.txt')}`, 120, 40);
    sessions.push(t);
    await t.waitFor((l) => /LIVE/.test(l[0]) && l.some((x) => x.includes('F10')), 'live frame', 60_000);
    // A process whose executable is named like Claude Code's is recognised as an agent by the live collector.
    const fake = path.join(dir, 'bin', 'claude');
    fs.mkdirSync(path.dirname(fake), { recursive: true });
    fs.copyFileSync('/bin/sleep', fake);
    const { spawn } = await import('node:child_process');
    const agent = spawn(fake, ['30'], { stdio: 'ignore' });
    try {
      let lines = await t.waitFor((l) => sessionRows(l).some((r) => r.includes('claude-code')), 'the agent session', 30_000);
      expectFits(lines, 120);
      t.keys('Left');
      lines = await t.waitFor((l) => /PAUSED \d\d:\d\d:\d\d/.test(l[0]), 'paused view');
      t.keys('L');
      lines = await t.waitFor((l) => /LIVE/.test(l[0]) && !/PAUSED/.test(l[0]), 'back to live');
      expectFits(lines, 120);
    } finally {
      agent.kill('SIGKILL');
    }
  });
});
