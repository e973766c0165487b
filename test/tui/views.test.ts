/**
 * Issue 22 in the TUI, on a real recording: a node client's two-turn tool-use conversation with the fake provider
 * (its Bash tool writes /tmp), run from a workspace directory by a shell that then writes hello.txt there and 30
 * `~/.claude.json.tmp.*` files in its home, as Claude Code does. Driven in tmux: F6's sort menu for the focused
 * pane, the "workspace only" toggle, the session view telling the story first, tool labels in the Prompts pane.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { strWidth } from '../../src/present';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { tempDir } from './helpers';
import { ensureBuilt, quitAll, TmuxSession } from './tmux';

let dir: string;
let work: string;
let home: string;
let db: string;
let srv: FakeLlmServer;
const sessions: TmuxSession[] = [];
const CHURN = 30;

const ready = (l: string[]) => /REPLAY \d\d:\d\d:\d\d/.test(l[0] ?? '') && l.some((x) => x.includes('F10'));

function start(): TmuxSession {
  const s = new TmuxSession(`bin/agentsight top --db ${db} --utc 2>>${path.join(dir, 'stderr.txt')}`, 140, 50);
  sessions.push(s);
  return s;
}

function expectFits(lines: string[]): void {
  for (const l of lines) expect(strWidth(l), `line too wide: ${l}`).toBeLessThanOrEqual(140);
}

describeBpf('agentsight top on a real recording: sort menu, workspace only, the story, tool labels', [], () => {
  beforeAll(async () => {
    ensureBuilt();
    dir = tempDir();
    work = path.join(dir, 'work');
    home = path.join(dir, 'home');
    fs.mkdirSync(work);
    fs.mkdirSync(home);
    db = path.join(dir, 'rec.db');
    srv = await startFakeLlmServer();
    const client = path.join(__dirname, '..', 'e2e', 'two-turn-client.mjs');
    const script = `node ${client} && echo hello > hello.txt && for i in $(seq 1 ${CHURN}); do echo {} > $HOME/.claude.json.tmp.$i; done`;
    const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--no-web', '--', 'sh', '-c', script], {
      cwd: work,
      env: { ...process.env, HOME: home, LLM_BASE_URL: srv.url, LLM_API_KEY: 'sk-ant-views-0123456789', NODE_EXTRA_CA_CERTS: srv.caCertPath },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(work, 'hello.txt'), 'utf8')).toBe('hello\n');
  }, 180_000);

  afterEach(async () => {
    await quitAll(sessions);
  });

  afterAll(async () => {
    await srv?.close();
    const stderr = dir && fs.existsSync(path.join(dir, 'stderr.txt')) ? fs.readFileSync(path.join(dir, 'stderr.txt'), 'utf8') : '';
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    expect(stderr).toBe('');
  });

  it('F6 opens a sort menu for the focused pane; a pick sorts that pane', async () => {
    const t = start();
    await t.waitFor(ready, 'the first frame');
    // Sessions: the menu lists the table's columns, the current one marked.
    t.keys('F6');
    let lines = await t.waitFor((l) => l.some((x) => x.includes('Sort Sessions by')), 'the sessions sort menu');
    const text = lines.join('\n');
    for (const title of ['TOKENS', 'COST', 'FILES', 'IDLE']) expect(text).toMatch(new RegExp(`^[ ▸] ${title} `, 'm'));
    expect(text).toMatch(/IDLE .*✓/);
    t.keys('Escape');
    await t.waitFor((l) => !l.some((x) => x.includes('Sort Sessions by')), 'menu closed');

    // Processes: PID, STATUS, TIME, COMMAND; picking COMMAND orders each process's children by command line.
    t.keys('2', 'F6');
    lines = await t.waitFor((l) => l.some((x) => x.includes('Sort Processes by')), 'the processes sort menu');
    expect(lines.join('\n')).toMatch(/▸ START .*✓/);
    for (const title of ['PID', 'STATUS', 'TIME', 'COMMAND']) expect(lines.join('\n')).toMatch(new RegExp(`^[ ▸] ${title} `, 'm'));
    t.keys('Down', 'Down', 'Down', 'Down', 'Enter');
    lines = await t.waitFor((l) => l.some((x) => x.includes('Processes sorted by COMMAND')) && l.some((x) => /PID STATUS +TIME +COMMAND▲/.test(x)), 'sorted by command');
    // The shell's children (one level below it) in command order; I inverts it. Started in the order node, seq:
    // descending puts seq first, so the order seen is the sort's, not the start order.
    const kids = (ls: string[], mark: string) => {
      const head = ls.findIndex((x) => x.includes(`COMMAND${mark}`));
      const cmdAt = ls[head]!.indexOf('COMMAND');
      return ls.slice(head + 1).map((x) => x.slice(cmdAt, cmdAt + 60)).filter((x) => /^[├└]─ \S/.test(x)).map((x) => x.slice(3).trim());
    };
    expect(kids(lines, '▲').map((k) => k.split(' ')[0])).toEqual(['node', 'seq']);
    t.keys('I');
    lines = await t.waitFor((l) => l.some((x) => /PID STATUS +TIME +COMMAND▼/.test(x)), 'inverted');
    expect(kids(lines, '▼').map((k) => k.split(' ')[0])).toEqual(['seq', 'node']);
    expectFits(lines);

    // The Prompts pane has no columns: F6 says so instead of opening an empty menu.
    t.keys('5', 'F6');
    await t.waitFor((l) => l[0]!.includes('Prompts has no columns to sort'), 'no columns message');
  }, 60_000);

  it('w shows only the workspace: the home churn is hidden and counted, hello.txt listed', async () => {
    const t = start();
    await t.waitFor(ready, 'the first frame');
    let lines = await t.waitFor((l) => l.some((x) => /3 Files \(\d+/.test(x)), 'the files pane');
    const all = Number(/3 Files \((\d+)/.exec(lines.join('\n'))![1]);
    expect(all).toBeGreaterThan(CHURN);
    t.keys('w');
    lines = await t.waitFor((l) => l.some((x) => /3 Files \(\d+.*outside workspace hidden/.test(x)), 'workspace only');
    const title = /3 Files \((\d+)[^,)]*, (\d+) outside workspace hidden/.exec(lines.join('\n'))!;
    const [shown, hidden] = [Number(title[1]), Number(title[2])];
    expect(hidden).toBeGreaterThanOrEqual(CHURN);
    expect(shown + hidden).toBe(all);
    expect(lines[0]).toContain('workspace only');
    expect(lines.join('\n')).toContain(path.join(work, 'hello.txt'));
    expect(lines.join('\n')).not.toContain('.claude.json.tmp.');
    expect(lines[lines.length - 1]).toContain('wAll files');
    expectFits(lines);
    // Help names the key.
    t.keys('F1');
    lines = await t.waitFor((l) => l.some((x) => x.includes('Help (Esc back)')), 'help');
    expect(lines.join('\n')).toMatch(/w +files: workspace only \/ all/);
    t.keys('Escape');
    await t.waitFor((l) => !l.some((x) => x.includes('Help (Esc back)')), 'help closed');
    t.keys('w');
    await t.waitFor((l) => l.some((x) => new RegExp(`3 Files \\(${all}[ )]`).test(x)) && !l[0]!.includes('workspace only'), 'every file again');
  }, 60_000);

  it('the session view tells the story first: call, prompt, tool call, what it caused; then the lists', async () => {
    const t = start();
    await t.waitFor(ready, 'the first frame');
    t.keys('Enter');
    const lines = await t.waitFor((l) => l.some((x) => x.includes('what happened:')), 'the session view');
    const at = (re: RegExp) => lines.findIndex((x) => re.test(x));
    const story = at(/what happened: 2 LLM calls/);
    const prompt = at(/^ +prompt: Write hello to \/tmp\/x$/);
    const tool = at(/^ +↳ Bash `[^`]+` \[ok\]/);
    const caused = lines.findIndex((x, i) => i > tool && /^ +→ process \d+ /.test(x));
    const second = lines.findIndex((x, i) => i > tool && /^ +prompt: \[tool result\]/.test(x));
    const procs = at(/^processes: \d+/);
    expect(story, lines.join('\n')).toBeGreaterThan(0);
    expect(prompt).toBeGreaterThan(story);
    expect(tool).toBeGreaterThan(prompt);
    expect(caused).toBeGreaterThan(tool);
    expect(second).toBeGreaterThan(caused);
    // The full process tree comes after the story (it may be below the first screen).
    expect(procs === -1 || procs > second).toBe(true);
    expectFits(lines);
  }, 60_000);

  it('says in the header when --at falls outside the recording', async () => {
    const t = new TmuxSession(`bin/agentsight top --db ${db} --utc --at +10h 2>>${path.join(dir, 'stderr.txt')}`, 140, 50);
    sessions.push(t);
    const lines = await t.waitFor(ready, 'the first frame');
    expect(lines[0]).toMatch(/REPLAY (\S+) .*--at \+10h: after the end$/);
    // The clock shows the end: the scrubber's right-hand time.
    expect(lines[0]).toContain(`REPLAY ${/ (\d\d:\d\d:\d\d)$/.exec(lines[lines.length - 2]!.trimEnd())![1]}`);
  }, 60_000);

  it('a call\'s view has the whole conversation: every message, the tools offered, the raw bodies', async () => {
    const t = start();
    await t.waitFor(ready, 'the first frame');
    t.keys('5', 'Down', 'Down');
    await t.waitFor((l) => l.some((x) => /5 Prompts \(3 3\/3\)/.test(x)), 'the second call selected');
    t.keys('Enter');
    let lines = await t.waitFor((l) => l.some((x) => x.includes('Conversation (3 messages sent)')), 'the call view');
    const text = lines.join('\n');
    expect(text).toMatch(/^ +user\n +Write hello to \/tmp\/x$/m);
    expect(text).toMatch(/^ +assistant\n(.*\n)*? +\[tool call\] Bash \{"command":"[^"]+"\}$/m);
    expect(text).toMatch(/^ +user\n +\[tool result\] /m);
    expect(text).toMatch(/Tools offered \(1\)\n +Bash$/m);
    t.keys('End');
    lines = await t.waitFor((l) => l.some((x) => x.includes('Raw response')), 'the raw bodies');
    expect(lines.join('\n')).toMatch(/Raw response\n +\{"/);
    expectFits(lines);
  }, 60_000);

  it('the Prompts pane names each tool call by what it was asked to do', async () => {
    const t = start();
    await t.waitFor(ready, 'the first frame');
    const lines = await t.waitFor((l) => l.some((x) => /↳ Bash `[^`]+` \[ok\]/.test(x)), 'a tool row');
    expect(lines.join('\n')).not.toMatch(/↳ Bash \[ok\] \{/);
  }, 60_000);
});
