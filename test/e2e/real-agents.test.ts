// The product's centre: real agents from npm (Claude Code = Bun/BoringSSL, Codex = Rust/rustls/aws-lc over HTTP/2,
// Gemini CLI = Node/OpenSSL), pointed at the local fake provider, recorded end to end. TLS discovery must find each
// agent's TLS functions on its own; the captured requests must equal what the server received, byte for byte; the
// tool call, its result, the process the tool ran and the link between them must be in the recording; no API key
// may reach the file. Set AGENTSIGHT_AGENT_TESTS=0 to skip (they install ~300 MB of agents from npm once).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';
import { agentLaunch } from '../helpers/agent-launch';
import { agentBinaries } from '../helpers/agents';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';

const skipAgents = process.env['AGENTSIGHT_AGENT_TESTS'] === '0';

let srv: FakeLlmServer;
let dir: string;
let bins: Record<string, string>;

function sha(b: Uint8Array): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

interface Row {
  [k: string]: unknown;
}

function q(db: string, sql: string, ...params: unknown[]): Row[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all(...params) as Row[];
  } finally {
    d.close();
  }
}

async function recordAgent(name: string, argv: string[], env: NodeJS.ProcessEnv) {
  const work = fs.mkdtempSync(path.join(dir, `${name}-`));
  const db = path.join(dir, `${name}.db`);
  const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', ...argv], { cwd: work, env: { ...process.env, ...env } }, 600_000);
  return { db, ...r };
}

/** What every agent recording must hold. */
function expectAgentRecording(db: string, secret: string, opts: { agent: string; provider: string; tool: RegExp; stack: string }) {
  const raw = fs.readFileSync(db);
  expect(raw.includes(Buffer.from(secret)), 'API key must not reach the recording').toBe(false);

  const sessions = q(db, 'SELECT * FROM sessions');
  expect(sessions[0]['agent']).toBe(opts.agent);
  const targets = q(db, "SELECT stack FROM tls_targets WHERE status = 'attached'").map((r) => r['stack']);
  expect(targets).toContain(opts.stack);

  const calls = q(db, 'SELECT * FROM llm_calls WHERE provider = ? ORDER BY start_ns', opts.provider);
  const modelCalls = calls.filter((c) => (c['request_json'] as string | null)?.includes('hello'));
  expect(modelCalls.length).toBeGreaterThanOrEqual(2);
  for (const c of modelCalls) {
    expect(c['incomplete']).toBe(0);
    expect(c['http_status']).toBe(200);
    expect(c['input_tokens']).toBeGreaterThan(0);
    expect(c['output_tokens']).toBeGreaterThan(0);
  }

  // Byte-exact: every request body the server received was captured with the same sha256.
  const captured = new Set(q(db, 'SELECT req_body FROM http_exchanges WHERE req_body IS NOT NULL').map((r) => sha(r['req_body'] as Buffer)));
  const modelRequests = srv.requests.filter((r) => r.api !== null && r.api !== 'count_tokens' && r.body.includes('hello'));
  expect(modelRequests.length).toBeGreaterThanOrEqual(2);
  const mine = modelRequests.filter((r) => captured.has(sha(r.body)));
  expect(mine.length).toBe(modelCalls.length);

  // Every TLS connection the agent opened was decrypted (none named as a tls:* loss by the completeness check).
  expect(q(db, "SELECT source, detail FROM losses WHERE source IN ('tls:not-probed', 'tls:before-attach', 'tls:unknown-stack')")).toEqual([]);

  const tools = q(db, 'SELECT * FROM tool_calls');
  const tool = tools.find((t) => opts.tool.test(String(t['name'])))!;
  expect(tool, JSON.stringify(tools)).toBeDefined();
  expect(String(tool['input_json'])).toContain('echo hello > /tmp/x');
  expect(tool['result_llm_call_id']).not.toBeNull();

  // The tool's process ran under the agent, and is linked to the tool call.
  const shells = q(db, "SELECT * FROM processes WHERE argv LIKE '%echo hello > /tmp/x%'");
  expect(shells.length).toBeGreaterThanOrEqual(1);
  const links = q(db, "SELECT * FROM causal_links WHERE tool_call_id = ? AND target_kind = 'process'", tool['id']);
  expect(links.map((l) => l['target_id'])).toEqual(expect.arrayContaining([shells[0]['id']]));
}

describeBpf('real agents under record', [], () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-agents-'));
    bins = agentBinaries();
    srv = await startFakeLlmServer();
  }, 900_000);
  afterAll(async () => {
    await srv?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Claude Code (Bun single-file binary, BoringSSL found by discovery)', { timeout: 300_000 }, async () => {
    const secret = 'sk-ant-e2e-' + crypto.randomBytes(12).toString('hex');
    const home = fs.mkdtempSync(path.join(dir, 'home-'));
    const a = agentLaunch('claude', bins, srv, home, secret);
    const r = await recordAgent('claude', a.argv, a.env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/TLS of .*claude.*: boringssl/);
    expectAgentRecording(r.db, secret, { agent: 'claude-code', provider: 'anthropic', tool: /^Bash$/, stack: 'boringssl' });
  });

  it('Codex (static Rust, rustls + aws-lc AEAD, HTTP/2)', { timeout: 300_000 }, async () => {
    const secret = 'sk-openai-e2e-' + crypto.randomBytes(12).toString('hex');
    const home = fs.mkdtempSync(path.join(dir, 'codex-home-'));
    const a = agentLaunch('codex', bins, srv, home, secret);
    const r = await recordAgent('codex', a.argv, a.env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/TLS of .*codex.*: rustls-aws-lc/);
    expectAgentRecording(r.db, secret, { agent: 'codex', provider: 'openai-responses', tool: /exec_command|shell/, stack: 'rustls-aws-lc' });
    expect(q(r.db, "SELECT DISTINCT protocol FROM tls_conns WHERE stack = 'rustls-aws-lc'").map((x) => x['protocol'])).toEqual(['h2']);
  });

  it('Gemini CLI (node, OpenSSL in the node binary)', { timeout: 300_000 }, async () => {
    const secret = 'gm-e2e-' + crypto.randomBytes(12).toString('hex');
    const home = fs.mkdtempSync(path.join(dir, 'gemini-home-'));
    const a = agentLaunch('gemini', bins, srv, home, secret);
    const r = await recordAgent('gemini', a.argv, a.env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expectAgentRecording(r.db, secret, { agent: 'gemini-cli', provider: 'gemini', tool: /run_shell_command/, stack: 'openssl' });
  });
}, { skip: skipAgents ? 'AGENTSIGHT_AGENT_TESTS=0' : null });
