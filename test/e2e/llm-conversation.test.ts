// Issue 5 end to end: a node client and a bun client hold a scripted two-turn tool-use conversation with the fake
// provider under `record`. The recording has both calls with the exact token counts the server sent, the tool call,
// its result, the process the tool ran and the link between them — and not the API key, anywhere in the file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';
import { agentBinaries } from '../helpers/agents';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';

let srv: FakeLlmServer;
let dir: string;

function rows(db: string, sql: string, ...p: unknown[]): Array<Record<string, unknown>> {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all(...p) as Array<Record<string, unknown>>;
  } finally {
    d.close();
  }
}

async function conversation(runtime: string[], name: string) {
  const secret = `sk-ant-two-turn-${crypto.randomBytes(10).toString('hex')}`;
  const db = path.join(dir, `${name}.db`);
  const before = srv.requests.length;
  const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', ...runtime, path.join(__dirname, 'two-turn-client.mjs')], {
    env: { ...process.env, LLM_BASE_URL: srv.url, LLM_API_KEY: secret, NODE_EXTRA_CA_CERTS: srv.caCertPath },
  });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('wrote hello');
  const served = srv.requests.slice(before).filter((q) => q.api === 'anthropic');
  expect(served).toHaveLength(2);

  const calls = rows(db, "SELECT * FROM llm_calls WHERE provider = 'anthropic' ORDER BY start_ns");
  expect(calls).toHaveLength(2);
  calls.forEach((c, i) => {
    const u = served[i]!.reply!.usage;
    expect(c['input_tokens']).toBe(u.input + u.cacheRead + u.cacheWrite);
    expect(c['cache_read_tokens']).toBe(u.cacheRead);
    expect(c['cache_write_tokens']).toBe(u.cacheWrite);
    expect(c['output_tokens']).toBe(u.output + u.reasoning);
    expect(c['incomplete']).toBe(0);
    expect(c['request_model']).toBe('claude-sonnet-4-5');
  });
  expect(calls[0]!['streaming']).toBe(1);
  expect(calls[0]!['stop_reason']).toBe('tool_use');

  const tools = rows(db, 'SELECT * FROM tool_calls');
  expect(tools).toHaveLength(1);
  const tool = tools[0]!;
  expect(tool['name']).toBe('Bash');
  expect(JSON.parse(String(tool['input_json']))).toEqual({ command: 'echo hello > /tmp/x' });
  expect(tool['llm_call_id']).toBe(calls[0]!['id']);
  expect(tool['result_llm_call_id']).toBe(calls[1]!['id']);

  const sh = rows(db, "SELECT * FROM processes WHERE argv LIKE '%echo hello > /tmp/x%'");
  expect(sh).toHaveLength(1);
  const links = rows(db, 'SELECT * FROM causal_links WHERE tool_call_id = ?', tool['id']);
  const procLink = links.find((l) => l['target_kind'] === 'process' && l['target_id'] === sh[0]!['id']);
  expect(procLink, JSON.stringify(links)).toBeDefined();
  expect(procLink!['confidence']).toBeGreaterThanOrEqual(0.9);
  const fileLinks = links.filter((l) => l['target_kind'] === 'file_op');
  const files = rows(db, `SELECT path FROM file_ops WHERE id IN (${fileLinks.map((l) => Number(l['target_id'])).join(',') || 0})`);
  expect(files.map((f) => f['path'])).toContain('/tmp/x');

  expect(fs.readFileSync(db).includes(Buffer.from(secret))).toBe(false);
}

describeBpf('two-turn tool-use conversation under record', [], () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-conv-'));
    srv = await startFakeLlmServer();
  });
  afterAll(async () => {
    await srv?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('node (fetch over the OpenSSL in node)', async () => {
    await conversation(['node'], 'node');
  });

  it('bun (fetch over BoringSSL)', async () => {
    await conversation([agentBinaries()['bun']!], 'bun');
  });
});
