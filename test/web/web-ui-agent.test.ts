// Issue 16's acceptance on a REAL agent: Claude Code (from .cache/agents, test/helpers/agents.ts) pointed at the
// local fake provider, recorded by `agentsight record`, runs its Bash tool (`echo hello > /tmp/x`) among its own
// housekeeping (git, rg, ps, config rewrites). `report serve` serves the recording and headless Chromium drives it:
// /, /timeline, /tree and /logs each show the model, the tool's command and the file it wrote; timeline → tree → logs
// works by clicking; screenshots land in .cache/web-screenshots/agent-*.png. Skipped loudly without root/BPF (never
// under AGENTSIGHT_REQUIRE_BPF=1), and with AGENTSIGHT_AGENT_TESTS=0 like the other real-agent tests.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';
import { agentLaunch } from '../helpers/agent-launch';
import { agentBinaries } from '../helpers/agents';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { launchChromium, screenshot, waitForQuery, watchedPage } from '../helpers/browser';
import { serveRecording, type Served } from '../helpers/web-serve';

const skipAgents = process.env['AGENTSIGHT_AGENT_TESTS'] === '0';
/** What the fake provider's scripted reply asks the agent's Bash tool to run, and the file that writes. */
const COMMAND = 'echo hello > /tmp/x';
const FILE = '/tmp/x';
/** A row or bar naming the written file itself (not /tmp/xyz), as the last thing on it. */
const FILE_AT_END = / \/tmp\/x$/;

let dir: string;
let srv: FakeLlmServer;
let served: Served;
let browser: Browser;
let page: Page;
let errors: string[];
let foreign: string[];
/** The model Claude Code asked for, as the recording stores it (the fake provider answers with the model asked for). */
let model: string;

async function open(route: string): Promise<string> {
  await page.goto(new URL(route, served.origin).href);
  await page.waitForSelector('main > *:not(:empty)');
  await page.waitForFunction(() => !document.querySelector('main')!.textContent!.startsWith('loading'));
  return (await page.textContent('main'))!;
}

const logRows = () => page.locator('.log-row').allTextContents();

