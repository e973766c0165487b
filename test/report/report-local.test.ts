/**
 * `report --local` on realistic session files of Claude Code, Codex and Gemini CLI (test/fixtures/local-sessions):
 * streamed duplicate lines, resumed and forked sessions that copy earlier records, re-emitted counters, a session that
 * crashed before its first response, lines cut off mid-write and a truncated legacy JSON file.
 */
process.env.TZ = 'Pacific/Kiritimati'; // UTC+14: most responses fall on another calendar day than in UTC

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { costUsd } from '../../src/protocols/llm/cost';
import { invokingUserHome } from '../../src/report/local/home';
import { runReport, schemaErrors, tempDir } from './helpers';

const HOME = path.join(__dirname, '..', 'fixtures', 'local-sessions', 'home');
const local = (extra: string[] = [], env: Record<string, string> = {}) => runReport(['--local', '--utc', '--home', HOME, ...extra], { cwd: tempDir(), env });
const parse = (s: string) => JSON.parse(s) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('report --local', () => {
  it('--json matches its schema, with every source counted', async () => {
    const r = await local(['--json']);
    expect(r.code).toBe(0);
    const v = parse(r.stdout);
    expect(schemaErrors('report-local', v)).toBeNull();
    const src = Object.fromEntries(v.sources.map((s: { agent: string }) => [s.agent, s]));
    expect(src['claude-code']).toMatchObject({ files: 4, entries: 5, duplicates: 5, brokenLines: 1 });
    expect(src['codex']).toMatchObject({ files: 3, entries: 3, duplicates: 3, brokenLines: 1 });
    expect(src['gemini-cli']).toMatchObject({ files: 4, entries: 4, duplicates: 1, brokenLines: 2 });
    expect(v.total).toMatchObject({ calls: 12, inputTokens: 28923, outputTokens: 4348, cacheReadTokens: 116559, cacheWriteTokens: 3685, reasoningTokens: 1500, totalTokens: 153515, unknownCostCalls: 0 });
    expect(v.days.map((d: { day: string; calls: number }) => [d.day, d.calls])).toEqual([['2026-03-13', 1], ['2026-03-14', 9], ['2026-03-15', 2]]);
  });

  it('Claude Code: one response per message id and request id, with the final streamed output count', async () => {
    const v = parse((await local(['--json', '--agent', 'claude-code'])).stdout);
    const byId = Object.fromEntries(v.sessions.map((s: { sessionId: string }) => [s.sessionId, s]));
    // msg_01A1xq was written as three lines (output 1, 1, 260) and msg_01A2zr as two (2, 118) plus a copy in the
    // resumed session's file; the <synthetic> interruption message is no API call.
    expect(byId['5f0c2b1e-6a7d-4c8e-9f10-a1b2c3d4e5f6']).toMatchObject({ calls: 2, inputTokens: 10, outputTokens: 378, cacheReadTokens: 46559, cacheWriteTokens: 2685, project: '/home/dev/app', models: ['claude-sonnet-4-5-20250929'] });
    // At Sonnet 4.5 list prices ($3 input, $15 output, $3.75 cache write, $0.30 cache read per million tokens).
    expect(byId['5f0c2b1e-6a7d-4c8e-9f10-a1b2c3d4e5f6'].costUsd).toBeCloseTo((4 * 3 + 2285 * 3.75 + 22137 * 0.3 + 260 * 15 + 6 * 3 + 400 * 3.75 + 24422 * 0.3 + 118 * 15) / 1e6, 6);
    expect(byId['7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d']).toMatchObject({ calls: 1, outputTokens: 500, start: '2026-03-15T10:00:03.000Z' });
    // Without a requestId the message id alone de-duplicates; the subagent's file belongs to its parent session.
    expect(byId['9c8d7e6f-5a4b-4c3d-9e2f-1a0b9c8d7e6f']).toMatchObject({ calls: 2, inputTokens: 810, outputTokens: 170, models: ['claude-haiku-4-5-20251001', 'claude-opus-4-1-20250805'], project: '/home/dev/lib' });
    expect(v.sessions).toHaveLength(3);
  });

  it('Codex: re-emitted counters and a fork\'s replayed history count once; a crashed session adds nothing', async () => {
    const v = parse((await local(['--json', '--agent', 'codex'])).stdout);
    const byId = Object.fromEntries(v.sessions.map((s: { sessionId: string }) => [s.sessionId, s]));
    expect(Object.keys(byId).sort()).toEqual(['0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', '0199b2c3-d4e5-7f6a-9b0c-1d2e3f4a5b6c']);
    // OpenAI counts cached tokens inside input_tokens: 12,000 + 15,000 input of which 8,000 + 11,000 cached.
    expect(byId['0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b']).toMatchObject({ calls: 2, inputTokens: 8000, cacheReadTokens: 19000, outputTokens: 1500, reasoningTokens: 900, totalTokens: 28500 });
    expect(byId['0199b2c3-d4e5-7f6a-9b0c-1d2e3f4a5b6c']).toMatchObject({ calls: 1, inputTokens: 3000, cacheReadTokens: 7000, outputTokens: 600 });
    // gpt-5-codex at $1.25 input, $0.125 cached input, $10 output per million tokens.
    expect(byId['0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'].costUsd).toBeCloseTo((8000 * 1.25 + 19000 * 0.125 + 1500 * 10) / 1e6, 6);
    // The crashed session's cwd (/home/dev/lib) never shows up: it had no usage.
    expect(v.projects.map((p: { project: string }) => p.project)).toEqual(['/home/dev/app']);
  });

  it('Gemini CLI: the last record of a message wins, a converted legacy file counts once, thoughts are output', async () => {
    const v = parse((await local(['--json', '--agent', 'gemini'])).stdout);
    const byId = Object.fromEntries(v.sessions.map((s: { sessionId: string }) => [s.sessionId, s]));
    expect(byId['3f2e1d0c-9a8b-4c7d-8e6f-5a4b3c2d1e0f']).toMatchObject({ calls: 2, inputTokens: 8100, cacheReadTokens: 12000, outputTokens: 650, reasoningTokens: 200, project: '/home/dev/app' });
    expect(byId['7c6b5a49-3e2d-4c1b-9a08-f7e6d5c4b3a2']).toMatchObject({ calls: 2, inputTokens: 9000, cacheReadTokens: 2000, outputTokens: 550, models: ['gemini-2.5-flash'] });
    const expected = costUsd('gemini', 'gemini-2.5-pro', { inputTokens: 9000, outputTokens: 500, cacheReadTokens: 4000, cacheWriteTokens: 0, reasoningTokens: 200 })! + costUsd('gemini', 'gemini-2.5-pro', { inputTokens: 11100, outputTokens: 150, cacheReadTokens: 8000, cacheWriteTokens: 0, reasoningTokens: 0 })!;
    expect(byId['3f2e1d0c-9a8b-4c7d-8e6f-5a4b3c2d1e0f'].costUsd).toBeCloseTo(expected, 6);
    const problems = v.sources[0].problems.map((p: { file: string; message: string }) => `${path.basename(p.file)}: ${p.message}`);
    expect(problems).toEqual(['session-2026-03-12T10-00-deadbeef.json: not valid JSON (truncated while being written?)', 'session-2026-03-14T11-00-3f2e1d0c.jsonl: 1 unparseable line skipped']);
  });

  it('prints day, project and session tables, the sources, and one note per damaged file on stderr', async () => {
    const r = await local();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^By day\nDAY\s+CALLS\s+INPUT\s+OUTPUT\s+CACHE READ\s+CACHE WRITE\s+REASONING\s+TOTAL\s+COST\n2026-03-13\s+1\s+5,000/);
    expect(r.stdout).toMatch(/\nTOTAL\s+12\s+28,923\s+4,348\s+116,559\s+3,685\s+1,500\s+153,515\s+\$0\.\d{4}\n/);
    expect(r.stdout).toContain('By project');
    expect(r.stdout).toMatch(/0199b2c3-d4e5-7f6a-9b0c-1d2e3f4a5b6c\s+codex\s+2026-03-15 08:00\s+\/home\/dev\/app\s+1\s+3,000/);
    expect(r.stdout).toMatch(/claude-code\s+4 files, 5 responses, 5 duplicates removed, 1 broken line skipped/);
    const notes = r.stderr.trim().split('\n');
    expect(notes).toHaveLength(4);
    for (const n of notes) expect(n).toMatch(/^agentsight: note: \S+: (\d+ unparseable lines? skipped|not valid JSON .*)$/);
  });

  it('--group-by model, --since/--until and --agent narrow the report', async () => {
    const m = await local(['--group-by', 'model']);
    expect(m.stdout).toMatch(/^By model\nMODEL.*\nclaude-sonnet-4-5-20250929\s+3\s/);
    expect(m.stdout).not.toContain('By day');
    const day = parse((await local(['--json', '--since', '2026-03-14', '--until', '20260314'])).stdout);
    expect(day.days.map((d: { day: string }) => d.day)).toEqual(['2026-03-14']);
    expect(day.total.calls).toBe(9);
    expect(day.range).toEqual({ since: '2026-03-14', until: '2026-03-14' });
    const codex = parse((await local(['--json', '--agent', 'codex,claude'])).stdout);
    expect(codex.sources.map((s: { agent: string }) => s.agent)).toEqual(['codex', 'claude-code']);
  });

  it('days follow the local zone unless --utc', async () => {
    const r = await runReport(['--local', '--json', '--home', HOME], { cwd: tempDir() });
    const v = parse(r.stdout);
    expect(v.days.map((d: { day: string; calls: number }) => [d.day, d.calls])).toEqual([['2026-03-13', 1], ['2026-03-14', 3], ['2026-03-15', 7], ['2026-03-16', 1]]);
    expect(v.sessions[0].start).toBe('2026-03-13T23:00:10.000+14:00');
  });

  it('honours CLAUDE_CONFIG_DIR, CODEX_HOME and GEMINI_CLI_HOME', async () => {
    const empty = tempDir();
    const r = await runReport(['--local', '--json', '--home', empty], {
      cwd: empty,
      env: { CLAUDE_CONFIG_DIR: path.join(HOME, '.claude'), CODEX_HOME: path.join(HOME, '.codex'), GEMINI_CLI_HOME: HOME },
    });
    expect(r.code).toBe(0);
    expect(parse(r.stdout).total.calls).toBe(12);
  });

  it('bad input: bad options exit 2, an empty home exits 1, a home with only broken files still says why', async () => {
    expect((await local(['--group-by', 'week'])).code).toBe(2);
    expect((await local(['--since', 'yesterday'])).stderr).toBe('agentsight: --since takes a date as YYYY-MM-DD (got "yesterday")\n');
    expect((await local(['--agent', 'cursor'])).code).toBe(2);

    const empty = tempDir();
    const none = await runReport(['--local', '--home', empty], { cwd: empty });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`agentsight: no session files of claude-code, codex, gemini-cli under ${empty} (looked for ~/.claude/projects, ~/.codex/sessions, ~/.gemini/tmp)\n`);

    const broken = tempDir();
    const dir = path.join(broken, '.claude', 'projects', '-x');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 's.jsonl'), '{"type":"assistant","message":{"id":"m\n\u0000\u0001garbage\n');
    const b = await runReport(['--local', '--home', broken], { cwd: broken });
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/note: .*s\.jsonl: 2 unparseable lines skipped\n.*no model usage found in the session files under/);
  });

  it('under sudo reads the invoking user\'s home, not root\'s', () => {
    expect(invokingUserHome({ HOME: '/root' }, '/srv/home')).toBe('/srv/home');
    expect(invokingUserHome({ HOME: '/home/x' })).toBe('/home/x');
    if (process.getuid?.() === 0) {
      const passwd = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
      if (passwd) expect(invokingUserHome({ SUDO_USER: 'nobody', HOME: '/root' })).toBe(passwd.split(':')[5]);
    }
  });
});

