/**
 * htop manners of `agentsight top`, driven in a real terminal (tmux) on a hand-built recording (one Claude Code
 * session running `npm test` through its Bash tool, one Codex session): readable key names on the help screen,
 * column headers on the Processes pane, a filter that matches nothing says so, `/` finds paths and commands, and a
 * process names the tool call that caused it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { strWidth } from '../../src/present';
import { writeFixtureRecording } from '../report/fixture-recording';
import { tempDir } from './helpers';
import { ensureBuilt, quitAll, TmuxSession } from './tmux';

let dir: string;
let db: string;
const sessions: TmuxSession[] = [];

const ready = (l: string[]) => /REPLAY \d\d:\d\d:\d\d/.test(l[0] ?? '') && l.some((x) => x.includes('F10'));

function start(): TmuxSession {
  const s = new TmuxSession(`bin/agentsight top --db ${db} --utc 2>>${path.join(dir, 'stderr.txt')}`, 120, 40);
  sessions.push(s);
  return s;
}

/** Only the Claude Code session listed (and so selected): its processes fill the Processes pane. */
async function claudeOnly(t: TmuxSession): Promise<string[]> {
  await t.waitFor(ready, 'the first frame');
  t.keys('\\');
  t.type('claude');
  t.keys('Enter');
  return t.waitFor((l) => /1 Sessions \(1\)/.test(l.join('\n')) && l.some((x) => /^[ ▸] +4002 /.test(x)) && l.some((x) => /^ +PID STATUS/.test(x)), 'claude session processes');
}

function expectFits(lines: string[]): void {
  for (const l of lines) expect(strWidth(l), `line too wide: ${l}`).toBeLessThanOrEqual(120);
}

beforeAll(() => {
  ensureBuilt();
  dir = tempDir();
  db = path.join(dir, 'fixture.db');
  writeFixtureRecording(db);
}, 180_000);

afterEach(async () => {
  await quitAll(sessions);
});

afterAll(() => {
  const stderr = fs.existsSync(path.join(dir, 'stderr.txt')) ? fs.readFileSync(path.join(dir, 'stderr.txt'), 'utf8') : '';
  fs.rmSync(dir, { recursive: true, force: true });
  expect(stderr).toBe('');
});