describeBpf('web UI on a recorded Claude Code run', [], () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-web-agent-'));
    const bins = agentBinaries();
    srv = await startFakeLlmServer();
    const home = fs.mkdtempSync(path.join(dir, 'home-'));
    const work = fs.mkdtempSync(path.join(dir, 'work-'));
    const a = agentLaunch('claude', bins, srv, home, 'sk-ant-web-' + crypto.randomBytes(12).toString('hex'));
    const db = path.join(dir, 'claude.db');
    const r = await runAsync(process.execPath, [CLI, 'record', '--quiet', '--no-web', '--db', db, '--', ...a.argv], { cwd: work, env: { ...process.env, ...a.env } }, 600_000);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    served = await serveRecording(db);
    browser = await launchChromium();
    ({ page, errors, foreign } = await watchedPage(browser, served.origin));
    await page.goto(served.url);
    const tree = (await (await page.request.get(new URL('/api/v1/tree', served.origin).href)).json()) as { llmCalls: Array<{ model: string }> };
    const models = [...new Set(tree.llmCalls.map((c) => c.model))];
    expect(models).toHaveLength(1);
    model = models[0]!;
    expect(model).toMatch(/^claude-/);
  }, 900_000);
  afterAll(async () => {
    await browser?.close();
    if (served) expect(await served.stop()).toBe(0);
    await srv?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('overview: the model with its cost, the Bash tool call with its command and the file it changed', async () => {
    await open('/');
    expect(await page.textContent('#by-model')).toContain(model);
    const bash = page.locator('#tool-calls tr', { hasText: COMMAND });
    expect(await bash.count(), (await page.locator('#tool-calls').textContent())!).toBe(1);
    expect(await bash.locator('td').first().textContent()).toMatch(/^#\d+ Bash$/);
    // Among the files its processes changed (Claude Code's shell snapshot, its cwd file) is the one it wrote.
    const changed = (await bash.locator('td').nth(2).textContent())!;
    expect(changed.replace(/^changed /, '').split(', ')).toContain(FILE);
    await screenshot(page, 'agent-overview');
  });

  it('timeline: the model calls, the Bash call, its shell process and the file write as bars', async () => {
    await open('/timeline');
    expect(await page.locator('.bar.llm').count()).toBeGreaterThanOrEqual(2);
    for (const t of await page.locator('.bar.llm').evaluateAll((bs) => bs.map((b) => b.getAttribute('title')))) expect(t).toContain(model);
    expect(await page.locator(`.bar.tool[title*="${COMMAND}"]`).count()).toBe(1);
    expect(await page.locator('.bar.proc', { hasText: COMMAND }).count()).toBeGreaterThan(0);
    expect(await page.locator('.bar.file', { hasText: FILE_AT_END }).count()).toBeGreaterThan(0);
    await screenshot(page, 'agent-timeline');
  });

  it('click through: the Bash bar → its process in the tree → its file in the logs', async () => {
    await open('/timeline');
    await page.locator(`.bar.tool[title*="${COMMAND}"]`).click();
    await page.waitForURL(/\/tree\?.*tool=\d+/);
    await page.waitForSelector('.tool.selected');
    const tool = (await page.textContent('.tool.selected'))!;
    expect(tool).toContain('Bash');
    expect(tool).toContain(COMMAND);
    expect(await page.locator('.tool.selected .effect').allTextContents()).toContain(`write ${FILE}`);
    expect(await page.locator('.proc-tree li.selected', { hasText: COMMAND }).count()).toBeGreaterThan(0);
    const calls = (await page.textContent('.calls'))!;
    expect(calls).toContain(model);
    expect(calls).toContain('Write hello to /tmp/x');
    await screenshot(page, 'agent-tree');

    await page.locator('.tool.selected a.tool-logs').click();
    await page.waitForURL(/\/logs\?.*tool=\d+/);
    await page.waitForSelector('.log-row');
    const rows = await logRows();
    expect(rows.some((r) => r.includes('tool') && r.includes(COMMAND))).toBe(true);
    expect(rows.some((r) => r.includes('file') && /write \/tmp\/x\b/.test(r))).toBe(true);
    expect(rows.some((r) => r.includes('process') && r.includes(COMMAND))).toBe(true);
    // Only the tool call and its effects: none of Claude Code's model calls.
    expect(rows.some((r) => r.includes(model))).toBe(false);
  });

  it('logs: the model calls, the Bash call and the file write, found with the page\'s filters', async () => {
    await open('/logs');
    await page.waitForSelector('.log-row');
    await page.selectOption('#kind-filter', 'llm');
    await waitForQuery(page, /kind=llm/);
    // rows present and all of the kind: the list is emptied while the filtered page loads ("every" of none holds)
    await page.waitForFunction(() => [...document.querySelectorAll('.log-row')].length > 0 && [...document.querySelectorAll('.log-row')].every((r) => r.getAttribute('data-kind') === 'llm'));
    const llm = await logRows();
    expect(llm.length).toBeGreaterThanOrEqual(2);
    expect(llm.every((r) => r.includes(model))).toBe(true);
    await page.selectOption('#kind-filter', 'tool');
    await page.waitForFunction(() => [...document.querySelectorAll('.log-row')].some((r) => r.getAttribute('data-kind') === 'tool'));
    expect((await logRows()).some((r) => r.includes('Bash') && r.includes(COMMAND))).toBe(true);
    await page.selectOption('#kind-filter', '');
    await waitForQuery(page, /^(?!.*kind=)/);
    await page.fill('#text-filter', FILE);
    await page.press('#text-filter', 'Enter');
    await waitForQuery(page, /q=%2Ftmp%2Fx/);
    await page.waitForFunction(() => [...document.querySelectorAll('.log-row')].length > 0 && [...document.querySelectorAll('.log-row')].every((r) => r.textContent!.includes('/tmp/x')));
    const rows = await logRows();
    expect(rows.some((r) => r.includes('file') && /write \/tmp\/x\b/.test(r))).toBe(true);
    expect(rows.some((r) => r.includes('process') && r.includes(COMMAND))).toBe(true);
    await screenshot(page, 'agent-logs');
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  });
}, { skip: skipAgents ? 'AGENTSIGHT_AGENT_TESTS=0' : null });
