/**
 * `agentsight report` and its subcommands on recordings written through the store, plus bad inputs that must give a
 * one-line error: an empty directory, a SQLite file of another tool, a truncated recording, a file that is not SQLite.
 */
process.env.TZ = 'Asia/Kolkata'; // a zone with a half-hour offset makes local and --utc output differ visibly

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRecording } from '../../src/store';
import { T0, writeFixtureRecording } from './fixture-recording';
import { runReport, schemaErrors, tempDir } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
let dir: string;
let db: string;

beforeAll(() => {
  dir = tempDir();
  db = path.join(dir, 'agentsight-20260314-092653.db');
  writeFixtureRecording(db);
});

const json = (s: string) => JSON.parse(s) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('report (summary)', () => {
  it('summarises the newest recording in the directory', async () => {
    const r = await runReport([], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("claude -p 'fix the failing test'");
    expect(r.stdout).toMatch(/Agent\s+claude-code, codex/);
    expect(r.stdout).toMatch(/LLM calls\s+4 \(2 failed\)\s+claude-sonnet-4-5-20250929 \(3\), gpt-9-experimental \(1\)/);
    expect(r.stdout).toMatch(/Tokens\s+input 5,004 {2}output 1,459 {2}cache read 54,137 {2}cache write 7,285 {2}reasoning 600 {2}total 67,885/);
    expect(r.stdout).toMatch(/Cost\s+\$0\.0700\+ {2}\(2 calls with unknown price: a lower bound\)/);
    expect(r.stdout).toMatch(/Processes\s+6 {3}1 failed exec {3}4 exited non-zero or killed/);
    expect(r.stdout).toMatch(/ENOENT\s+rg TODO src/);
    expect(r.stdout).toMatch(/Files\s+4 changed {3}6 operations {3}1 failed/);
    expect(r.stdout).toContain('/home/dev/app/src/.sum.ts.tmp  rename→/home/dev/app/src/sum.ts');
    expect(r.stdout).toMatch(/registry\.npmjs\.org\s+104\.16\.0\.35:443\s+tcp\s+1\s+1/);
    expect(r.stdout).toContain('[2606:4700::6810:84e5]:443');
    expect(r.stdout).toMatch(/Tools\s+2 calls, 1 failed/);
    expect(r.stdout).toMatch(/Losses\s+ringbuf:events 12, tls:clipped 1/);
    expect(r.stdout).toMatch(/TLS\s+1 binary hooked, 1 not found/);
    // Local zone (TZ=Asia/Kolkata): T0 is 09:26:53 UTC, 14:56:53 in Kolkata.
    expect(r.stdout).toMatch(/Started\s+2026-03-14 14:56:53\s+duration 1m35s/);
  });

  it('--json matches its schema and carries the exact figures', async () => {
    const r = await runReport(['--json', '--db', db], { cwd: ROOT });
    expect(r.code).toBe(0);
    const s = json(r.stdout);
    expect(schemaErrors('report-summary', s)).toBeNull();
    expect(s.llm.usage).toEqual({ calls: 4, inputTokens: 5004, outputTokens: 1459, cacheReadTokens: 54137, cacheWriteTokens: 7285, reasoningTokens: 600, totalTokens: 67885, costUsd: 0.07, unknownCostCalls: 2 });
    expect(s.recording.startNs).toBe(T0);
    expect(s.recording.start).toBe('2026-03-14T14:56:53.589+05:30');
    expect(s.processes.failedExecs).toEqual([expect.objectContaining({ pid: 4004, filename: '/usr/local/bin/rg', error: 'ENOENT' })]);
    expect(s.network.destinations.find((d: { host: string }) => d.host === 'api.anthropic.com')).toMatchObject({ connections: 3, failed: 0 });
    expect(s.tls).toMatchObject({ attached: 1, notFound: 1, errors: 0 });
  });

  it('--utc shows and stamps times in UTC', async () => {
    const r = await runReport(['--utc'], { cwd: dir });
    expect(r.stdout).toMatch(/Started\s+2026-03-14 09:26:53/);
    const j = json((await runReport(['--utc', '--json'], { cwd: dir })).stdout);
    expect(j.recording.start).toBe('2026-03-14T09:26:53.589Z');
  });

  it('colours only on a terminal and never with NO_COLOR', async () => {
    const tty = await runReport([], { cwd: dir, isTTY: true });
    expect(tty.stdout).toContain('\x1b[1m');
    const noColor = await runReport([], { cwd: dir, isTTY: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\x1b[');
    const pipe = await runReport([], { cwd: dir, isTTY: false });
    expect(pipe.stdout).not.toContain('\x1b[');
  });

  it('picks the newest of several recordings, and --db overrides', async () => {
    const d = tempDir();
    const older = path.join(d, 'agentsight-20260101-000000.db');
    const newer = path.join(d, 'agentsight-20260102-000000.db');
    writeFixtureRecording(older, { command: ['codex', 'exec', 'older run'] });
    writeFixtureRecording(newer, { command: ['gemini', '-p', 'newer run'] });
    fs.utimesSync(older, new Date(2026, 0, 1), new Date(2026, 0, 1));
    fs.utimesSync(newer, new Date(2026, 0, 2), new Date(2026, 0, 2));
    expect((await runReport([], { cwd: d })).stdout).toContain("gemini -p 'newer run'");
    expect((await runReport(['--db', older], { cwd: d })).stdout).toContain("codex exec 'older run'");
  });

  it('an empty recording prints zeros, not errors', async () => {
    const d = tempDir();
    const st = createRecording(path.join(d, 'agentsight-empty.db'));
    st.finalize();
    st.close();
    const r = await runReport([], { cwd: d });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/LLM calls\s+0/);
    expect(r.stdout).toMatch(/Losses\s+none/);
    const t = await runReport(['token'], { cwd: d });
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/no LLM calls recorded/);
  });
});

describe('report list', () => {
  it('lists readable recordings and skips foreign, truncated and non-SQLite files with one note each', async () => {
    const d = tempDir();
    writeFixtureRecording(path.join(d, 'agentsight-20260314-092653.db'));
    writeFixtureRecording(path.join(d, 'agentsight-20260315-080000.db'), { command: ['codex'], startNs: T0 + 86_400e9 });
    const foreign = new Database(path.join(d, 'agentsight-foreign.db'));
    foreign.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);');
    foreign.close();
    fs.writeFileSync(path.join(d, 'agentsight-notes.db'), 'just some text, not a database\n');
    const full = fs.readFileSync(path.join(d, 'agentsight-20260314-092653.db'));
    fs.writeFileSync(path.join(d, 'agentsight-truncated.db'), full.subarray(0, 4096 * 2));

    const r = await runReport(['list'], { cwd: d });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^STARTED\s+DURATION\s+CALLS\s+TOKENS\s+COST\s+FILE\s+COMMAND$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/2026-03-14 14:56:53\s+1m35s\s+4\s+67,885\s+\$0\.0700\+\s+agentsight-20260314-092653\.db\s+claude -p/);
    expect(lines[2]).toContain('agentsight-20260315-080000.db');
    const notes = r.stderr.trim().split('\n');
    expect(notes).toHaveLength(3);
    expect(r.stderr).toMatch(/agentsight-foreign\.db: SQLite database, but not an agentsight recording/);
    expect(r.stderr).toMatch(/agentsight-notes\.db: not a SQLite database/);
    expect(r.stderr).toMatch(/agentsight-truncated\.db: .*(damaged|corrupt|truncated|malformed)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);

    const j = await runReport(['list', '--json'], { cwd: d });
    const v = json(j.stdout);
    expect(schemaErrors('report-list', v)).toBeNull();
    expect(v.recordings.map((x: { name: string }) => x.name)).toEqual(['agentsight-20260314-092653.db', 'agentsight-20260315-080000.db']);
    expect(v.skipped).toHaveLength(3);
  });

  it('an empty directory: exit 1 and a clear message', async () => {
    const r = await runReport(['list'], { cwd: tempDir() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agentsight: no agentsight-\*\.db recordings in \S+\n$/);
  });

  it('a directory with only unreadable recordings: exit 2', async () => {
    const d = tempDir();
    fs.writeFileSync(path.join(d, 'agentsight-x.db'), '');
    const r = await runReport(['list'], { cwd: d });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/empty file, not a recording/);
  });
});

