// Issue 16's security acceptance: the web UI answers only requests that carry its token (every page and API route),
// only under the address it is bound to (a DNS-rebinding Host is refused), sends no CORS headers, and listens on
// 127.0.0.1 only by default. Real server (the CLI's `report serve`), real HTTP client (node's http).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixtureDb } from '../../src/fixtures/generate-db';
import { serveRecording, type Served } from '../helpers/web-serve';

const ROUTES = ['/', '/timeline', '/tree', '/logs', '/metrics', '/app.js', '/app.css', '/api/v1/info', '/api/v1/overview', '/api/v1/timeline', '/api/v1/tree', '/api/v1/logs', '/api/v1/logs/since?mark=0.0.0.0.0.0.0', '/api/v1/llm-call?id=1', '/api/v1/metrics', '/api/v1/stream', '/no-such-page'];

let dir: string;
let s: Served;

function get(port: number, p: string, headers: Record<string, string> = {}, host = '127.0.0.1'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: p, headers }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
        // The event stream never ends: its first bytes are enough.
        if (res.headers['content-type']?.startsWith('text/event-stream')) res.destroy();
      });
      const done = () => resolve({ status: res.statusCode!, headers: res.headers, body });
      res.on('end', done);
      res.on('close', done);
    });
    req.on('error', reject);
  });
}

describe('web UI security', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-web-sec-'));
    const db = path.join(dir, 'fixture.db');
    generateFixtureDb(db, { sessions: 2, events: 3000, llmCalls: 20, seed: 3 });
    s = await serveRecording(db);
  });
  afterAll(async () => {
    expect(await s?.stop()).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers every route with the token, and none without it (401)', async () => {
    for (const r of ROUTES) {
      const sep = r.includes('?') ? '&' : '?';
      const ok = await get(s.port, `${r}${sep}token=${s.token}`);
      expect(ok.status, r).toBe(r === '/no-such-page' ? 404 : 200);
      const none = await get(s.port, r);
      expect(none.status, r).toBe(401);
      expect(none.body).not.toContain('"sessions"');
      const wrong = await get(s.port, `${r}${sep}token=${s.token.slice(0, -1)}x`);
      expect(wrong.status, r).toBe(401);
      const wrongCookie = await get(s.port, r, { cookie: `agentsight_token_${s.port}=${s.token}x` });
      expect(wrongCookie.status, r).toBe(401);
    }
  });

  it('sets the token as an HttpOnly SameSite=Strict cookie that then works on its own', async () => {
    const first = await get(s.port, `/?token=${s.token}`);
    const cookie = String(first.headers['set-cookie']);
    // Named for this port: another agentsight server on 127.0.0.1 (browsers share cookies across ports) keeps its own.
    expect(cookie.startsWith(`agentsight_token_${s.port}=`)).toBe(true);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const api = await get(s.port, '/api/v1/info', { cookie: cookie.split(';')[0]! });
    expect(api.status).toBe(200);
    expect(JSON.parse(api.body).sessions).toHaveLength(2);
  });

  it('refuses a Host header that does not name the bound address (DNS rebinding), even with the token', async () => {
    for (const host of ['evil.example', `evil.example:${s.port}`, '127.0.0.1', `127.0.0.1:${s.port + 1}`, `localhost.evil.example:${s.port}`]) {
      const r = await get(s.port, `/api/v1/info?token=${s.token}`, { host });
      expect(r.status, host).toBeGreaterThanOrEqual(400);
      expect(r.status, host).toBeLessThan(500);
      expect(r.body).not.toContain('"sessions"');
    }
    expect((await get(s.port, `/api/v1/info?token=${s.token}`, { host: `localhost:${s.port}` })).status).toBe(200);
  });

  it('sends no CORS headers, even to a request that asks for them', async () => {
    const r = await get(s.port, `/api/v1/info?token=${s.token}`, { origin: 'http://evil.example' });
    expect(r.status).toBe(200);
    expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('listens on 127.0.0.1 only by default', async () => {
    expect(s.url.startsWith(`http://127.0.0.1:${s.port}/`)).toBe(true);
    // Another local address of this machine (a non-loopback interface) does not connect.
    const other = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (other) await expect(get(s.port, '/', {}, other.address)).rejects.toThrow(/ECONNREFUSED/);
    // Nor does IPv6 loopback: the socket is bound to 127.0.0.1, not to every address.
    await expect(get(s.port, '/', {}, '::1')).rejects.toThrow(/ECONNREFUSED|EADDRNOTAVAIL/);
    // The kernel's table of listening sockets agrees: this port is bound to 127.0.0.1 and nothing else.
    const hexPort = s.port.toString(16).toUpperCase().padStart(4, '0');
    const lines = ['/proc/net/tcp', '/proc/net/tcp6']
      .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').slice(1))
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c[1]?.endsWith(`:${hexPort}`) && c[3] === '0A');
    expect(lines.map((c) => c[1])).toEqual([`0100007F:${hexPort}`]);
  });
});
