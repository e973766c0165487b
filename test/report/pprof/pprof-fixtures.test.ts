/**
 * `report pprof` on the checked-in session files (test/fixtures/local-sessions) and on a fixture recording written
 * through the store: the .pb.gz decodes back to the JSON output's stacks and values, its token and cost totals are
 * `report token`'s / `report --local`'s, folded and svg hold the same stacks, go tool pprof reads it, and the folded
 * output of the fixture recording matches a golden file. Bad input: one line, exit 2.
 */
process.env.TZ = 'UTC';

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFixtureRecording } from '../fixture-recording';
import { runReport, schemaErrors, tempDir } from '../helpers';
import { decodeProfile, parseFolded, stacksOf } from './decode-profile';

const HOME = path.join(__dirname, '..', '..', 'fixtures', 'local-sessions', 'home');
const GOLDEN = path.join(__dirname, 'golden');
const parse = (s: string) => JSON.parse(s) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const goAvailable = spawnSync('go', ['version']).status === 0;
if (!goAvailable) console.warn('\n*** SKIPPING go tool pprof CHECKS: `go` not installed (apt-get install golang-go) ***\n');

describe('report pprof on a fixture recording', () => {
  let dir: string;
  const report = (args: string[]) => runReport(args, { cwd: dir, env: { NO_COLOR: '1' } });

  beforeAll(() => {
    dir = tempDir();
    writeFixtureRecording(path.join(dir, 'agentsight-fixture.db'));
  });

  it('.pb.gz decodes to the JSON output\'s stacks and values; totals are report token\'s and report\'s', async () => {
    const pb = await report(['pprof', '-o', 'p.pb.gz']);
    expect(pb.code, pb.stderr).toBe(0);
    const js = await report(['pprof', '-o', 'p.json']);
    expect(js.code, js.stderr).toBe(0);
    const d = decodeProfile(fs.readFileSync(path.join(dir, 'p.pb.gz')));
    const j = parse(fs.readFileSync(path.join(dir, 'p.json'), 'utf8'));
    expect(schemaErrors('report-pprof', j)).toBeNull();
    expect(d.sampleTypes.map((t) => t.type)).toEqual(['tokens', 'cost', 'calls', 'time', 'tool_calls']);
    expect(d.defaultSampleType).toBe('tokens');
    const norm = (ss: Array<{ stack: string[]; values: Record<string, number>; labels: Record<string, string> }>) =>
      ss.map((s) => JSON.stringify([s.stack, s.values, s.labels])).sort();
    expect(norm(d.samples)).toEqual(norm(j.samples));

    const token = parse((await report(['token', '--json'])).stdout);
    const summary = parse((await report(['--json'])).stdout);
    expect(d.totals.tokens).toBe(token.total.totalTokens);
    expect(d.totals.tokens).toBeGreaterThan(0);
    expect(d.totals.cost / 1e6).toBe(summary.llm.usage.costUsd);
    expect(d.totals.calls).toBe(token.total.calls);
    // The fixture has a call to a model without a price: labelled, and named in a comment.
    expect(token.total.unknownCostCalls).toBeGreaterThan(0);
    expect(d.samples.filter((s) => s.labels.price === 'unknown').reduce((n, s) => n + s.values.calls, 0)).toBe(token.total.unknownCostCalls);
    expect(d.comments.join('\n')).toMatch(/call\(s\) of unknown price \(.+\)/);
    // Leaves are the token kinds; the Bash tool that ran `npm test` tags the call its result went back in.
    const leaves = new Set(d.samples.filter((s) => s.values.tokens).map((s) => s.stack[s.stack.length - 1]));
    expect([...leaves].every((l) => ['input', 'cache read', 'cache write', 'output', 'reasoning'].includes(l))).toBe(true);
    expect(d.samples.some((s) => s.stack[0] === '/home/dev/app' && s.stack[1] === 'claude-code' && s.stack[3] === 'test')).toBe(true);
  });

  it('folded and svg hold the same stacks and values as the pb.gz', async () => {
    await report(['pprof', '-o', 'p.pb.gz']);
    const d = decodeProfile(fs.readFileSync(path.join(dir, 'p.pb.gz')));
    expect((await report(['pprof', '-o', 'p.folded'])).code).toBe(0);
    expect(parseFolded(fs.readFileSync(path.join(dir, 'p.folded'), 'utf8'))).toEqual(stacksOf(d.samples, 'tokens'));

    expect((await report(['pprof', '--value', 'cost', '-o', 'cost.folded'])).code).toBe(0);
    expect(parseFolded(fs.readFileSync(path.join(dir, 'cost.folded'), 'utf8'))).toEqual(stacksOf(d.samples, 'cost'));

    expect((await report(['pprof', '-o', 'p.svg'])).code).toBe(0);
    const svg = fs.readFileSync(path.join(dir, 'p.svg'), 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    // Every frame of every stack has a box whose tooltip names it with its value.
    const titles = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1].replace(/&amp;/g, '&').replace(/&apos;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
    const frames = new Set(d.samples.filter((s) => s.values.tokens).flatMap((s) => s.stack));
    for (const f of frames) expect(titles.some((t) => t.startsWith(`${f} (`)), f).toBe(true);
    expect(titles.find((t) => t.startsWith('all ('))).toContain(`${d.totals.tokens.toLocaleString('en-US')} tokens, 100.00%`);
  });

  it('golden: the folded tokens, cost and time views of the fixture', async () => {
    for (const view of ['tokens', 'cost', 'time', 'tools', 'files']) {
      const file = `${view}.folded`;
      const r = await report(['pprof', '--view', view, '-o', file]);
      expect(r.code, r.stderr).toBe(0);
      const got = fs.readFileSync(path.join(dir, file), 'utf8');
      const golden = path.join(GOLDEN, `fixture-${view}.folded`);
      if (process.env['UPDATE_GOLDEN']) fs.writeFileSync(golden, got);
      expect(got).toBe(fs.readFileSync(golden, 'utf8'));
    }
  });

  it('--tag rules come before the built-in ones', async () => {
    await report(['pprof', '--tag', 'tool:vitest-run=npm test', '--tag', 'prompt:fixing=fix', '-o', 't.pb.gz']);
    const d = decodeProfile(fs.readFileSync(path.join(dir, 't.pb.gz')));
    const tags = new Set(d.samples.map((s) => s.stack[3]));
    expect(tags.has('vitest-run')).toBe(true);
    expect(tags.has('test')).toBe(false);
    expect(tags.has('fixing')).toBe(true);
  });

  it.runIf(goAvailable)('go tool pprof -top -sample_index=cost reads it', async () => {
    await report(['pprof', '-o', 'p.pb.gz']);
    const d = decodeProfile(fs.readFileSync(path.join(dir, 'p.pb.gz')));
    const r = spawnSync('go', ['tool', 'pprof', '-top', '-sample_index=cost', path.join(dir, 'p.pb.gz')], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Type: cost/);
    expect(r.stdout).toContain(`Total samples = ${d.totals.cost}microdollars`);
    expect(r.stdout).toContain('claude-sonnet-4-5-20250929');
  });

  it('bad input: one line on stderr, exit 2, nothing written', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['pprof'], /needs -o FILE/],
      [['pprof', '-o', 'x.txt'], /extension must be one of/],
      [['pprof', '--view', 'nope', '-o', 'x.svg'], /--view must be one of/],
      [['pprof', '--value', 'nope', '-o', 'x.svg'], /--value must be one of/],
      [['pprof', '--tag', 'tool:x', '-o', 'x.svg'], /--tag takes KIND:TAG=REGEX/],
      [['pprof', '--tag', 'file:x=y', '-o', 'x.svg'], /kind must be one of/],
      [['pprof', '--tag', 'tool:x=(', '-o', 'x.svg'], /bad regular expression/],
      [['pprof', '--since', '2026-01-01', '-o', 'x.svg'], /applies to `report pprof --local` only/],
      [['pprof', '-o', 'no/such/dir/x.svg'], /cannot write \(ENOENT\)/],
      [['pprof', '--db', 'missing.db', '-o', 'x.svg'], /missing\.db/],
      [['pprof', '--json', '-o', 'x.svg'], /writes JSON with -o FILE\.json/],
      [['pprof', '--group-by', 'model', '-o', 'x.svg'], /takes --view/],
    ];
    for (const [args, re] of cases) {
      const r = await report(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
    expect(fs.existsSync(path.join(dir, 'x.svg'))).toBe(false);
  });
});

