// The web API's paging and live resume on a generated recording (src/fixtures/generate-db.ts), in-process: every
// event is reached by following `next` exactly once in (time, kind, id) order, the counts match, filters hold, rows
// since a mark are exactly those with higher ids, and the stream resumes from Last-Event-ID.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixtureDb } from '../../src/fixtures/generate-db';
import { openRecording, type RecordingReader } from '../../src/store';
import { startWebServer, type WebServer } from '../../src/web/server';

let dir: string;
let db: string;
let store: RecordingReader;
let web: WebServer;

function get(p: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: web.port, path: p, headers: { cookie: `agentsight_token_${web.port}=${web.token}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });
}

const json = async <T>(p: string): Promise<T> => {
  const r = await get(p);
  expect(r.status, `${p}: ${r.body}`).toBe(200);
  return JSON.parse(r.body) as T;
};

interface Ev { kind: string; id: number; tsNs: number; sessionId: number | null; processId: number | null; text: string }
const RANK = ['process', 'exec', 'file', 'net', 'llm', 'tool', 'loss'];

describe('web API over a generated recording', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-web-api-'));
    db = path.join(dir, 'f.db');
    generateFixtureDb(db, { sessions: 3, events: 15000, llmCalls: 60, seed: 7 });
    store = openRecording(db);
    web = await startWebServer({ reader: store, host: '127.0.0.1', port: 0, live: false });
  });
  afterAll(async () => {
    await web?.close();
    store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pages through every event once, in order, matching the table row counts', async () => {
    const raw = new Database(db, { readonly: true });
    const tables = ['processes', 'execs', 'file_ops', 'net_conns', 'llm_calls', 'tool_calls', 'losses'];
    const rows = tables.map((t) => (raw.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n);
    raw.close();
    const all: Ev[] = [];
    let after: string | null = null;
    let counts: Record<string, number> | null = null;
    do {
      const page: { events: Ev[]; next: string | null; counts: Record<string, number> | null } = await json(`/api/v1/logs?limit=997${after ? `&after=${after}` : ''}`);
      counts ??= page.counts;
      all.push(...page.events);
      after = page.next;
    } while (after);
    expect(Object.values(counts!)).toEqual(rows);
    expect(all.length).toBe(rows.reduce((a, b) => a + b, 0));
    expect(new Set(all.map((e) => `${e.kind}:${e.id}`)).size).toBe(all.length);
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1]!;
      const b = all[i]!;
      expect(a.tsNs < b.tsNs || (a.tsNs === b.tsNs && (RANK.indexOf(a.kind) < RANK.indexOf(b.kind) || (a.kind === b.kind && a.id < b.id)))).toBe(true);
    }
  });

  it('overview figures are the store\'s: calls and tokens as the completeness verdict counts them, failures counted', async () => {
    for (const q of ['', '?session=2']) {
      const o = await json<{ kpis: { llmCalls: number; tokens: { totalTokens: number }; processes: number }; completeness: { llmCalls: number; tokens: number }; byModel: Array<{ calls: number }>; failures: unknown[]; failuresTotal: number }>(`/api/v1/overview${q}`);
      expect(o.kpis.llmCalls).toBe(o.completeness.llmCalls);
      expect(o.kpis.tokens.totalTokens).toBe(o.completeness.tokens);
      expect(o.byModel.reduce((n, m) => n + m.calls, 0)).toBe(o.kpis.llmCalls);
      expect(o.failuresTotal).toBeGreaterThanOrEqual(o.failures.length);
      const s = q ? store.session(2)! : null;
      expect(o.kpis.processes).toBe(s ? s.processes : store.info().counts.processes);
    }
  });

  it('filters by session, kind, process and text on the server', async () => {
    const s = await json<{ events: Ev[]; counts: Record<string, number> }>('/api/v1/logs?session=2&kind=file,net&limit=500');
    expect(s.events.length).toBeGreaterThan(0);
    expect(s.events.every((e) => e.sessionId === 2 && (e.kind === 'file' || e.kind === 'net'))).toBe(true);
    expect(s.counts['process']).toBe(0);
    const pid = s.events[0]!.processId!;
    const p = await json<{ events: Ev[] }>(`/api/v1/logs?process=${pid}&limit=500`);
    expect(p.events.length).toBeGreaterThan(0);
    expect(p.events.every((e) => e.processId === pid)).toBe(true);
    const word = s.events[0]!.text.split('/').pop()!;
    const t = await json<{ events: Ev[] }>(`/api/v1/logs?q=${encodeURIComponent(word.toUpperCase())}&limit=500`);
    expect(t.events.length).toBeGreaterThan(0);
    expect(t.events.every((e) => e.text.toLowerCase().includes(word.toLowerCase()))).toBe(true);
    expect((await get('/api/v1/logs?kind=bogus')).status).toBe(400);
    expect((await get('/api/v1/logs?after=nonsense')).status).toBe(400);
    expect((await get('/api/v1/overview?session=999')).status).toBe(404);
  });

  it('rows since a mark are exactly those added after it; the stream resumes from Last-Event-ID', async () => {
    const first = await json<{ mark: string }>('/api/v1/logs?limit=1');
    const now = first.mark.split('.').map(Number);
    const older = now.map((n) => Math.max(0, n - 3)).join('.');
    const since = await json<{ events: Ev[]; mark: string; truncated: boolean }>(`/api/v1/logs/since?mark=${older}`);
    expect(since.mark).toBe(first.mark);
    const expected = now.reduce((sum, n) => sum + Math.min(3, n), 0);
    expect(since.events.length).toBe(expected);
    for (const e of since.events) expect(e.id).toBeGreaterThan(now[RANK.indexOf(e.kind)]! - 3);
    expect((await json<{ events: Ev[] }>(`/api/v1/logs/since?mark=${first.mark}`)).events).toEqual([]);

    // A page that saw an older mark hears at once that there is more; one that saw the current mark hears nothing.
    const firstEvent = (lastId: string | null) =>
      new Promise<string>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: web.port, path: '/api/v1/stream', headers: { cookie: `agentsight_token_${web.port}=${web.token}`, ...(lastId ? { 'last-event-id': lastId } : {}) } }, (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
            if (body.includes('\n\n') && body.replace(/^retry: \d+\n\n/, '').length > 0) req.destroy(), resolve(body);
          });
          // A saved recording's stream says what changed once, then stays open: end the wait when it has nothing.
          setTimeout(() => (req.destroy(), resolve(body)), 1500);
        });
        req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
      });
    expect(await firstEvent(older)).toContain(`id: ${first.mark}\nevent: change`);
    expect(await firstEvent(first.mark)).not.toContain('event: change');
  });
});
