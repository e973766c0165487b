/**
 * `report token` and `report list` over every recording of a directory (--dir, --since/--until), recordings named
 * otherwise than agentsight-*.db, and the one "agentsight:" prefix of every report error line, commander's included.
 * The recordings are written through the store as the collector writes them (fixture-recording.ts and a small one
 * here with another agent, model and day), so the sums are checked against what each file alone reports.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRecording } from '../../src/store';
import { T0, writeFixtureRecording } from './fixture-recording';
import { runReport, schemaErrors, tempDir } from './helpers';

const DAY = 86_400_000_000_000;
const S = 1_000_000_000;
const json = (s: string) => JSON.parse(s) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One Gemini CLI call, two days after the fixture's, in a file named as a CI job would name it. */
function writeSmallRecording(file: string, t0: number): void {
  const st = createRecording(file);
  st.putMeta('command', JSON.stringify(['gemini', '-p', 'summarise the log']));
  st.putMeta('start_ns', String(t0));
  st.putMeta('end_ns', String(t0 + 10 * S));
  st.putSession({ id: 1, agent: 'gemini-cli', externalId: null, rootProcessId: 1, title: 'gemini -p', startNs: t0, endNs: t0 + 10 * S });
  st.putProcess({
    id: 1, pid: 5001, ppid: 1000, parentId: null, sessionId: 1, startNs: t0, kstartNs: 5 * S, uid: 1000, comm: 'gemini', exe: '/usr/bin/gemini',
    argv: ['gemini', '-p', 'summarise the log'], argvClipped: false, cwd: '/home/dev/app', execNs: t0 + 1_000_000, exitNs: t0 + 10 * S, exitCode: 0,
    exitSignal: null, coreDumped: false, seeded: false, peakRssKb: 90_000, containerId: null, containerName: null, nsPid: null,
  });
  st.putLlmCall({
    id: 1, exchangeId: 1, sessionId: 1, processId: 1, provider: 'gemini', host: 'generativelanguage.googleapis.com', endpoint: '/v1beta/models/gemini-2.5-pro:streamGenerateContent',
    streaming: true, requestModel: 'gemini-2.5-pro', responseModel: 'gemini-2.5-pro', systemPrompt: null, requestJson: null, responseJson: null,
    responseText: 'The log shows one failing test.', thinking: null, stopReason: 'STOP',
    // Collector convention: inputTokens counts the cached part too (1,000 prompt tokens, 200 of them cached).
    inputTokens: 1000, outputTokens: 50, cacheReadTokens: 200, cacheWriteTokens: 0, reasoningTokens: 20, costUsd: 0.003,
    httpStatus: 200, error: null, startNs: t0 + S, firstTokenNs: t0 + 2 * S, endNs: t0 + 3 * S, incomplete: false,
  });
  st.flush();
  st.finalize();
  st.close();
}

let dir: string;
let a: string;
let b: string;
let c: string;

beforeAll(() => {
  dir = tempDir();
  a = path.join(dir, 'agentsight-20260314-092653.db');
  b = path.join(dir, 'ci-run-7.sqlite');
  c = path.join(dir, 'agentsight-20260318-092653.db');
  writeFixtureRecording(a); // 2026-03-14 UTC
  writeSmallRecording(b, T0 + 2 * DAY); // 2026-03-16
  writeFixtureRecording(c, { command: ['codex', 'exec', 'again'], startNs: T0 + 4 * DAY }); // 2026-03-18
  // Written last: the newest file by time, yet no recording; it must be neither read nor noted.
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a database\n');
});

const TOTAL_FIELDS = ['calls', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'totalTokens', 'unknownCostCalls'] as const;

async function tokenJson(args: string[]): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await runReport(['token', '--json', '--utc', ...args], { cwd: dir });
  expect(r.stderr).toBe('');
  const v = json(r.stdout);
  expect(schemaErrors('report-token', v)).toBeNull();
  return v;
}

/** The field-by-field sum of `report token --db F --json` totals. */
async function sumOfEach(files: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let cost = 0;
  for (const f of files) {
    const t = (await tokenJson(['--db', f])).total;
    for (const k of TOTAL_FIELDS) out[k] = (out[k] ?? 0) + t[k];
    cost += t.costUsd ?? 0;
  }
  out['costUsd'] = cost;
  return out;
}

function expectTotal(total: Record<string, number>, want: Record<string, number>): void {
  for (const k of TOTAL_FIELDS) expect(total[k], k).toBe(want[k]);
  expect(total['costUsd']).toBeCloseTo(want['costUsd'], 10);
}

