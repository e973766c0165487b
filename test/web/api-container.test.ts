// Issue 20 in the web UI: a process that ran in a container is named by its container wherever the API gives its
// command ("[NAME pid N]", N its pid inside the container), a host process by nothing. The recording is written
// through the store's writer (createRecording), as the collector writes it, and the API served in-process; the
// tree, timeline and logs pages (`report serve`, the built CLI) show it in headless Chromium.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, watchedPage } from '../helpers/browser';
import { serveRecording } from '../helpers/web-serve';
import { createRecording, openRecording, type ProcessRow, type RecordingReader } from '../../src/store';
import { startWebServer, type WebServer } from '../../src/web/server';

const T = 1_780_000_000e9;
const MS = 1e6;
const CONTAINER_ID = 'c0ffee'.repeat(10) + 'abcd';

let dir: string;
let file: string;
let store: RecordingReader;
let web: WebServer;

function get<R>(p: string): Promise<R> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: web.port, path: p, headers: { cookie: `agentsight_token_${web.port}=${web.token}` } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as R) : reject(new Error(`${p}: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
  });
}

function proc(id: number, pid: number, argv: string[], more: Partial<ProcessRow> = {}): ProcessRow {
  return {
    id, pid, ppid: 1, parentId: null, sessionId: 1, startNs: T + id * MS, kstartNs: id, uid: 0, comm: argv[0]!, exe: null, argv, argvClipped: false,
    cwd: '/', execNs: T + id * MS, exitNs: T + 900 * MS, exitCode: 0, exitSignal: null, coreDumped: false, seeded: false, peakRssKb: 1000,
    containerId: null, containerName: null, nsPid: null, ...more,
  };
}

interface Row { id: number; command: string; container: string }

describe('web API: the container of each process', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-web-container-'));
    file = path.join(dir, 'c.db');
    const w = createRecording(file);
    w.putSession({ id: 1, agent: 'claude-code', externalId: null, rootProcessId: 1, title: 'claude', startNs: T, endNs: T + 1000 * MS });
    w.putProcess(proc(1, 4100, ['claude', '-p', 'hi']));
    w.putProcess(proc(2, 4200, ['node', 'app.js'], { parentId: 1, containerId: CONTAINER_ID, containerName: 'devbox', nsPid: 7 }));
    // No name (containerd, podman through cgroups only): the id's first 12 characters name it; no namespace pid known.
    w.putProcess(proc(3, 4300, ['sh', '-c', 'true'], { parentId: 1, containerId: CONTAINER_ID, containerName: null, nsPid: null }));
    w.putFileOp({ id: 1, processId: 2, sessionId: 1, op: 'write', path: '/app/out.txt', path2: null, flags: null, result: 0, count: 1, bytes: 6, firstNs: T + 10 * MS, lastNs: T + 10 * MS, pathClipped: false });
    w.addResourceSample({ processId: 2, tsNs: T + 100 * MS, cpuPct: 5, rssKb: 2000 });
    w.putMeta('start_ns', String(T));
    w.putMeta('end_ns', String(T + 1000 * MS));
    w.finalize();
    w.close();
    store = openRecording(file);
    web = await startWebServer({ reader: store, host: '127.0.0.1', port: 0, live: false });
  });
  afterAll(async () => {
    await web?.close();
    store?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const labels = (rows: Row[]) => Object.fromEntries(rows.map((r) => [r.command, r.container]));
  const EXPECTED = { 'claude -p hi': '', 'node app.js': '[devbox pid 7]', 'sh -c true': `[${CONTAINER_ID.slice(0, 12)}]` };

  it('tree and timeline: each process row carries its container label', async () => {
    const tree = await get<{ processes: Row[] }>('/api/v1/tree');
    expect(labels(tree.processes)).toEqual(EXPECTED);
    const tl = await get<{ sessions: Array<{ processes: Row[] }> }>('/api/v1/timeline');
    expect(labels(tl.sessions[0]!.processes)).toEqual(EXPECTED);
  });

  it('logs: every event of a container process carries the label, host events none', async () => {
    const page = await get<{ events: Array<{ kind: string; processId: number | null; text: string; container: string }> }>('/api/v1/logs');
    const of = (kind: string, text: string) => page.events.find((e) => e.kind === kind && e.text === text)?.container;
    expect(of('process', 'claude -p hi')).toBe('');
    expect(of('process', 'node app.js')).toBe('[devbox pid 7]');
    expect(of('file', 'write /app/out.txt')).toBe('[devbox pid 7]');
    expect(of('process', 'sh -c true')).toBe(`[${CONTAINER_ID.slice(0, 12)}]`);
  });

  it('metrics: the sampled process is named with its container', async () => {
    const m = await get<{ processes: Row[] }>('/api/v1/metrics');
    expect(m.processes.map((p) => [p.command, p.container])).toEqual([['node app.js', '[devbox pid 7]']]);
  });

  it('the pages show the label before the command: tree, timeline, logs', async () => {
    const served = await serveRecording(file);
    const browser = await launchChromium();
    try {
      const origin = served.origin;
      const { page, errors } = await watchedPage(browser, origin);
      await page.goto(served.url);
      await page.goto(`${origin}/tree`);
      // Process rows 1 (host), 2 (devbox) and 3 (unnamed container), each its own <li id="proc-N">.
      await page.waitForSelector('#proc-2');
      expect(await page.textContent('#proc-2 > .container')).toBe('[devbox pid 7] ');
      expect(await page.textContent('#proc-3 > .container')).toBe(`[${CONTAINER_ID.slice(0, 12)}] `);
      expect(await page.locator('#proc-1 > .container').count()).toBe(0);
      expect(await page.textContent('#proc-1 > .mono')).toBe('claude -p hi');
      await screenshot(page, 'container-tree');
      await page.goto(`${origin}/timeline`);
      await page.waitForSelector('.bar.proc');
      expect(await page.locator('.bar.proc', { hasText: '[devbox pid 7] node app.js' }).count()).toBe(1);
      await page.goto(`${origin}/logs?kind=file`);
      await page.waitForSelector('.log-row');
      expect(await page.locator('.log-row').allTextContents()).toEqual([expect.stringContaining('[devbox pid 7] write /app/out.txt')]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      expect(await served.stop()).toBe(0);
    }
  });
});