describe('report prompts', () => {
  it('one line per call', async () => {
    const r = await runReport(['prompts'], { cwd: dir });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(/^\s*1\s+14:56:55\.589\s+1\s+anthropic\s+claude-sonnet-4-5-20250929\s+200\s+4\s+24,422\s+159\s+\$0\.0200\s+3\.00s\s+Bash\s+fix the failing test\s+Let me run the tests\.$/);
    // The prompt is the text of the request's last message (here a tool result), not its JSON.
    expect(lines[2]).toMatch(/\s+FAIL src\/sum\.test\.ts\s+The test failed because/);
    expect(lines[3]).toMatch(/529\s+-\s+-\s+-\s+\$\?.*overloaded_error: Overloaded/);
    expect(lines[4]).toMatch(/openai-responses\s+gpt-9-experimental\s+partial/);
  });

  it('--json has the full request and response and matches its schema', async () => {
    const r = await runReport(['prompts', '--json'], { cwd: dir });
    const v = json(r.stdout);
    expect(schemaErrors('report-prompts', v)).toBeNull();
    expect(v.calls).toHaveLength(4);
    expect(v.calls[0].request.messages[0].content[0].text).toBe('fix the failing test');
    expect(v.calls[0].response.content[1]).toEqual({ type: 'tool_use', id: 'toolu_01X', name: 'Bash', input: { command: 'npm test' } });
    expect(v.calls[0].toolCalls).toEqual([expect.objectContaining({ callId: 'toolu_01X', name: 'Bash', input: { command: 'npm test' }, resultIsError: true, resultLlmCallId: 2 })]);
    // A clipped body is kept as the text it is rather than dropped.
    expect(typeof v.calls[1].response).toBe('string');
    expect(v.calls[1].request.messages[2].content[0].tool_use_id).toBe('toolu_01X');
    expect(v.calls[2]).toMatchObject({ httpStatus: 529, error: 'overloaded_error: Overloaded', costUsd: null, request: null });
  });
});

