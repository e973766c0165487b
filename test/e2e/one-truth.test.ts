// Issue 22, "one truth in every view": one real recording (a node client's two-turn tool-use conversation with the
// fake provider, plus a shell that writes one file twice and another it then deletes) read through every view —
// record's summary, `top --once` text and JSON, the TUI in tmux, `report`, `report token`, `report prompts`,
// `report --json` — shows the same tokens (by kind, docs/figures.md), cost and files-changed figures everywhere;
// then one recording of each real agent (Claude Code, Codex, Gemini CLI) through the same views, the TUI included.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { formatCost, formatCount as formatCountLike } from '../../src/present';
import { agentBinaries } from '../helpers/agents';
import { TmuxSession } from '../tui/tmux';

let srv: FakeLlmServer;
let dir: string;
let db: string;
let recordStderr: string;
/** What the fake provider sent, in the views' kinds: input = uncached prompt tokens. */
const want = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 };

async function cli(...args: string[]): Promise<string> {
  const r = await runAsync(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** $0.0012: the one cost format (src/present/cost.ts formatCost). */
const money = (usd: number) => (usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`);

describeBpf('one recording, the same figures in every view', [], () => {
  let costUsd = 0;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-truth-'));
    srv = await startFakeLlmServer();
    db = path.join(dir, 'rec.db');
    const script = `cd ${dir} && node ${path.join(__dirname, 'two-turn-client.mjs')} && echo a > f1 && echo b >> f1 && echo c > f2 && rm f2`;
    const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', 'sh', '-c', script], {
      env: { ...process.env, LLM_BASE_URL: srv.url, LLM_API_KEY: 'sk-ant-one-truth-0123456789', NODE_EXTRA_CA_CERTS: srv.caCertPath },
    });
    expect(r.code, r.stderr).toBe(0);
    recordStderr = r.stderr;
    const served = srv.requests.filter((q) => q.api === 'anthropic');
    expect(served).toHaveLength(2);
    for (const q of served) {
      const u = q.reply!.usage;
      want.input += u.input;
      want.output += u.output + u.reasoning;
      want.cacheRead += u.cacheRead;
      want.cacheWrite += u.cacheWrite;
    }
    want.total = want.input + want.output + want.cacheRead + want.cacheWrite;
    // A conversation with cached prompt tokens, or the test could not tell the conventions apart.
    expect(want.cacheRead + want.cacheWrite).toBeGreaterThan(0);
    const j = JSON.parse(await cli('report', '--db', db, '--json'));
    costUsd = j.llm.usage.costUsd;
    expect(costUsd).toBeGreaterThan(0);
  }, 120_000);
  afterAll(async () => {
    await srv?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  // /tmp/x (truncate + write), f1 (create + 2 writes), f2 (create + write + unlink): 3 files, 7 change records.
  const FILES = 3;

  it("record's summary", () => {
    expect(recordStderr).toContain(`${FILES} files changed`);
    expect(recordStderr).toContain(`2 LLM calls, ${want.total} tokens, ${money(costUsd)}`);
    expect(recordStderr).toContain(`2 LLM calls, ${want.total} tokens;`); // the completeness line
  });

  it('report, report --json, report token, report prompts', async () => {
    const text = await cli('report', '--db', db);
    expect(text).toContain(`input ${want.input}  output ${want.output}  cache read ${want.cacheRead}  cache write ${want.cacheWrite}`);
    expect(text).toContain(`total ${want.total}`);
    expect(text).toMatch(new RegExp(`Cost +\\${money(costUsd)}\\n`));
    expect(text).toMatch(new RegExp(`Files +${FILES} changed`));

    const j = JSON.parse(await cli('report', '--db', db, '--json'));
    expect(j.llm.usage).toMatchObject({ inputTokens: want.input, outputTokens: want.output, cacheReadTokens: want.cacheRead, cacheWriteTokens: want.cacheWrite, totalTokens: want.total });
    expect(j.files.filesChanged).toBe(FILES);
    expect(j.files.changed).toHaveLength(FILES);
    expect(j.sessions[0].filesChanged).toBe(FILES);

    const token = await cli('report', 'token', '--db', db);
    const totalRow = token.split('\n').find((l) => l.startsWith('TOTAL '))!;
    expect(totalRow.trim().split(/\s+/).slice(1)).toEqual(['2', String(want.input), String(want.output), String(want.cacheRead), String(want.cacheWrite), '0', String(want.total), money(costUsd)]);

    const prompts = JSON.parse(await cli('report', 'prompts', '--db', db, '--json'));
    const sum = (k: string) => prompts.calls.reduce((n: number, c: { usage: Record<string, number> }) => n + c.usage[k]!, 0);
    expect([sum('inputTokens'), sum('outputTokens'), sum('cacheReadTokens'), sum('cacheWriteTokens'), sum('totalTokens')]).toEqual([want.input, want.output, want.cacheRead, want.cacheWrite, want.total]);
    const promptsText = await cli('report', 'prompts', '--db', db);
    const ins = promptsText.split('\n').slice(1).filter((l) => /^\s*\d+ /.test(l)).map((l) => Number(l.trim().split(/\s+/)[6]));
    expect(ins.reduce((a, b) => a + b, 0)).toBe(want.input);
  });

  it('top --once text and JSON', async () => {
    const text = await cli('top', '--once', '--db', db, '--width', '300');
    expect(text).toContain(`tokens ${want.total} (in ${want.input} out ${want.output} cache read ${want.cacheRead} cache write ${want.cacheWrite})`);
    expect(text).toContain(money(costUsd));
    expect(text).toMatch(new RegExp(`files changed: ${FILES} \\(7 changes`));

    const j = JSON.parse(await cli('top', '--once', '--db', db, '--format', 'json'));
    const s = j.sessions[0];
    expect(s.summary).toMatchObject({ inputTokens: want.input, outputTokens: want.output, cacheReadTokens: want.cacheRead, cacheWriteTokens: want.cacheWrite, totalTokens: want.total, filesChanged: FILES });
    expect(s.summary.costUsd).toBe(costUsd);
    expect(s.filesChanged).toBe(FILES);
    const callSum = (k: string) => s.llmCalls.reduce((n: number, c: Record<string, number>) => n + c[k]!, 0);
    expect([callSum('inputTokens'), callSum('cacheReadTokens'), callSum('cacheWriteTokens'), callSum('totalTokens')]).toEqual([want.input, want.cacheRead, want.cacheWrite, want.total]);
  });

  it('top --once --width 0: no limit, nothing cut', async () => {
    const wide = await cli('top', '--once', '--db', db, '--width', '0');
    const facts = wide.split('\n').find((l) => l.startsWith('started '))!;
    expect(facts).toMatch(/tokens \d+ \(in .*\) · \$[\d.]+ · 0 errors · 0\/1 tool calls failed · losses 0$/);
    const narrow = await cli('top', '--once', '--db', db, '--width', '60');
    expect(narrow.split('\n').every((l) => [...l].length <= 60)).toBe(true);
  });

  it('the TUI (tmux)', async () => {
    const t = new TmuxSession(`bin/agentsight top --db ${db} --utc`, 160, 40);
    try {
      const lines = await t.waitFor((l) => l.some((x) => x.includes('TOKENS')), 'the first frame');
      const header = lines.find((x) => x.includes('TOKENS'))!;
      const row = lines[lines.indexOf(header) + 1]!;
      const cell = (title: string) => {
        // Right-aligned columns: the value ends where its title ends.
        const end = header.indexOf(title) + title.length;
        return row.slice(0, end + 1).trim().split(/\s+/).pop()!.replace(/[▲▼]/g, '');
      };
      expect(cell('TOKENS')).toBe(String(want.total));
      expect(cell('FILES')).toBe(String(FILES));
      expect(row).toContain('claude-sonnet-4-5 '); // the whole model name (MODEL was 16 wide: "claude-sonnet-4-")
      expect(lines[0]).toContain(`cost ${money(costUsd)}`);
      expect(lines[0]).toMatch(/REPLAY \d\d:\d\d:\d\d\.\d{3} /); // a short recording's clock has milliseconds
    } finally {
      t.kill();
    }
  }, 60_000);
});

/**
 * The same for a recording of each real agent (Claude Code, Codex, Gemini CLI against the fake provider; see
 * real-agents.test.ts): `report --json` gives the figures, every other view must show the same ones.
 */
describeBpf('a real agent recording, the same figures in every view', [], () => {
  let asrv: FakeLlmServer;
  let adir: string;
  let bins: Record<string, string>;
  beforeAll(async () => {
    adir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-truth-agents-'));
    asrv = await startFakeLlmServer();
    bins = agentBinaries();
  });
  afterAll(async () => {
    await asrv?.close();
    if (adir) fs.rmSync(adir, { recursive: true, force: true });
  });

  async function recordAgent(name: string, argv: (home: string) => string[], env: (home: string) => NodeJS.ProcessEnv): Promise<{ db: string; stderr: string; home: string }> {
    const home = fs.mkdtempSync(path.join(adir, `${name}-home-`));
    const work = fs.mkdtempSync(path.join(adir, `${name}-work-`));
    const db = path.join(adir, `${name}.db`);
    const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', ...argv(home)], { cwd: work, env: { ...process.env, ...env(home) } }, 600_000);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    return { db, stderr: r.stderr, home };
  }

  async function sameEverywhere(db: string, recordStderr: string, home: string): Promise<void> {
    const rep = JSON.parse(await cli('report', '--db', db, '--json'));
    const u = rep.llm.usage;
    expect(u.calls).toBeGreaterThan(0);
    const files = rep.files.filesChanged;
    expect(recordStderr).toContain(`${files} file${files === 1 ? '' : 's'} changed`);
    expect(recordStderr).toContain(`${u.calls} LLM call${u.calls === 1 ? '' : 's'}, ${u.totalTokens} tokens`);
    if (u.unknownCostCalls === 0) expect(recordStderr).toContain(`tokens, ${money(u.costUsd)}`);

    const token = await cli('report', 'token', '--db', db);
    const totalRow = token.split('\n').find((l) => l.startsWith('TOTAL '))!;
    expect(totalRow.trim().split(/\s+/).slice(1, 8)).toEqual([u.calls, u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens, u.reasoningTokens, u.totalTokens].map((n: number) => n.toLocaleString('en-US')));

    const prompts = JSON.parse(await cli('report', 'prompts', '--db', db, '--json'));
    const sum = (k: string) => prompts.calls.reduce((n: number, c: { usage: Record<string, number | null> }) => n + (c.usage[k] ?? 0), 0);
    expect([sum('inputTokens'), sum('outputTokens'), sum('cacheReadTokens'), sum('cacheWriteTokens'), sum('totalTokens')]).toEqual([u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens, u.totalTokens]);

    const top = JSON.parse(await cli('top', '--once', '--db', db, '--format', 'json'));
    const ss = top.sessions.map((s: { summary: Record<string, number> }) => s.summary);
    const ssum = (k: string) => ss.reduce((n: number, s: Record<string, number>) => n + s[k]!, 0);
    // Calls outside any session would be in report's figures only: none are expected for a recorded agent.
    expect([ssum('inputTokens'), ssum('outputTokens'), ssum('cacheReadTokens'), ssum('cacheWriteTokens'), ssum('totalTokens')]).toEqual([u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens, u.totalTokens]);
    // One recorded agent run is one session (measured: Claude Code 3 calls, 54,259 tokens, 29 files; Codex 2 calls,
    // 20,402 tokens, 133 files; Gemini CLI 2 calls, 23,684 tokens, 17 files).
    expect(ss).toHaveLength(1);
    {
      expect(ss[0].filesChanged).toBe(files);
      expect(top.sessions[0].filesChanged).toBe(files);
      const text = await cli('top', '--once', '--db', db, '--width', '0');
      expect(text).toContain(`files changed: ${files} (`);
      expect(text).toContain(`tokens ${formatCountLike(u.totalTokens)} (in ${formatCountLike(u.inputTokens)} out ${formatCountLike(u.outputTokens)}`);
      // The session's cost, as every view prints it (formatCost: $? unknown, + a lower bound).
      const cost = formatCost(u.costUsd, u.unknownCostCalls);
      expect(text).toContain(` · ${cost} · `);
      expect(top.sessions[0].summary.costUsd).toBe(u.costUsd);

      // report's own text: the same tokens, cost and files.
      const summary = await cli('report', '--db', db);
      expect(summary).toContain(`total ${u.totalTokens.toLocaleString('en-US')}`);
      expect(summary).toMatch(new RegExp(`Cost +${cost.replace(/[$?+.]/g, '\\$&')}`));
      expect(summary).toMatch(new RegExp(`Files +${files} changed`));

      // The TUI in a terminal: the session row's TOKENS and FILES cells and the header's cost.
      const t = new TmuxSession(`bin/agentsight top --db ${db} --utc`, 160, 40);
      try {
        const lines = await t.waitFor((l) => l.some((x) => x.includes('TOKENS')) && /REPLAY/.test(l[0] ?? ''), 'the first frame');
        const header = lines.find((x) => x.includes('TOKENS'))!;
        const row = lines[lines.indexOf(header) + 1]!;
        const cell = (title: string) => row.slice(0, header.indexOf(title) + title.length + 1).trim().split(/\s+/).pop()!;
        expect(cell('TOKENS')).toBe(formatCountLike(u.totalTokens));
        expect(cell('FILES')).toBe(formatCountLike(files));
        expect(cell('COST')).toBe(cost);
        expect(lines[0]).toContain(`cost ${cost}`);
        // w: only the workspace (the agent's cwd); its writes to its home are hidden and counted in the title.
        const homeRows = (l: string[]) => l.filter((x) => x.includes(path.basename(home))).length;
        t.keys('3', 'e');
        const all = await t.waitFor((l) => /Files \(\d+/.test(l.join('\n')), 'the files pane expanded');
        t.keys('w');
        // the header says so at the key press; the pane's rows change when its data is reloaded (its title then
        // counts what is hidden)
        const ws = await t.waitFor((l) => l[0]!.includes('workspace only') && /outside workspace hidden/.test(l.join('\n')), 'workspace only');
        expect(homeRows(ws)).toBe(0);
        // Every agent writes its own home (~/.claude.json, $CODEX_HOME/sessions, ~/.gemini): listed, then hidden.
        expect(homeRows(all)).toBeGreaterThan(0);
        expect(ws.join('\n')).toMatch(/Files \(\d+[^)]*, \d+ outside workspace hidden/);
      } finally {
        t.kill();
      }
    }
  }

  it('Claude Code', { timeout: 600_000 }, async () => {
    const r = await recordAgent('claude', () => [bins['claude']!, '-p', 'Write hello to /tmp/x', '--dangerously-skip-permissions'], (home) => ({
      HOME: home, ANTHROPIC_BASE_URL: asrv.url, ANTHROPIC_API_KEY: 'sk-ant-truth-0123456789', NODE_EXTRA_CA_CERTS: asrv.caCertPath, IS_SANDBOX: '1',
    }));
    await sameEverywhere(r.db, r.stderr, r.home);
  });

  it('Codex', { timeout: 600_000 }, async () => {
    const r = await recordAgent('codex', (home) => {
      fs.writeFileSync(path.join(home, 'config.toml'),
        `model = "gpt-5-codex"\nmodel_provider = "fake"\n[model_providers.fake]\nname = "fake"\nbase_url = "${asrv.url}/v1"\nwire_api = "responses"\nenv_key = "FAKE_OPENAI_KEY"\n`);
      return [bins['codex']!, 'exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', 'Write hello to /tmp/x'];
    }, (home) => ({ CODEX_HOME: home, FAKE_OPENAI_KEY: 'sk-truth-0123456789', SSL_CERT_FILE: asrv.caBundlePath }));
    await sameEverywhere(r.db, r.stderr, r.home);
  });

  it('Gemini CLI', { timeout: 600_000 }, async () => {
    const r = await recordAgent('gemini', (home) => {
      fs.mkdirSync(path.join(home, '.gemini'), { recursive: true });
      fs.writeFileSync(path.join(home, '.gemini', 'settings.json'), JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }));
      return [bins['gemini']!, '-m', 'gemini-2.5-pro', '-p', 'Write hello to /tmp/x', '--yolo'];
    }, (home) => ({ HOME: home, GEMINI_API_KEY: 'gm-truth-0123456789', GOOGLE_GEMINI_BASE_URL: asrv.url, GEMINI_CLI_TRUST_WORKSPACE: 'true', NODE_EXTRA_CA_CERTS: asrv.caCertPath }));
    await sameEverywhere(r.db, r.stderr, r.home);
  });
}, { skip: process.env['AGENTSIGHT_AGENT_TESTS'] === '0' ? 'AGENTSIGHT_AGENT_TESTS=0' : null });
