// Go crypto/tls over HTTP/2 (ALPN h2) against the fake provider: a static Go net/http client, with symbols and
// stripped (-s -w), makes an Anthropic Messages call of ~1 MiB. Every plaintext byte the server received and sent on
// that connection is what agentsight captured from the client's (*tls.Conn).Write/Read, and the call is in
// `report prompts --json` with its exact tokens.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { buildGoClient, hasGo } from '../helpers/go-client';

let srv: FakeLlmServer;
let dir: string;

function sha(b: Uint8Array): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/** The captured plaintext of each TLS stream of a recording, per direction. */
function streams(db: string): Array<{ out: Buffer; in: Buffer; lost: number }> {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT id, lost_bytes FROM tls_conns ORDER BY id').all() as Array<{ id: number; lost_bytes: number }>).map((c) => {
      const chunks = d.prepare('SELECT dir, data FROM tls_chunks WHERE conn_id = ? ORDER BY dir, seq').all(c.id) as Array<{ dir: number; data: Buffer }>;
      return {
        out: Buffer.concat(chunks.filter((x) => x.dir === 0).map((x) => x.data)),
        in: Buffer.concat(chunks.filter((x) => x.dir === 1).map((x) => x.data)),
        lost: c.lost_bytes,
      };
    });
  } finally {
    d.close();
  }
}

describeBpf('Go crypto/tls, HTTP/2, a model call', [], () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-go-'));
    srv = await startFakeLlmServer({ encoding: 'identity' });
  });
  afterAll(async () => {
    await srv?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const stripped of [false, true]) {
    it(`Anthropic call of 1 MiB over h2${stripped ? ', stripped binary' : ''}: captured bytes = server's bytes, exact tokens`, async () => {
      const bin = buildGoClient(dir, stripped);
      const prompt = crypto.randomBytes(384 << 10).toString('base64'); // 512 KiB of text …
      const body = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: prompt + prompt }] }));
      expect(body.length).toBeGreaterThan(1 << 20);
      const bodyFile = path.join(dir, 'req.json');
      fs.writeFileSync(bodyFile, body);
      const db = path.join(dir, `go-h2${stripped ? '-s' : ''}.db`);
      const before = srv.connections.length;
      const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', bin, `${srv.url}/v1/messages`, bodyFile], {
        // no x-api-key: the secret scrubber would mask it in the stored chunks, and this compares every byte
        env: { ...process.env, H2: '1', HDRS: 'content-type: application/json\nanthropic-version: 2023-06-01' },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^HTTP\/2\.0 200 [0-9a-f]{64}\n$/);
      expect(r.stderr).toMatch(/TLS of .*go-client.*: go/);

      // the connection as the server saw it (its TLS plaintext) vs as agentsight captured it in the client
      const conns = srv.connections.slice(before);
      expect(conns.map((c) => c.alpn)).toEqual(['h2']);
      const sent = Buffer.concat(conns[0].chunks.filter((c) => c.dir === 0).map((c) => c.data));
      const answered = Buffer.concat(conns[0].chunks.filter((c) => c.dir === 1).map((c) => c.data));
      expect(sent.length).toBeGreaterThan(1 << 20);
      const got = streams(db).filter((s) => s.out.length > 0);
      expect(got).toHaveLength(1);
      expect(got[0].lost).toBe(0);
      expect(got[0].out.length).toBe(sent.length);
      expect(sha(got[0].out)).toBe(sha(sent));
      expect(got[0].in.length).toBe(answered.length);
      expect(sha(got[0].in)).toBe(sha(answered));

      // the model call, with the tokens the server reported (Anthropic: input includes cache writes)
      const q = srv.requests.filter((x) => x.connId === conns[0].id && x.api === 'anthropic');
      expect(q).toHaveLength(1);
      const u = (q[0].reply as { usage: { input: number; output: number; cacheRead: number; cacheWrite: number } }).usage;
      expect(u.input).toBe(Math.ceil(body.length / 4));
      const rep = await runAsync(process.execPath, [CLI, 'report', 'prompts', '--json', '--db', db], {}, 120_000);
      expect(rep.code, rep.stderr).toBe(0);
      const calls = (JSON.parse(rep.stdout) as { calls: Array<{ usage: { inputTokens: number; outputTokens: number; cacheReadTokens: number | null; cacheWriteTokens: number | null; totalTokens: number } }> }).calls;
      expect(calls).toHaveLength(1);
      // the views' kinds (docs/figures.md): input = uncached prompt tokens, as Anthropic's own input_tokens counts them
      expect(calls[0].usage.inputTokens).toBe(u.input);
      expect(calls[0].usage.cacheReadTokens ?? 0).toBe(u.cacheRead);
      expect(calls[0].usage.cacheWriteTokens ?? 0).toBe(u.cacheWrite);
      expect(calls[0].usage.outputTokens).toBe(u.output);
      expect(calls[0].usage.totalTokens).toBe(u.input + u.cacheRead + u.cacheWrite + u.output);
    }, 300_000);
  }
}, { skip: hasGo() ? null : 'no Go toolchain (make setup installs golang-go)' });
