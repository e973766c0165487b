/**
 * `report pprof` on a recorded real-agent run: Claude Code (from .cache/agents, test/helpers/agents.ts) pointed at the
 * local fake provider, recorded by `agentsight record` (BPF, root), runs a Bash tool. The built CLI's .pb.gz decodes
 * back to its JSON output; its token total is `report token`'s and its cost total `report`'s, to the micro-dollar;
 * the stack names the agent's working directory, the agent, the model and the Bash tool whose result the second call
 * carried; go tool pprof reads it. Skipped loudly without root/BPF (never under AGENTSIGHT_REQUIRE_BPF=1), and with
 * AGENTSIGHT_AGENT_TESTS=0 like the other real-agent tests.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../../fake-llm/server';
import { agentLaunch } from '../../helpers/agent-launch';
import { agentBinaries } from '../../helpers/agents';
import { runAsync } from '../../helpers/async-run';
import { CLI, describeBpf } from '../../helpers/bpf-env';
import { agentsight } from '../../helpers/run';
import { schemaErrors } from '../helpers';
import { decodeProfile, parseFolded, stacksOf } from './decode-profile';

const skipAgents = process.env['AGENTSIGHT_AGENT_TESTS'] === '0';
const goAvailable = spawnSync('go', ['version']).status === 0;
if (!goAvailable) {
  if (process.env['AGENTSIGHT_REQUIRE_BPF'] === '1') throw new Error('AGENTSIGHT_REQUIRE_BPF=1 but `go` is missing (make setup installs golang-go)');
  console.warn('\n*** SKIPPING go tool pprof CHECK: `go` not installed (apt-get install golang-go) ***\n');
}
const parse = (s: string) => JSON.parse(s) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describeBpf('report pprof on a recorded Claude Code run', [], () => {
  let dir: string;
  let work: string;
  let db: string;
  let srv: FakeLlmServer;
  const report = (args: string[]) => agentsight(['report', '--db', db, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-pprof-'));
    const bins = agentBinaries();
    srv = await startFakeLlmServer();
    const home = fs.mkdtempSync(path.join(dir, 'home-'));
    work = fs.mkdtempSync(path.join(dir, 'work-'));
    const a = agentLaunch('claude', bins, srv, home, 'sk-ant-pprof-' + crypto.randomBytes(12).toString('hex'));
    db = path.join(dir, 'claude.db');
    const r = await runAsync(process.execPath, [CLI, 'record', '--quiet', '--db', db, '--', ...a.argv], { cwd: work, env: { ...process.env, ...a.env } }, 600_000);
    expect(r.code, r.stderr + r.stdout).toBe(0);
  }, 900_000);
  afterAll(async () => {
    await srv?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pb.gz = json; token and cost totals are report token\'s and report\'s; the Bash tool tags the next call', () => {
    for (const f of ['p.pb.gz', 'p.json', 'p.folded', 'p.svg']) {
      const r = report(['pprof', '-o', f]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^wrote ${f.replace('.', '\\.')} `));
    }
    const d = decodeProfile(fs.readFileSync(path.join(dir, 'p.pb.gz')));
    const j = parse(fs.readFileSync(path.join(dir, 'p.json'), 'utf8'));
    expect(schemaErrors('report-pprof', j)).toBeNull();
    const norm = (ss: Array<{ stack: string[]; values: Record<string, number>; labels: Record<string, string> }>) =>
      ss.map((s) => JSON.stringify([s.stack, s.values, s.labels])).sort();
    expect(norm(d.samples)).toEqual(norm(j.samples));

    const token = parse(report(['token', '--json']).stdout);
    const summary = parse(report(['--json']).stdout);
    expect(token.total.calls).toBeGreaterThanOrEqual(2);
    expect(d.totals.tokens).toBeGreaterThan(0);
    expect(d.totals.tokens).toBe(token.total.totalTokens);
    expect(d.totals.calls).toBe(token.total.calls);
    // Claude Code asks for a priced Claude model (the fake provider answers with the model asked for).
    expect(d.totals.cost).toBeGreaterThan(0);
    expect(d.totals.cost / 1e6).toBe(summary.llm.usage.costUsd);
    expect(d.samples.filter((s) => s.labels.price === 'unknown').reduce((n, s) => n + s.values.calls, 0)).toBe(token.total.unknownCostCalls);

    // project (the agent's cwd); agent; session; tag; model; token kind.
    const tokenStacks = d.samples.filter((s) => s.values.tokens > 0).map((s) => s.stack);
    expect(tokenStacks.every((s) => s[0] === work && s[1] === 'claude-code' && s.length === 6)).toBe(true);
    expect(tokenStacks.some((s) => s[3] === 'prompt')).toBe(true);
    // The call whose request carried the Bash tool's result is tagged by that tool (`echo` matches no built-in rule).
    expect(tokenStacks.some((s) => s[3] === 'Bash')).toBe(true);
    const toolSample = d.samples.find((s) => s.values.tool_calls > 0 && s.stack[3] === 'Bash');
    expect(toolSample?.values.time).toBeGreaterThan(0);

    expect(parseFolded(fs.readFileSync(path.join(dir, 'p.folded'), 'utf8'))).toEqual(stacksOf(d.samples, 'tokens'));
    const svg = fs.readFileSync(path.join(dir, 'p.svg'), 'utf8');
    for (const frame of ['claude-code', 'Bash', 'prompt']) expect(svg).toContain(`<title>${frame} (`);
  });

  it.runIf(goAvailable)('go tool pprof -top -sample_index=cost reads it', () => {
    report(['pprof', '-o', 'g.pb.gz']);
    const r = spawnSync('go', ['tool', 'pprof', '-top', '-sample_index=cost', path.join(dir, 'g.pb.gz')], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Type: cost/);
    const d = decodeProfile(fs.readFileSync(path.join(dir, 'g.pb.gz')));
    expect(r.stdout).toContain(`Total samples = ${d.totals.cost}microdollars`);
  });
}, { skip: skipAgents ? 'AGENTSIGHT_AGENT_TESTS=0' : null });