describe('report token --dir: every recording of the directory', () => {
  it('sums to the sum of each recording\'s own `report token`', async () => {
    const v = await tokenJson(['--dir', dir]);
    expect(v.recordings).toEqual([a, b, c]);
    expect(v.recording).toBeNull();
    expect(v.completeness).toBeNull();
    expect(v.skipped).toEqual([]);
    expect(v.range).toEqual({ since: null, until: null });
    const each = await sumOfEach([a, b, c]);
    expect(each['calls']).toBe(9);
    expectTotal(v.total, each);
  });

  it('groups by model, session, agent and day across files', async () => {
    const model = await tokenJson(['--dir', dir, '--group-by', 'model']);
    const one = await tokenJson(['--db', a, '--group-by', 'model']);
    const sonnet = (rows: Array<Record<string, any>>) => rows.find((r) => r.key === 'claude-sonnet-4-5-20250929')!; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(sonnet(model.rows).calls).toBe(2 * sonnet(one.rows).calls);
    expect(sonnet(model.rows).totalTokens).toBe(2 * sonnet(one.rows).totalTokens);
    expect(model.rows.find((r: { key: string }) => r.key === 'gemini-2.5-pro')).toMatchObject({ calls: 1, inputTokens: 800, cacheReadTokens: 200, outputTokens: 50, totalTokens: 1050 });

    const session = await tokenJson(['--dir', dir, '--group-by', 'session']);
    expect(session.rows.map((r: { key: string }) => r.key).sort()).toEqual([
      'agentsight-20260314-092653.db #1 claude-code',
      'agentsight-20260314-092653.db #2 codex',
      'agentsight-20260318-092653.db #1 claude-code',
      'agentsight-20260318-092653.db #2 codex',
      'ci-run-7.sqlite #1 gemini-cli',
    ]);

    const agent = await tokenJson(['--dir', dir, '--group-by', 'agent']);
    expect(agent.rows.map((r: { key: string }) => r.key).sort()).toEqual(['claude-code', 'codex', 'gemini-cli']);

    const day = await tokenJson(['--dir', dir, '--group-by', 'day']);
    expect(day.rows.map((r: { key: string }) => r.key)).toEqual(['2026-03-14', '2026-03-16', '2026-03-18']);
    for (const [i, f] of [a, b, c].entries()) expectTotal(day.rows[i], await sumOfEach([f]));
  });

  it('the table says how many recordings it summed; without --dir only the newest is read', async () => {
    const r = await runReport(['token', '--dir', dir], { cwd: '/' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^TOTAL\s+9\s/m);
    expect(r.stdout).toContain(`3 recordings in ${dir}\n`);
    const newest = await tokenJson([]);
    expect(newest.recording).toBe(c);
    expectTotal(newest.total, await sumOfEach([c]));
  });

  it('a file that cannot be read is noted, listed as skipped, and makes the exit status 2', async () => {
    const d = tempDir();
    writeFixtureRecording(path.join(d, 'agentsight-20260314-092653.db'));
    fs.writeFileSync(path.join(d, 'agentsight-broken.db'), fs.readFileSync(a).subarray(0, 4096));
    const r = await runReport(['token', '--dir', d, '--json'], { cwd: d });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^agentsight: skipped .*agentsight-broken\.db: /);
    const v = json(r.stdout);
    expect(schemaErrors('report-token', v)).toBeNull();
    expect(v.skipped.map((s: { path: string }) => path.basename(s.path))).toEqual(['agentsight-broken.db']);
    expectTotal(v.total, await sumOfEach([a]));
  });
});

