// Issue 16's acceptance in a real browser: `record` a real TLS client (node's fetch over OpenSSL) holding a two-turn
// tool-use conversation with the fake provider, serve the recording with `report serve`, and drive every route in
// headless Chromium: the model, the tool's command and the file it wrote are on each; timeline → tree → logs works
// by clicking; a screenshot of each route lands in .cache/web-screenshots/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { launchChromium, screenshot, waitForQuery, watchedPage } from '../helpers/browser';
import { serveRecording, type Served } from '../helpers/web-serve';

const MODEL = 'claude-sonnet-4-5';
const COMMAND = 'echo hello > /tmp/x';
const FILE = '/tmp/x';

let srv: FakeLlmServer;
let dir: string;
let served: Served;
let browser: Browser;
let page: Page;
let errors: string[];
let foreign: string[];

async function open(route: string): Promise<string> {
  await page.goto(new URL(route, served.origin).href);
  await page.waitForSelector('main > *:not(:empty)');
  await page.waitForFunction(() => !document.querySelector('main')!.textContent!.startsWith('loading'));
  return (await page.textContent('main'))!;
}

describeBpf('web UI on a recording of a real tool-use conversation', [], () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-web-ui-'));
    srv = await startFakeLlmServer();
    const db = path.join(dir, 'run.db');
    const r = await runAsync(process.execPath, [CLI, 'record', '--no-web', '--db', db, '--', 'node', path.join(__dirname, '..', 'e2e', 'two-turn-client.mjs')], {
      env: { ...process.env, LLM_BASE_URL: srv.url, LLM_API_KEY: 'sk-ant-web-ui-test-key', NODE_EXTRA_CA_CERTS: srv.caCertPath },
    });
    expect(r.code, r.stderr).toBe(0);
    served = await serveRecording(db);
    browser = await launchChromium();
    ({ page, errors, foreign } = await watchedPage(browser, served.origin));
    // The printed URL: the token becomes a cookie, and the links between views work without it.
    await page.goto(served.url);
  });
  afterAll(async () => {
    await browser?.close();
    expect(await served?.stop()).toBe(0);
    await srv?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('overview: the model with its cost and tokens, the command, the file written, completeness', async () => {
    const text = await open('/');
    expect(await page.textContent('#by-model')).toContain(MODEL);
    expect(await page.textContent('#top-commands')).toContain(COMMAND);
    expect(await page.textContent('#top-files')).toContain(FILE);
    expect(await page.textContent('#completeness')).toMatch(/^(complete|INCOMPLETE): \d+ of \d+ TLS connections? decrypted; 2 LLM calls/);
    expect(text).toContain('LLM calls');
    expect(await page.locator('.chart canvas').count()).toBeGreaterThan(0);
    await screenshot(page, 'overview');
  });

  it('timeline: model calls, the tool call with its command, its process and the file change as bars', async () => {
    await open('/timeline');
    expect(await page.locator('.bar.llm').count()).toBe(2);
    expect(await page.locator('.bar.llm').first().getAttribute('title')).toContain(MODEL);
    expect(await page.locator('.bar.tool').first().getAttribute('title')).toContain(COMMAND);
    expect(await page.locator('.bar.proc', { hasText: COMMAND }).count()).toBeGreaterThan(0);
    expect(await page.locator('.bar.file', { hasText: FILE }).count()).toBeGreaterThan(0);
    // Zoom: the axis spans less time after zooming in, and the whole recording again after reset.
    const ticks = async () => (await page.locator('.axis .tick').allTextContents()).join(' ');
    const before = await ticks();
    await page.click('text=zoom in');
    await page.waitForFunction((b) => [...document.querySelectorAll('.axis .tick')].map((t) => t.textContent).join(' ') !== b, before);
    await page.click('text=whole recording');
    await page.waitForFunction((b) => [...document.querySelectorAll('.axis .tick')].map((t) => t.textContent).join(' ') === b, before);
    await screenshot(page, 'timeline');
  });

  it('click through: timeline tool call → its process in the tree → its file in the logs', async () => {
    await open('/timeline');
    await page.locator('.bar.tool').first().click();
    await page.waitForURL(/\/tree\?.*tool=\d+/);
    await page.waitForSelector('.tool.selected');
    const tool = await page.textContent('.tool.selected');
    expect(tool).toContain('Bash');
    expect(tool).toContain(COMMAND);
    expect(tool).toContain(FILE);
    // The process the tool call caused is highlighted in the process tree.
    expect(await page.locator('.proc-tree li.selected', { hasText: COMMAND }).count()).toBeGreaterThan(0);
    const calls = await page.textContent('.calls');
    expect(calls).toContain(MODEL);
    expect(calls).toContain('Write hello to /tmp/x');
    // The second call: the tools it offered, and what is new in its request since the first (the tool result).
    await page.locator('#llm-' + (await page.locator('.call').nth(1).getAttribute('id'))!.slice(4) + ' button').click();
    await page.waitForSelector('.call-details');
    const details = await page.textContent('.call-details');
    expect(details).toContain('tools offered (1): Bash');
    expect(details).toMatch(/diff to the previous prompt \(call #\d+\): 2 of 3 messages new/);
    expect(details).toContain('tool_result');
    await screenshot(page, 'tree');

    await page.locator('.tool.selected a.tool-logs').click();
    await page.waitForURL(/\/logs\?.*tool=\d+/);
    await page.waitForSelector('.log-row');
    const rows = await page.locator('.log-row').allTextContents();
    expect(rows.some((r) => r.includes('tool') && r.includes(COMMAND))).toBe(true);
    expect(rows.some((r) => r.includes('file') && r.includes(FILE))).toBe(true);
    expect(rows.some((r) => r.includes('process') && r.includes(COMMAND))).toBe(true);
    // Nothing else: the filter is the tool call's effects, not the session.
    expect(rows.every((r) => /process|exec|file|net|tool/.test(r))).toBe(true);
  });

  it('logs: every kind, filtered by text on the server; the model call is there', async () => {
    await open('/logs');
    await page.waitForSelector('.log-row');
    const all = await page.locator('.log-row').allTextContents();
    expect(all.some((r) => r.includes('llm') && r.includes(MODEL))).toBe(true);
    expect(all.some((r) => r.includes('tool') && r.includes(COMMAND))).toBe(true);
    await page.fill('#text-filter', FILE);
    await page.press('#text-filter', 'Enter');
    await waitForQuery(page, /q=%2Ftmp%2Fx/);
    await page.waitForFunction(() => [...document.querySelectorAll('.log-row')].length > 0 && [...document.querySelectorAll('.log-row')].every((r) => r.textContent!.includes('/tmp/x')));
    const filtered = await page.locator('.log-row').allTextContents();
    expect(filtered.some((r) => r.includes('file') && r.includes(FILE))).toBe(true);
    await page.selectOption('#kind-filter', 'llm');
    await waitForQuery(page, /kind=llm/);
    await page.fill('#text-filter', '');
    await page.press('#text-filter', 'Enter');
    await page.waitForFunction(() => [...document.querySelectorAll('.log-row')].length === 2);
    expect((await page.locator('.log-row').allTextContents()).every((r) => r.includes(MODEL))).toBe(true);
    await screenshot(page, 'logs');
  });

  it('metrics: the sampled processes, each named by its command, linked to its logs', async () => {
    const text = await open('/metrics');
    expect(text).toMatch(/\d+ process(es)? sampled/);
    const api = (await (await page.request.get(new URL('/api/v1/metrics', served.origin).href)).json()) as { processes: Array<{ command: string; samples: unknown[] }>; sampledProcesses: number };
    // What the page says is what the store holds: each sampled process drawn is listed with its command.
    for (const p of api.processes) expect(await page.textContent('#metric-processes')).toContain(p.command);
    if (api.processes.length > 0) expect(await page.locator('#cpu-chart canvas').count()).toBe(1);
    await screenshot(page, 'metrics');
  });

  it('session filter: every view keeps ?session= in its links, and the page made no request elsewhere', async () => {
    await open('/');
    const id = await page.locator('#session-select option').nth(1).getAttribute('value');
    await page.selectOption('#session-select', id!);
    await page.waitForURL(new RegExp(`session=${id}`));
    for (const a of await page.locator('header nav a').all()) expect(await a.getAttribute('href')).toContain(`session=${id}`);
    await page.locator('header nav a[data-view="/logs"]').click();
    await page.waitForSelector('.log-row');
    expect(page.url()).toContain(`session=${id}`);
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