describe('report pprof --local on the checked-in session files', () => {
  it('.pb.gz totals equal report --local\'s; stacks are project;agent;session;model;kind', async () => {
    const dir = tempDir();
    const env = { NO_COLOR: '1' };
    const r = await runReport(['pprof', '--local', '--home', HOME, '-o', 'l.pb.gz'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const d = decodeProfile(fs.readFileSync(path.join(dir, 'l.pb.gz')));
    const local = parse((await runReport(['--local', '--home', HOME, '--json'], { cwd: dir, env })).stdout);
    expect(d.totals.tokens).toBe(local.total.totalTokens);
    expect(d.totals.tokens).toBe(153515);
    expect(d.totals.cost / 1e6).toBe(local.total.costUsd);
    expect(d.totals.calls).toBe(local.total.calls);
    const s = d.samples.find((x) => x.stack[2] === '5f0c2b1e-6a7d-4c8e-9f10-a1b2c3d4e5f6' && x.stack[4] === 'cache read');
    expect(s?.stack.slice(0, 4)).toEqual(['/home/dev/app', 'claude-code', '5f0c2b1e-6a7d-4c8e-9f10-a1b2c3d4e5f6', 'claude-sonnet-4-5-20250929']);
    expect(s?.values.tokens).toBe(22137 + 24422);
    expect(d.comments.join('\n')).toMatch(/session files carry no call durations/);

    const f = await runReport(['pprof', '--local', '--home', HOME, '--since', '2026-03-15', '-o', 'l.folded'], { cwd: dir, env });
    expect(f.code, f.stderr).toBe(0);
    const local15 = parse((await runReport(['--local', '--home', HOME, '--since', '2026-03-15', '--json'], { cwd: dir, env })).stdout);
    const folded = parseFolded(fs.readFileSync(path.join(dir, 'l.folded'), 'utf8'));
    expect([...folded.values()].reduce((a, b) => a + b, 0)).toBe(local15.total.totalTokens);
  });

  it('--db with --local: one line, exit 2', async () => {
    const r = await runReport(['pprof', '--local', '--db', 'x.db', '-o', 'x.svg'], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^agentsight: --db and --local exclude each other/);
  });
});