describe('--since/--until on recordings', () => {
  it('select recordings and calls by day, with the syntax of --local', async () => {
    const from15 = await tokenJson(['--since', '2026-03-15']);
    expect(from15.recordings).toEqual([b, c]);
    expect(from15.range).toEqual({ since: '2026-03-15', until: null });
    expectTotal(from15.total, await sumOfEach([b, c]));

    const to16 = await tokenJson(['--dir', dir, '--until', '20260316']);
    expect(to16.recordings).toEqual([a, b]);
    expectTotal(to16.total, await sumOfEach([a, b]));

    const only16 = await tokenJson(['--since', '2026-03-16', '--until', '2026-03-16', '--group-by', 'agent']);
    expect(only16.rows.map((r: { key: string }) => r.key)).toEqual(['gemini-cli']);
  });

  it('with --db they filter that recording\'s calls', async () => {
    const r = await runReport(['token', '--db', a, '--utc', '--since', '2026-03-15'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`agentsight: ${a}: no LLM calls recorded from 2026-03-15 to the end\n`);
  });

  it('nothing in range: exit 1; a bad date or an empty range: exit 2, one line', async () => {
    const none = await runReport(['token', '--since', '2026-04-01', '--utc'], { cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`agentsight: no recordings in ${dir} ran from 2026-04-01 to the end\n`);
    const bad = await runReport(['token', '--since', 'yesterday'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('agentsight: --since takes a date as YYYY-MM-DD (got "yesterday")\n');
    const empty = await runReport(['token', '--since', '2026-03-17', '--until', '2026-03-15'], { cwd: dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('agentsight: --since 2026-03-17 is after --until 2026-03-15: no day is in that range\n');
  });

  it('report list keeps the recordings that ran on those days', async () => {
    const r = await runReport(['list', '--json', '--utc', '--since', '2026-03-15', '--until', '2026-03-17'], { cwd: dir });
    expect(r.code).toBe(0);
    const v = json(r.stdout);
    expect(schemaErrors('report-list', v)).toBeNull();
    expect(v.recordings.map((x: { name: string }) => x.name)).toEqual(['ci-run-7.sqlite']);
    const none = await runReport(['list', '--utc', '--since', '2026-04-01'], { cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^agentsight: no agentsight-\*\.db recordings in \S+ from 2026-04-01 to the end\n$/);
  });
});

describe('report list: recordings under any name', () => {
  it('lists a renamed recording, notes another tool\'s SQLite file, ignores files that are not SQLite', async () => {
    const d = tempDir();
    writeFixtureRecording(path.join(d, 'agentsight-20260314-092653.db'));
    writeSmallRecording(path.join(d, 'ci-run-7.sqlite'), T0 + 2 * DAY);
    const other = new Database(path.join(d, 'browser-history.sqlite'));
    other.exec('CREATE TABLE visits (url TEXT); INSERT INTO visits VALUES (\'x\');');
    other.close();
    fs.writeFileSync(path.join(d, 'README.txt'), 'hello\n');

    const r = await runReport(['list'], { cwd: d });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('agentsight-20260314-092653.db');
    expect(lines[2]).toMatch(/\s1\s+1,050\s+\$0\.0030\s+ci-run-7\.sqlite\s+gemini -p 'summarise the log'$/);
    expect(r.stderr).toBe(`agentsight: skipped ${path.join(d, 'browser-history.sqlite')}: SQLite database, but not an agentsight recording\n`);

    // `report` (one run) still reads the newest agentsight-*.db, not the newest SQLite file.
    const s = await runReport(['--json'], { cwd: d });
    expect(s.code).toBe(0);
    expect(json(s.stdout).recording.path).toBe(path.join(d, 'agentsight-20260314-092653.db'));
  });
});

describe('report prompts --dir: every call of every recording of the directory', () => {
  async function promptsJson(args: string[]): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await runReport(['prompts', '--json', '--utc', ...args], { cwd: dir });
    expect(r.stderr).toBe('');
    const v = json(r.stdout);
    expect(schemaErrors('report-prompts', v)).toBeNull();
    return v;
  }

  it('lists each recording\'s calls, named by their file, with the same tokens `report token --dir` sums', async () => {
    const v = await promptsJson(['--dir', dir]);
    expect(v.recording).toBeNull();
    expect(v.recordings).toEqual([a, b, c]);
    expect(v.skipped).toEqual([]);
    const each = await Promise.all([a, b, c].map((f) => promptsJson(['--db', f])));
    expect(v.calls.map((x: { recording: string; id: number }) => `${x.recording}#${x.id}`)).toEqual(
      each.flatMap((e) => e.calls.map((x: { id: number }) => `${e.recording}#${x.id}`)),
    );
    expect(each[0]!.calls[0].recording).toBeUndefined();
    const total = (await tokenJson(['--dir', dir])).total;
    const sum = (k: string) => v.calls.reduce((n: number, x: { usage: Record<string, number | null> }) => n + (x.usage[k] ?? 0), 0);
    expect([v.calls.length, sum('inputTokens'), sum('outputTokens'), sum('totalTokens')]).toEqual([total.calls, total.inputTokens, total.outputTokens, total.totalTokens]);
  });

  it('--since/--until keep the calls of those days; the table names each call\'s recording', async () => {
    const v = await promptsJson(['--since', '2026-03-16', '--until', '2026-03-16']);
    expect(v.range).toEqual({ since: '2026-03-16', until: '2026-03-16' });
    expect(v.recordings).toEqual([b]);
    expect(v.calls.map((x: { requestModel: string }) => x.requestModel)).toEqual(['gemini-2.5-pro']);
    const r = await runReport(['prompts', '--dir', dir, '--utc'], { cwd: '/' });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RECORDING\s+ID\s+TIME/);
    expect(lines.filter((l) => l.startsWith('ci-run-7.sqlite '))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('agentsight-20260318-092653.db '))).toHaveLength(4);
    expect(lines[lines.length - 1]).toBe(`9 calls in 3 recordings in ${dir}`);
    const none = await runReport(['prompts', '--dir', dir, '--since', '2027-01-01'], { cwd: '/' });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`agentsight: no recordings in ${dir} ran from 2027-01-01 to the end\n`);
  });
});

describe('every report error line starts "agentsight:"', () => {
  it.each([
    [['frob']],
    [['list', 'extra']],
    [['--jsn']],
    [['token', '--group-by']],
    [['audit', '--since', '2026-01-01']],
    [['token', '--db', 'nope.db']],
    [['list', '--dir', 'missing-dir']],
  ])('report %j', async (args) => {
    const r = await runReport(args, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^agentsight: \S/);
  });

  it('commander\'s suggestion stays on the error\'s line', async () => {
    const r = await runReport(['--jsn'], { cwd: dir });
    expect(r.stderr).toBe("agentsight: unknown option '--jsn' (Did you mean --json?)\n");
  });

  it('`report help` prints the help, exit 0', async () => {
    const r = await runReport(['help'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage:');
    expect(r.stderr).toBe('');
  });
});
