// The first recorded run of an agent build agentsight has not analysed yet: with an empty TLS discovery cache, every
// model call the fake provider answered must be in `report prompts --json` with its exact tokens — Claude Code (the
// command itself, probed before it starts), Codex through its npm wrapper (node spawns the native binary: first seen
// at its exec, held until its probes are in) and Gemini CLI (node). AGENTSIGHT_FIRST_RUNS runs of each (default 5),
// quiet and with one core kept busy by a spinning process. AGENTSIGHT_AGENT_TESTS=0 skips (as real-agents.test.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';
import { agentLaunch } from '../helpers/agent-launch';
import { agentBinaries } from '../helpers/agents';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';

const skipAgents = process.env['AGENTSIGHT_AGENT_TESTS'] === '0';
const RUNS = Number(process.env['AGENTSIGHT_FIRST_RUNS'] ?? 5);

let srv: FakeLlmServer;
let dir: string;
let bins: Record<string, string>;

const AGENTS = ['claude', 'codex', 'gemini'] as const;

/** One record run with an empty discovery cache; returns answered (server) and captured (report) token pairs. */
async function firstRun(name: (typeof AGENTS)[number], busy: boolean) {
  const home = fs.mkdtempSync(path.join(dir, `${name}-home-`));
  const work = fs.mkdtempSync(path.join(dir, `${name}-work-`));
  const cache = fs.mkdtempSync(path.join(dir, `${name}-tls-cache-`));
  const db = path.join(dir, `${name}-${crypto.randomBytes(4).toString('hex')}.db`);
  const secret = 'sk-e2e-' + crypto.randomBytes(12).toString('hex');
  // Codex through its npm wrapper, as a user runs it: node spawns the native binary
  const agent = agentLaunch(name, bins, srv, home, secret, { codexEntry: 'npm' });
  const before = srv.requests.length;
  let spinner: ChildProcess | null = null;
  if (busy) spinner = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  try {
    const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', ...agent.argv], {
      cwd: work,
      env: { ...process.env, ...agent.env, AGENTSIGHT_TLS_CACHE_DIR: cache },
    }, 600_000);
    expect(r.code, `${name}: ${r.stderr}${r.stdout}`).toBe(0);
    expect(fs.readdirSync(cache).length, 'discovery started from an empty cache and filled it').toBeGreaterThan(0);
    const answered = srv.requests
      .slice(before)
      .filter((q) => q.api !== null && q.api !== 'count_tokens' && q.status === 200 && q.reply !== null && q.reply.kind !== 'error')
      .map((q) => expectedTokens(q.api as string, (q.reply as { usage: Usage }).usage));
    const rep = await runAsync(process.execPath, [CLI, 'report', 'prompts', '--json', '--db', db], {}, 120_000);
    expect(rep.code, rep.stderr).toBe(0);
    const calls = (JSON.parse(rep.stdout) as { calls: Array<{ usage: ReportedUsage }> }).calls;
    const captured = calls.map((c) => tokens(c.usage));
    const hold = JSON.parse(
      (await runAsync('sqlite3', [db, "SELECT value FROM meta WHERE key = 'exec_hold'"], {}, 30_000)).stdout.trim() || 'null',
    ) as { held: number; maxMs: number } | null;
    return { answered, captured, hold, stderr: r.stderr };
  } finally {
    spinner?.kill('SIGKILL');
  }
}

interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

interface ReportedUsage {
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
}

function tokens(u: ReportedUsage): string {
  return `in ${u.inputTokens} out ${u.outputTokens} cache-read ${u.cacheReadTokens ?? 0} cache-write ${u.cacheWriteTokens ?? 0}`;
}

/**
 * What the report must say for what the server sent, in the views' kinds (docs/figures.md): input = uncached prompt
 * tokens (Anthropic reports them so; OpenAI and Gemini count the cache reads inside input: taken out), output every
 * billed output token (Gemini reports thoughts apart: added).
 */
function expectedTokens(api: string, u: Usage): string {
  const input = api === 'anthropic' ? u.input : u.input - u.cacheRead;
  const output = api === 'gemini' ? u.output + u.reasoning : u.output;
  return tokens({ inputTokens: input, outputTokens: output, cacheReadTokens: u.cacheRead, cacheWriteTokens: api === 'anthropic' ? u.cacheWrite : 0 });
}

describeBpf('real agents, first run of an unseen build (empty discovery cache)', [], () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-first-'));
    bins = agentBinaries();
    srv = await startFakeLlmServer();
  }, 900_000);
  afterAll(async () => {
    await srv?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const name of AGENTS) {
    for (const busy of [false, true]) {
      it(`${name}: every answered model call captured with its tokens, ${RUNS} runs${busy ? ', one core busy' : ''}`, { timeout: 1_800_000 }, async () => {
        const report: string[] = [];
        for (let i = 0; i < RUNS; i++) {
          const r = await firstRun(name, busy);
          report.push(`run ${i + 1}: answered ${r.answered.length}, captured ${r.captured.length}, held ${r.hold?.held ?? 0} (max ${r.hold?.maxMs ?? 0} ms)`);
          expect(r.answered.length, report.join('\n')).toBeGreaterThanOrEqual(2);
          // every answered call, with its exact tokens (as multisets: the agent may send several at once)
          expect([...r.captured].sort(), report.join('\n')).toEqual([...r.answered].sort());
        }
        console.log(`${name}${busy ? ' (busy)' : ''}:\n${report.join('\n')}`);
      });
    }
  }
}, { skip: skipAgents ? 'AGENTSIGHT_AGENT_TESTS=0' : null });
