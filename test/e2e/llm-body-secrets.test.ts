/**
 * Secrets inside model traffic never reach disk (issue 14, item 3, for bodies): an agent hands its environment to the
 * tools and MCP servers it starts, and a tool result holding `env` output goes back to the model in the next request.
 * As root with real BPF and a real TLS client (node's https) against the local fake provider, the request carries the
 * agent's API key in its header and, with two other keys, inside a tool result in its body. Every file of the
 * recording and the outputs of report, report prompts and top --once are searched for each value; the call must be
 * recorded with its tool result (redacted), so the test can fail.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const rnd = (n: number) => [...randomBytes(n)].map((b) => ALNUM[b % ALNUM.length]).join('');
/** Fresh fake values (never real keys). */
const S = { apiKey: `sk-ant-api03-${rnd(80)}`, github: `ghp_${rnd(36)}`, aws: `AKIA${rnd(16).toUpperCase()}` };

/** argv: base URL, CA file. The key comes from the environment (argv is captured by design). */
const CLIENT = `
const fs = require('node:fs');
const https = require('node:https');
const [url, ca] = process.argv.slice(1);
const key = process.env.ANTHROPIC_API_KEY;
const env = 'HOME=/home/u\\nANTHROPIC_API_KEY=' + key + '\\nGITHUB_TOKEN=' + process.env.GH + '\\nAWS_ACCESS_KEY_ID=' + process.env.AWS_ID + '\\n';
const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [
  { role: 'user', content: 'show me the environment' },
  { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'env' } }] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: env }] },
] });
const req = https.request(url + '/v1/messages', { method: 'POST', ca: fs.readFileSync(ca), headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' } }, (res) => {
  let b = '';
  res.on('data', (d) => (b += d));
  res.on('end', () => console.log(res.statusCode));
});
req.end(body);
`;

let dir: string;
let srv: FakeLlmServer;

function leaks(haystacks: Record<string, string | Buffer>): string[] {
  const found: string[] = [];
  for (const [where, h] of Object.entries(haystacks)) {
    const text = Buffer.isBuffer(h) ? h.toString('latin1') : h;
    for (const [n, v] of Object.entries(S)) if (text.includes(v)) found.push(`${where}: ${n}`);
  }
  return found;
}

describeBpf('secrets inside model traffic (bodies, tool results)', [], () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-body-secrets-'));
    srv = await startFakeLlmServer({ encoding: 'identity', eventDelayMs: 0 });
  });
  afterAll(async () => {
    await srv?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the API key and keys in a tool result are redacted in every table, file and output', async () => {
    const db = path.join(dir, 'body.db');
    const env = { ...process.env, ...srv.env, ANTHROPIC_API_KEY: S.apiKey, GH: S.github, AWS_ID: S.aws };
    const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', process.execPath, '-e', CLIENT, srv.url, srv.caCertPath], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('200');

    // Recorded: the call, its request with the tool result in it, redacted.
    const d = new Database(db, { readonly: true });
    let requestJson: string;
    try {
      const calls = d.prepare('SELECT request_json FROM llm_calls').all() as Array<{ request_json: string }>;
      expect(calls).toHaveLength(1);
      requestJson = calls[0]!.request_json;
      const bodies = d.prepare('SELECT req_body FROM http_exchanges').all() as Array<{ req_body: Buffer }>;
      expect(bodies).toHaveLength(1);
      expect(bodies[0]!.req_body.toString()).toContain('GITHUB_TOKEN=[REDACTED len=40 hmac:');
    } finally {
      d.close();
    }
    expect(requestJson).toContain('ANTHROPIC_API_KEY=[REDACTED len=');
    expect(requestJson).toContain('AWS_ACCESS_KEY_ID=[REDACTED len=20 hmac:');
    // Still JSON, still the conversation.
    expect(JSON.parse(requestJson).messages[2].content[0].type).toBe('tool_result');

    const out = async (args: string[]) => {
      const o = await runAsync(process.execPath, [CLI, ...args]);
      expect(o.code, o.stderr).toBe(0);
      return o.stdout + o.stderr;
    };
    const files = Object.fromEntries(fs.readdirSync(dir).filter((f) => f.startsWith('body.db')).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
    expect(Object.keys(files)).toContain('body.db');
    expect(leaks({
      ...files,
      record: r.stdout + r.stderr,
      report: await out(['report', '--db', db]),
      reportJson: await out(['report', '--db', db, '--json']),
      prompts: await out(['report', 'prompts', '--db', db, '--json']),
      once: await out(['top', '--db', db, '--once', '--format', 'json']),
    })).toEqual([]);
  });
});