describe('report token', () => {
  it('groups by model by default, largest first, with a total', async () => {
    const r = await runReport(['token'], { cwd: dir });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^MODEL\s+CALLS\s+INPUT\s+OUTPUT\s+CACHE READ\s+CACHE WRITE\s+REASONING\s+TOTAL\s+COST$/);
    expect(lines[1]).toMatch(/^claude-sonnet-4-5-20250929\s+3\s+1,004\s+559\s+46,137\s+7,285\s+0\s+54,985\s+\$0\.0700\+$/);
    expect(lines[2]).toMatch(/^gpt-9-experimental\s+1\s+4,000\s+900\s+8,000\s+0\s+600\s+12,900\s+\$\?$/);
    expect(lines[4]).toMatch(/^TOTAL\s+4\s+5,004\s+1,459\s+54,137\s+7,285\s+600\s+67,885\s+\$0\.0700\+$/);
    expect(r.stdout).toContain('2 call(s) with unknown price');
  });

  it.each(['model', 'session', 'agent', 'day'])('--group-by %s --json matches the schema', async (g) => {
    const r = await runReport(['token', '--json', '--group-by', g], { cwd: dir });
    expect(r.code).toBe(0);
    const v = json(r.stdout);
    expect(schemaErrors('report-token', v)).toBeNull();
    expect(v.groupBy).toBe(g);
    expect(v.total.totalTokens).toBe(67885);
    const keys = v.rows.map((x: { key: string }) => x.key);
    if (g === 'session') expect(keys).toEqual(['#1 claude-code', '#2 codex']);
    if (g === 'agent') expect(keys).toEqual(['claude-code', 'codex']);
    if (g === 'day') expect(keys).toEqual(['2026-03-14']);
  });

  it('groups days in the chosen zone', async () => {
    const d = tempDir();
    // 20:00 UTC on 14 March is 01:30 on 15 March in Kolkata.
    writeFixtureRecording(path.join(d, 'agentsight-late.db'), { startNs: Date.UTC(2026, 2, 14, 20, 0, 0) * 1e6 });
    const local = json((await runReport(['token', '--json', '--group-by', 'day'], { cwd: d })).stdout);
    const utc = json((await runReport(['token', '--json', '--group-by', 'day', '--utc'], { cwd: d })).stdout);
    expect(local.rows.map((x: { key: string }) => x.key)).toEqual(['2026-03-15']);
    expect(utc.rows.map((x: { key: string }) => x.key)).toEqual(['2026-03-14']);
  });

  it('rejects an unknown --group-by with exit 2', async () => {
    const r = await runReport(['token', '--group-by', 'planet'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('agentsight: --group-by must be one of model, session, agent, day (got "planet")\n');
  });
});

describe('report audit', () => {
  it('lists effects in time order with the tool call behind each', async () => {
    const r = await runReport(['audit', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const v = json(r.stdout);
    expect(schemaErrors('report-audit', v)).toBeNull();
    const ev = v.events as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const ts = ev.map((e) => e.tsNs);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    const spawn = (pid: number) => ev.find((e) => e.kind === 'spawn' && e.pid === pid)!;
    expect(spawn(4002).causedBy).toMatchObject({ name: 'Bash', callId: 'toolu_01X', method: 'lineage+window', inherited: false });
    expect(spawn(4003).causedBy).toMatchObject({ name: 'Bash', method: 'inherited:lineage+window', inherited: true });
    expect(spawn(4001).causedBy).toBeNull();
    const file = (p: string, op: string) => ev.find((e) => e.kind === 'file' && e.detail.path === p && e.detail.op === op)!;
    expect(file('/home/dev/app/src/sum.ts', 'write').causedBy).toMatchObject({ name: 'Edit', method: 'path-match', inherited: false });
    expect(file('/home/dev/app/coverage/index.html', 'write').causedBy).toMatchObject({ name: 'Bash', inherited: true });
    // Opens and reads only with --all-files.
    expect(ev.filter((e) => e.kind === 'file' && e.detail.op === 'open')).toEqual([]);
    const all = json((await runReport(['audit', '--json', '--all-files'], { cwd: dir })).stdout).events as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(all.find((e) => e.kind === 'file' && e.detail.path === '/home/dev/app/.env')).toMatchObject({ ok: false, result: 'EACCES', what: 'open /home/dev/app/.env' });
    expect(all.filter((e) => e.kind === 'file')).toHaveLength(6);
    expect(ev.find((e) => e.kind === 'exec' && e.result === 'ENOENT')).toMatchObject({ pid: 4004, what: 'rg TODO src' });
    expect(ev.filter((e) => e.kind === 'llm')).toHaveLength(4);
    expect(ev.filter((e) => e.kind === 'tool').map((e) => e.result)).toEqual(['error', 'ok']);
    expect(ev.find((e) => e.kind === 'net' && e.detail.host === 'registry.npmjs.org')).toMatchObject({ ok: false, result: 'ECONNREFUSED', causedBy: { name: 'Bash', inherited: true } });
  });

  it('prints an aligned table', async () => {
    const r = await runReport(['audit'], { cwd: dir });
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+KIND\s+PID\s+RESULT\s+N\s+WHAT\s+CAUSED BY$/);
    const node = lines.find((l) => l.includes('node node_modules/.bin/vitest run') && l.includes('spawn'))!;
    expect(node).toMatch(/spawn\s+4003\s+exit 1\s+1\s+.*Bash#1 \(via parent\)$/);
    const col = lines[0].indexOf('KIND');
    for (const l of lines.slice(1)) expect(l.slice(col, col + 5)).toMatch(/^(spawn|exec |file |net  |llm  |tool )$/);
  });
});

describe('report export', () => {
  it('writes a snapshot that validates against docs/schemas/snapshot.schema.json', async () => {
    const out = path.join(tempDir(), 'snapshot.json');
    const r = await runReport(['export', '-o', out], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^wrote .*snapshot\.json \(4 LLM calls, 6 processes\)\n$/);
    const v = json(fs.readFileSync(out, 'utf8'));
    expect(schemaErrors('snapshot', v)).toBeNull();
    expect(v.schema).toBe('agentsight.snapshot/1');
    expect(v.processes).toHaveLength(6);
    expect(v.llmCalls[0].request.model).toBe('claude-sonnet-4-5-20250929');
    expect(v.causalLinks).toHaveLength(2);
    expect(v.tlsTargets[0].probes).toEqual([{ name: 'SSL_write', offset: 4096, kind: 'uprobe' }]);
    expect(v.lossTotals).toEqual([{ source: 'ringbuf:events', count: 12, bytes: 0 }, { source: 'tls:clipped', count: 1, bytes: 512 }]);
    expect((fs.statSync(out).mode & 0o777).toString(8)).toBe('600');
  });

  it('-o - writes to stdout; no -o is bad input', async () => {
    const r = await runReport(['export', '-o', '-'], { cwd: dir });
    expect(json(r.stdout).schema).toBe('agentsight.snapshot/1');
    const bad = await runReport(['export'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('agentsight: export needs -o FILE (or -o - for standard output)\n');
  });
});

describe('bad input', () => {
  it('an empty directory: exit 1 with a hint', async () => {
    const r = await runReport([], { cwd: tempDir() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agentsight: no agentsight-\*\.db recordings in .* \(record one with `agentsight record -- CMD`, or pass --db FILE\)\n$/);
  });

  it('a SQLite database of another tool: exit 2, one line', async () => {
    const f = path.join(tempDir(), 'other.db');
    const other = new Database(f);
    other.exec('CREATE TABLE meta (key TEXT, value TEXT); CREATE TABLE notes (body TEXT);');
    other.close();
    for (const sub of [[], ['prompts'], ['token'], ['audit'], ['export', '-o', '-']]) {
      const r = await runReport([...sub, '--db', f], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`agentsight: ${f}: SQLite database, but not an agentsight recording\n`);
    }
  });

  it('a truncated recording: exit 2, one line, no stack', async () => {
    const d = tempDir();
    const full = fs.readFileSync(db);
    for (const cut of [100, 4096, Math.floor(full.length / 2)]) {
      const f = path.join(d, `cut-${cut}.db`);
      fs.writeFileSync(f, full.subarray(0, cut));
      const r = await runReport(['--db', f], { cwd: d });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^agentsight: ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*(damaged|corrupt|truncated|malformed|not a SQLite)`));
    }
  });

  it('a missing file and a directory: exit 2', async () => {
    const r = await runReport(['--db', 'nope.db'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`agentsight: ${path.join(dir, 'nope.db')}: no such file\n`);
    const d = await runReport(['--db', dir], { cwd: dir });
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/is a directory, not a recording/);
  });

  it('an unknown option: exit 2 with commander\'s message', async () => {
    const r = await runReport(['token', '--bogus'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
  });

  it('every command has --help with examples (exit 0)', async () => {
    for (const sub of [[], ['list'], ['prompts'], ['token'], ['audit'], ['export']]) {
      const r = await runReport([...sub, '--help'], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toContain('$ agentsight report');
    }
  });
});

describe('as a real process', () => {
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const main = path.join(__dirname, 'report-main.ts');
  const run = (args: string[], cwd: string) => spawnSync(tsx, [main, 'report', ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it('exit codes and messages reach the shell: 0, 1, 2, no stack traces', () => {
    const ok = run(['token', '--utc'], dir);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('claude-sonnet-4-5-20250929');
    const none = run([], tempDir());
    expect(none.status).toBe(1);
    const d = tempDir();
    fs.writeFileSync(path.join(d, 'broken.db'), fs.readFileSync(db).subarray(0, 4096));
    const bad = run(['--db', 'broken.db'], d);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    const usage = run(['--group-by'], dir);
    expect(usage.status).toBe(2);
    expect(execFileSync(tsx, [main, 'report', 'list', '--help'], { cwd: dir, encoding: 'utf8' })).toContain('Examples:');
  });
});

describe('report (summary) sessions', () => {
  it('lists the sessions when there is more than one', async () => {
    const r = await runReport(['--utc'], { cwd: dir });
    expect(r.stdout).toMatch(/Sessions\nID\s+AGENT\s+STARTED\s+PROCS\s+CALLS\s+COST\s+TOOLS\s+CHANGED\s+TITLE\n\s*1\s+claude-code\s+09:26:53\.589\s+5\s+3\s+\$0\.0700\s+2 \(1 failed\)\s+\d+\s+claude -p 'fix the failing test'\n\s*2\s+codex\s+09:27:53\.589\s+1\s+1\s+\$\?\s+0\s+1\s+codex exec\n/);
  });
});
