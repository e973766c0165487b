/**
 * Benchmark (not a test): cold and cached discoverTls timings and memory per binary.
 *
 *   npx tsx test/collector/tls/discovery/bench-discovery.ts [--runs N] [FILE ...]
 *
 * Without files it uses /usr/bin/node, libssl.so.3 and the agents from scripts/install-agents.sh.
 * Cold runs bypass the cache (the OS page cache stays warm after the first run: the first figure is the
 * honest cold-disk one). The machine is shared: report the load average with the numbers.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { discoverTls } from '../../../../src/collector/tls/discovery';
import { agentBinaries } from './helpers';

function main(): void {
  const args = process.argv.slice(2);
  let runs = 3;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--runs') runs = Number(args[++i]);
    else files.push(args[i]);
  }
  if (files.length === 0) {
    files.push(fs.realpathSync(process.execPath));
    const ssl = '/usr/lib/x86_64-linux-gnu/libssl.so.3';
    if (fs.existsSync(ssl)) files.push(ssl);
    const bins = agentBinaries();
    for (const k of ['bun', 'claude', 'codex']) if (bins[k]) files.push(bins[k]);
  }
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${os.cpus().length} CPUs, node ${process.version}`);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-bench-'));
  for (const f of files) {
    const times: number[] = [];
    let rssPeak = 0;
    let stack: string | null = null;
    for (let i = 0; i < runs; i++) {
      global.gc?.();
      const before = process.memoryUsage().rss;
      const r = discoverTls(f, { useCache: false });
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss - before);
      times.push(r.elapsedMs);
      stack = r.stack;
    }
    discoverTls(f, { cacheDir });
    const cached: number[] = [];
    for (let i = 0; i < runs; i++) cached.push(discoverTls(f, { cacheDir }).elapsedMs);
    const sorted = [...times].sort((a, b) => a - b);
    const size = fs.statSync(f).size / 1e6;
    console.log(
      `${path.basename(f).padEnd(16)} ${size.toFixed(0).padStart(4)} MB  ${String(stack).padEnd(14)} cold first ${times[0].toFixed(0)} ms, ` +
        `median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms; cached median ${[...cached].sort((a, b) => a - b)[Math.floor(cached.length / 2)].toFixed(1)} ms; ` +
        `rss +${(rssPeak / 1e6).toFixed(0)} MB`,
    );
  }
  fs.rmSync(cacheDir, { recursive: true, force: true });
}

main();
