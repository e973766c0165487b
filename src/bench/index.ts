/**
 * `npm run bench`: runs every benchmark group and prints one table (and .cache/bench-results.json). BENCHMARKS.md
 * records the method and the figures measured on the reference machine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../native/addon';
import type { BenchResult } from './types';

type Group = { name: string; module: string; fn: string };

/** Each group lives in its own file; a group that is not built in this checkout is reported, not hidden. */
const GROUPS: Group[] = [
  { name: 'process capture', module: './process-bench', fn: 'runProcessBench' },
  { name: 'files', module: './files-bench', fn: 'runFilesBench' },
  { name: 'TLS capture', module: './tls-bench', fn: 'runTlsBench' },
  { name: 'MCP pipe capture', module: './mcp-bench', fn: 'runMcpBench' },
  { name: 'exec hold', module: './exec-hold-bench', fn: 'runExecHoldBench' },
  { name: 'record start-up', module: './startup-bench', fn: 'runStartupBench' },
  { name: 'agent run and build under record', module: './agent-run-bench', fn: 'runAgentRunBench' },
  { name: 'HTTP/SSE decode', module: './decode-bench', fn: 'runDecodeBench' },
  { name: 'TUI', module: './tui-bench', fn: 'runTuiBench' },
  { name: 'web UI', module: './web-bench', fn: 'runWebBench' },
  { name: 'command-line redaction', module: './redact-bench', fn: 'runRedactBench' },
  { name: 'open checks', module: './open-check-bench', fn: 'runOpenCheckBench' },
  { name: 'OpenTelemetry export', module: './otel-bench', fn: 'runOtelBench' },
  { name: 'report pprof', module: './report-pprof-bench', fn: 'runReportPprofBench' },
  { name: 'monitor', module: './monitor-bench', fn: 'runMonitorBench' },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const all: Array<BenchResult & { group: string }> = [];
  let failed = 0;
  for (const g of GROUPS) {
    if (only.length && !only.some((o) => g.name.toLowerCase().includes(o.toLowerCase()))) continue;
    let fn: (() => Promise<BenchResult[]>) | undefined;
    try {
      fn = require(g.module)[g.fn];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    }
    if (!fn) {
      console.log(`## ${g.name}: not built in this checkout`);
      continue;
    }
    console.log(`## ${g.name} …`);
    try {
      const res = await fn();
      for (const r of res) {
        all.push({ ...r, group: g.name });
        console.log(`  ${r.name}: ${r.value.toLocaleString('en')} ${r.unit}  (${r.detail})`);
      }
    } catch (err) {
      failed++;
      console.log(`  FAILED: ${(err as Error).message}`);
    }
  }
  const out = path.join(PACKAGE_ROOT, '.cache', 'bench-results.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), results: all }, null, 2));
  console.log(`\nresults: ${out}`);
  // a group may also have failed in part (it said so and set the exit code itself)
  if (failed) process.exitCode = 1;
}

void main();
