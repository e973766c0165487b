// Issue 16's live acceptance: `record` serves the recording it is writing; a page opened on it shows new rows
// without a reload while the recorded command writes a file every 300 ms. Real record, real shell, real browser.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { launchChromium, screenshot, waitForQuery, watchedPage } from '../helpers/browser';
import { waitForUrl } from '../helpers/web-serve';

const WRITES = 30;
let dir: string;
let browser: Browser;

describeBpf('live web UI of record', [], () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-web-live-'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows each new file as the command writes it, without a reload', async () => {
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    // The writes start once the page is open (the test creates `go`): a slow start-up cannot make them all early.
    const script = `while [ ! -e ${out}/go ]; do sleep 0.1; done; for i in $(seq 1 ${WRITES}); do echo $i > ${out}/live-$i.txt; sleep 0.3; done`;
    const rec = spawn(process.execPath, [CLI, 'record', '--db', path.join(dir, 'live.db'), '--', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => rec.on('exit', (code) => resolve(code)));
    const { url, all } = await waitForUrl(rec, 'record');
    expect(all()).toMatch(/agentsight: live web UI at http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    const { page, errors, foreign } = await watchedPage(browser, new URL(url).origin);
    await page.goto(url);
    await page.waitForSelector('.badge.ok');
    await page.goto(new URL('/logs?kind=file&q=live-', url).href);
    await page.waitForSelector('.badge.ok');
    // A reload would lose this mark: the rows below must arrive in the same document.
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const highest = () =>
      page.evaluate(() => Math.max(0, ...[...document.querySelectorAll('.log-row')].map((r) => Number(/live-(\d+)\.txt/.exec(r.textContent ?? '')?.[1] ?? 0))));
    const first = await highest();
    expect(first).toBe(0);
    fs.writeFileSync(path.join(out, 'go'), '');
    // New files appear one after another: several distinct later ones, each without a reload.
    const seen = new Set<number>([first]);
    while (seen.size < 4) {
      await page.waitForFunction((n) => Math.max(0, ...[...document.querySelectorAll('.log-row')].map((r) => Number(/live-(\d+)\.txt/.exec(r.textContent ?? '')?.[1] ?? 0))) > n, Math.max(...seen), { timeout: 15_000 });
      seen.add(await highest());
    }
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    // Typing into the text filter while rows keep arriving (a re-render every ~300 ms): what is typed stays in the box
    // until Enter applies it.
    await page.click('#text-filter', { clickCount: 3 });
    const before = await highest();
    await page.type('#text-filter', 'live-2', { delay: 200 });
    expect(await highest(), 'rows arrived while typing').toBeGreaterThan(before);
    expect(await page.inputValue('#text-filter')).toBe('live-2');
    await page.press('#text-filter', 'Enter');
    await waitForQuery(page, /q=live-2/);
    await page.fill('#text-filter', 'live-');
    await page.press('#text-filter', 'Enter');
    await waitForQuery(page, /q=live-(&|$)/);
    await page.waitForFunction(() => document.querySelectorAll('.log-row').length > 0);
    // Each file's create and write arrive once: changes that come close together do not fetch the same rows twice.
    const texts = await page.locator('.log-row span.mono').allTextContents();
    expect(texts.length).toBeGreaterThan(0);
    expect(new Set(texts).size).toBe(texts.length);
    await screenshot(page, 'logs-live');
    expect(await exited).toBe(0);
    expect(errors.filter((e) => !/EventSource|ERR_CONNECTION_REFUSED|net::/.test(e))).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