describe('report --local, more inputs', () => {
  it('a model missing from the price table uses the costUSD Claude Code wrote, else counts as unknown', async () => {
    const home = tempDir();
    const dir = path.join(home, '.claude', 'projects', '-w');
    fs.mkdirSync(dir, { recursive: true });
    const line = (id: string, model: string, extra: object) => JSON.stringify({ type: 'assistant', sessionId: 's1', cwd: '/w', timestamp: '2026-03-14T10:00:00.000Z', requestId: `req_${id}`, message: { id: `msg_${id}`, model, usage: { input_tokens: 100, output_tokens: 10 } }, ...extra });
    fs.writeFileSync(path.join(dir, 's1.jsonl'), [line('a', 'claude-internal-test-model', { costUSD: 0.25 }), line('b', 'claude-internal-test-model', {})].join('\n') + '\n');
    const v = parse((await runReport(['--local', '--json', '--home', home], { cwd: home })).stdout);
    expect(v.total).toMatchObject({ calls: 2, costUsd: 0.25, unknownCostCalls: 1 });
  });

  it('text from the agents\' files is printed through the command-line redaction (a key in a project path)', async () => {
    const home = tempDir();
    const dir = path.join(home, '.claude', 'projects', '-w');
    fs.mkdirSync(dir, { recursive: true });
    const key = `sk-ant-api03-${'x9'.repeat(30)}`;
    const cwd = `/work/run-ANTHROPIC_API_KEY=${key}`;
    const rec = { type: 'assistant', sessionId: 's1', cwd, timestamp: '2026-03-14T10:00:00.000Z', requestId: 'req_a', message: { id: 'msg_a', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 100, output_tokens: 10 } } };
    fs.writeFileSync(path.join(dir, 's1.jsonl'), JSON.stringify(rec) + '\n');
    expect(fs.readFileSync(path.join(dir, 's1.jsonl'), 'utf8')).toContain(key);
    for (const args of [['--group-by', 'project'], ['--json']]) {
      const r = await runReport(['--local', '--home', home, ...args], { cwd: home });
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(key);
    }
    const v = parse((await runReport(['--local', '--json', '--home', home], { cwd: home })).stdout);
    expect(v.projects[0].project).toMatch(/^\/work\/run-ANTHROPIC_API_KEY=\[REDACTED len=73 hmac:[0-9a-f]{8}\]$/);
  });

  it('options of --local are refused elsewhere, and --local is refused on subcommands', async () => {
    const d = tempDir();
    expect((await runReport(['token', '--local'], { cwd: d })).stderr).toMatch(/--local works with `report` alone/);
    const r = await runReport(['audit', '--since', '2026-01-01'], { cwd: d });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('agentsight: --since applies to `report token`, `report prompts`, `report list` and `report --local` only, not to `report audit`\n');
    expect((await runReport(['list', '--home', d], { cwd: d })).stderr).toBe('agentsight: --home applies to `report --local` only, not to `report list`\n');
    expect((await runReport(['--group-by', 'model'], { cwd: d })).stderr).toBe('agentsight: --group-by applies to `report token` and `report --local`\n');
  });
});
