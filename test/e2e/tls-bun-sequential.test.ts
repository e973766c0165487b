// Bun's stripped BoringSSL has no SSL_free to probe, and its allocator hands a freed SSL*'s address to a later
// connection (before SSL_do_handshake was probed: 29 streams for 30 connections, about 1 run in 30 elsewhere). A
// handshake step on an SSL* that already carried data ends its stream (EV_TLS_HANDSHAKE). Bun makes 30 model calls
// one after another, keep-alive off, against the fake provider: 30 streams, each byte-for-byte the plaintext the server
// received and sent on one connection, every connection found once.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';
import { bunVersions } from '../helpers/agents';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';

const N = 30;
let srv: FakeLlmServer;
let dir: string;

function sha(b: Uint8Array): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/** Per stream of the recording: sha256 of each direction's plaintext; and the losses counted. */
function recorded(db: string): { streams: Array<{ ptr: string; out: string; in: string; outLen: number }>; losses: Array<{ source: string; n: number }> } {
  const d = new Database(db, { readonly: true });
  try {
    const streams = (d.prepare('SELECT id, conn_ptr FROM tls_conns ORDER BY id').all() as Array<{ id: number; conn_ptr: string }>).map((c) => {
      const chunks = d.prepare('SELECT dir, data FROM tls_chunks WHERE conn_id = ? ORDER BY dir, seq').all(c.id) as Array<{ dir: number; data: Buffer }>;
      const out = Buffer.concat(chunks.filter((x) => x.dir === 0).map((x) => x.data));
      return { ptr: c.conn_ptr, out: sha(out), in: sha(Buffer.concat(chunks.filter((x) => x.dir === 1).map((x) => x.data))), outLen: out.length };
    });
    const losses = d.prepare("SELECT source, SUM(count) AS n FROM losses WHERE source NOT IN ('argv:clipped', 'path:clipped') GROUP BY source").all() as Array<{ source: string; n: number }>;
    return { streams, losses };
  } finally {
    d.close();
  }
}

describeBpf('bun: 30 sequential HTTPS connections (SSL* addresses reused, no SSL_free)', [], () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-bun-seq-'));
    srv = await startFakeLlmServer({ encoding: 'identity', alpn: ['http/1.1'] });
  });
  afterAll(async () => {
    await srv?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // The oldest and newest Bun minors tested by discovery (bun-versions.test.ts): their BoringSSLs are years apart.
  for (const minor of ['1.1', '1.4']) {
    it(`bun ${minor}: ${N} streams, each one connection's request and response (sha256 both directions)`, async () => {
      const versions = bunVersions();
      const version = Object.keys(versions).find((v) => v.startsWith(`${minor}.`));
      expect(version, `a ${minor}.x release installed`).toBeTruthy();
      const client = path.join(dir, `seq-${version}.mjs`);
      // no x-api-key: the secret scrubber would mask it in the stored chunks, and this compares every byte
      fs.writeFileSync(
        client,
        `for (let n = 0; n < ${N}; n++) {
  const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'call ' + n + ' ' + 'x'.repeat(100 + n) }] });
  const r = await fetch('${srv.url}/v1/messages', { method: 'POST', body, keepalive: false, tls: { rejectUnauthorized: false },
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' } });
  if (r.status !== 200) throw new Error('status ' + r.status);
  await r.arrayBuffer();
}
console.log('done');
`,
      );
      const db = path.join(dir, `seq-${version}.db`);
      const before = srv.connections.length;
      const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', versions[version!], client], {
        env: { ...process.env, AGENTSIGHT_TLS_CACHE_DIR: fs.mkdtempSync(path.join(dir, 'tls-cache-')) },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('done');
      expect(r.stderr).toMatch(/TLS of .*: boringssl/);

      const conns = srv.connections.slice(before);
      expect(conns, 'keep-alive off: one connection per call').toHaveLength(N);
      const server = conns.map((c) => ({
        out: sha(Buffer.concat(c.chunks.filter((x) => x.dir === 0).map((x) => x.data))),
        in: sha(Buffer.concat(c.chunks.filter((x) => x.dir === 1).map((x) => x.data))),
      }));
      const got = recorded(db);
      expect(got.losses).toEqual([]);
      const withData = got.streams.filter((s) => s.outLen > 0);
      expect(withData).toHaveLength(N);
      // what makes this a test of connection ends: SSL* addresses were handed on (15 addresses for 30 here)
      expect(new Set(withData.map((s) => s.ptr)).size).toBeLessThan(N);
      // each stream is exactly one server connection, both directions, and every connection is some stream
      expect(withData.map((s) => `${s.out}/${s.in}`).sort()).toEqual(server.map((s) => `${s.out}/${s.in}`).sort());
    }, 600_000);
  }
});
