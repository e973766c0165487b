/**
 * The web UI on the 1M-event fixture (50 sessions, 10k LLM calls; src/fixtures/generate-db.ts): time from
 * `report serve` printing its URL to the first paint and to the data being drawn on `/` and `/logs` in headless
 * Chromium (Debian's, driven by playwright-core), and the server's RSS. Issue 16's goal: opens in under 2 s.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cachedFixtureDb } from '../fixtures/generate-db';
import type { BenchResult } from './types';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'agentsight');
const FIXTURE = { sessions: 50, events: 1_000_000, llmCalls: 10_000, seed: 1 };
const CHROMIUM = '/usr/bin/chromium';
const RUNS = 5;

/** What marks each page as drawn with its data. */
const PAGES: Array<{ route: string; ready: string }> = [
  { route: '/', ready: '#by-model tbody tr' },
  { route: '/logs', ready: '.log-row' },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x);

function rssKb(pid: number): { rss: number; hwm: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1]), hwm: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1]) };
}

/** CPU ms (user + system) a process has used so far: on a shared machine, wall time mostly measures the queue. */
function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function serve(db: string): Promise<{ url: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli', 'index.js'), 'report', 'serve', '--db', db, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b;
      const m = /http:\/\/\S+token=\S+/.exec(out);
      if (m) resolve(m[0]);
    });
    child.on('exit', (code) => reject(new Error(`report serve exited ${code}: ${out}`)));
  });
  return { url, pid: child.pid!, stop: () => child.kill('SIGINT') };
}

export async function runWebBench(): Promise<BenchResult[]> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing (make setup installs chromium)`);
  if (!fs.existsSync(BIN)) throw new Error('bin/agentsight missing');
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const db = cachedFixtureDb(FIXTURE);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const times: Record<string, { paint: number[]; ready: number[]; cpu: number[] }> = {};
  let rss = { rss: 0, hwm: 0 };
  try {
    for (let run = 0; run < RUNS; run++) {
      for (const p of PAGES) {
        // A fresh server each time: nothing computed for an earlier page helps this one (cold but for the OS cache).
        const s = await serve(db);
        try {
          const cpu0 = cpuMs(s.pid);
          const t0 = Date.now();
          const ctx = await browser.newContext();
          const page = await ctx.newPage();
          await page.goto(new URL(p.route + '?token=' + new URL(s.url).searchParams.get('token'), s.url).href);
          await page.waitForSelector(p.ready, { timeout: 60_000 });
          const ready = Date.now() - t0;
          const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN);
          const nav = await page.evaluate(() => performance.timeOrigin);
          const paint = nav - t0 + fcp;
          (times[p.route] ??= { paint: [], ready: [], cpu: [] }).paint.push(paint);
          times[p.route]!.ready.push(ready);
          times[p.route]!.cpu.push(cpuMs(s.pid) - cpu0);
          const r = rssKb(s.pid);
          if (r.hwm > rss.hwm) rss = r;
          await ctx.close();
        } finally {
          s.stop();
        }
      }
    }
  } finally {
    await browser.close();
  }
  const what = `fixture ${FIXTURE.sessions} sessions, ${FIXTURE.events.toLocaleString('en')} events, ${FIXTURE.llmCalls.toLocaleString('en')} LLM calls; headless Chromium; median of ${RUNS}, fresh server each`;
  const out: BenchResult[] = [];
  for (const p of PAGES) {
    const t = times[p.route]!;
    out.push({ name: `web ${p.route} first paint`, value: round(median(t.paint)), unit: 'ms', detail: `from the URL printed to first-contentful-paint; ${what}` });
    out.push({ name: `web ${p.route} data drawn`, value: round(median(t.ready)), unit: 'ms', detail: `from the URL printed to '${p.ready}' on screen (goal < 2000); ${what}` });
    out.push({ name: `web ${p.route} server CPU`, value: round(median(t.cpu)), unit: 'ms', detail: `user+system CPU of report serve answering the page and its API calls (10 ms ticks); ${what}` });
  }
  out.push({ name: 'web host load average', value: Math.round(Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) * 10) / 10, unit: '', detail: 'load average (1 min) at the end: wall times above queue behind it on a shared machine' });
  out.push({ name: 'web server peak RSS', value: round(rss.hwm / 1024), unit: 'MiB', detail: `VmHWM of report serve after a page (largest of the runs; VmRSS then ${round(rss.rss / 1024)} MiB)` });
  return out;
}