describe('agentsight top: htop manners', () => {
  it('names keys on the help screen as a user reads them', async () => {
    const t = start();
    await t.waitFor(ready, 'the first frame');
    t.keys('F1');
    const lines = await t.waitFor((l) => l.some((x) => x.includes('Help (Esc back)')), 'help screen');
    const text = lines.join('\n');
    expect(text).toMatch(/q F10 Ctrl-C +quit/);
    expect(text).toMatch(/Enter +open detail/);
    expect(text).toMatch(/Esc Backspace +back/);
    expect(text).toMatch(/Shift-Tab +previous pane/);
    expect(text).toMatch(/PgDn +page down/);
    expect(text).toMatch(/F3 \/ +search /);
    for (const raw of ['linefeed', 'S-tab', 'C-c', 'escape', 'pagedown', 'enter ']) expect(text).not.toContain(raw);
    expectFits(lines);
  });

  it('heads the Processes pane with columns, each value under its title', async () => {
    const t = start();
    const lines = await claudeOnly(t);
    const head = lines.findIndex((x) => /^ +PID STATUS +TIME COMMAND/.test(x));
    expect(lines[head - 1]).toMatch(/2 Processes \(\d+/);
    const pidEnd = lines[head].indexOf('PID') + 3;
    const timeEnd = lines[head].indexOf('TIME') + 4;
    const cmdAt = lines[head].indexOf('COMMAND');
    const rows = lines.slice(head + 1).filter((x) => /^[ ▸] +\d{4} /.test(x)).slice(0, 5);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const r of rows) {
      expect(r.slice(0, pidEnd), r).toMatch(/ \d{4}$/);
      expect(r.slice(pidEnd + 1, cmdAt), r).toMatch(/^(exit \d+|killed \w+|running)/);
      expect(r.slice(0, timeEnd), r).toMatch(/\d(ms|s|µs)$/);
    }
    expect(rows.some((r) => r.slice(cmdAt).includes("bash -c 'npm test'") || r.slice(cmdAt).includes('bash -c npm test'))).toBe(true);
    expectFits(lines);
  });

  it('says a filter matches nothing instead of "no sessions at this time"', async () => {
    const t = start();
    await t.waitFor(ready, 'the first frame');
    t.keys('\\');
    t.type('zzqqxx');
    t.keys('Enter');
    const lines = await t.waitFor((l) => l.some((x) => x.includes("no session matches 'zzqqxx' (2 at this time")), 'empty filter message');
    expect(lines.join('\n')).not.toContain('no sessions at this time');
    expectFits(lines);
  });

  it('finds a changed path and a command with /, and selects its row', async () => {
    const t = start();
    await t.waitFor(ready, 'the first frame');
    t.keys('/');
    t.type('coverage/index.html');
    let lines = await t.waitFor((l) => /Search "coverage\/index.html": [1-9]\d* matches/.test(l[1] ?? ''), 'path search results');
    expect(lines[2]).toMatch(/^▸\d\d:\d\d:\d\d s1 file +\/home\/dev\/app\/coverage\/index\.html/);
    t.keys('Enter');
    await t.waitFor((l) => !l[39].startsWith('Search:'), 'search prompt closed');
    t.keys('Enter');
    lines = await t.waitFor((l) => /match 1\/\d+/.test(l[0]) && l.some((x) => x.includes('▸3 Files')), 'jump to the file');
    // The selected row of the focused Files pane (the path is cut at the pane's edge).
    expect(lines.some((x) => /^▸modified +write .*\/home\/dev\/app\/coverage\/index\.ht/.test(x)), lines.join('\n')).toBe(true);

    t.keys('/');
    for (let i = 0; i < 'coverage/index.html'.length; i++) t.keys('BSpace');
    await t.waitFor((l) => /^Search: █/.test(l[39]), 'empty search prompt');
    t.type('vitest run');
    lines = await t.waitFor((l) => /Search "vitest run": [1-9]\d* matches/.test(l[1] ?? ''), 'command search results');
    expect(lines.some((x) => /s1 command +node node_modules\/\.bin\/vitest run/.test(x))).toBe(true);
    t.keys('Enter');
    await t.waitFor((l) => !l[39].startsWith('Search:'), 'search prompt closed');
    const row = lines.slice(2).findIndex((x) => / command +node node_modules/.test(x));
    for (let i = 0; i < row; i++) t.keys('Down');
    t.keys('Enter');
    lines = await t.waitFor((l) => /match \d+\/\d+/.test(l[0]) && l.some((x) => x.includes('▸2 Processes')), 'jump to the process');
    expect(lines.some((x) => /^▸ +4003 .*node node_modules\//.test(x)), lines.join('\n')).toBe(true);
    expectFits(lines);
  });

  it('names the tool call and its command that caused a process', async () => {
    const t = start();
    let lines = await claudeOnly(t);
    // Walk the Processes pane of session 1 (Claude Code) down to bash -c 'npm test'.
    const rows = lines.filter((x) => /^[ ▸] +\d{4} /.test(x));
    const target = rows.findIndex((x) => / 4002 /.test(x));
    expect(target).toBeGreaterThanOrEqual(0);
    t.keys('2');
    for (let i = 0; i < target; i++) t.keys('Down');
    t.keys('Enter');
    lines = await t.waitFor((l) => l.some((x) => x.includes('Process 4002 bash')), 'process view');
    const text = lines.join('\n');
    expect(text).toContain('Caused by');
    expect(text).toMatch(/Bash `npm test` \(call 1 of LLM call 1, lineage\+window, 95%\)/);
    expect(text).not.toMatch(/tool call 1 \(/);
    expectFits(lines);
  });
});
