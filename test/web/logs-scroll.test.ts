// /logs is virtualised and paged: scrolling a 40,000-event recording loads page after page from the server while
// the document holds only the rows in sight. Real server (`report serve`), real browser (headless Chromium).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixtureDb } from '../../src/fixtures/generate-db';
import { launchChromium, watchedPage } from '../helpers/browser';
import { serveRecording, type Served } from '../helpers/web-serve';

let dir: string;
let served: Served;
let browser: Browser;

describe('logs view on a large recording', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-web-scroll-'));
    const db = path.join(dir, 'big.db');
    generateFixtureDb(db, { sessions: 4, events: 40_000, llmCalls: 200, seed: 11 });
    served = await serveRecording(db);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    expect(await served?.stop()).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads more as it scrolls, keeps only visible rows in the page, and stays in time order', async () => {
    const { page, errors } = await watchedPage(browser, served.origin);
    await page.goto(new URL(`/logs?token=${served.token}`, served.origin).href);
    await page.waitForSelector('.log-row');
    const loaded = async () => Number(/^([\d,]+) loaded/.exec((await page.textContent('#log-count'))!)![1]!.replace(/,/g, ''));
    const total = Number(/of ([\d,]+)/.exec((await page.textContent('#log-count'))!)![1]!.replace(/,/g, ''));
    expect(total).toBeGreaterThan(5000);
    const first = await loaded();
    expect(first).toBeLessThan(total);
    for (let i = 0; i < 6; i++) {
      const before = await loaded();
      await page.evaluate(() => {
        const b = document.querySelector('.log-box')!;
        b.scrollTop = b.scrollHeight;
        b.dispatchEvent(new Event('scroll'));
      });
      await page.waitForFunction((n) => Number(/^([\d,]+) loaded/.exec(document.querySelector('#log-count')!.textContent!)![1]!.replace(/,/g, '')) > n, before);
    }
    expect(await loaded()).toBeGreaterThan(first * 3);
    // Only the rows in sight (and a margin) are in the document, however many are loaded.
    const inDom = await page.locator('.log-row').count();
    expect(inDom).toBeGreaterThan(10);
    expect(inDom).toBeLessThan(120);
    const times = await page.locator('.log-row span:first-child').allTextContents();
    expect([...times].sort()).toEqual(times);
    expect(errors).toEqual([]);
  });
});
