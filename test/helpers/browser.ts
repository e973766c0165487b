/**
 * Headless Chromium for the web UI's tests: Debian's `chromium` (make setup installs it) driven by playwright-core,
 * which downloads no browser of its own. Page errors and failed requests are collected so a test can assert none.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './bpf-env';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.join(ROOT, '.cache', 'web-screenshots');

export function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: run make setup (it installs Debian's chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}

/** A page that records its JavaScript errors and every request to another origin (there must be none). */
export async function watchedPage(browser: Browser, origin: string): Promise<{ page: Page; errors: string[]; foreign: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('request', (r) => !r.url().startsWith(origin) && !r.url().startsWith('data:') && foreign.push(r.url()));
  return { page, errors, foreign };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/**
 * Wait until the page's query string matches: the web UI puts its filters there with history.replaceState, which is
 * no navigation; polling the document's own location does not depend on how the driver reports such changes.
 */
export async function waitForQuery(page: Page, pattern: RegExp, timeout = 30_000): Promise<void> {
  await page.waitForFunction(([src, flags]) => new RegExp(src!, flags).test(location.search), [pattern.source, pattern.flags], { timeout });
}
