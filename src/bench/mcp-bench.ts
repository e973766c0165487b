/**
 * Cost of the pipe probe group (bpf/pipe.bpf.c, MCP over stdio) on the write path of traced programs. Each figure
 * is a traced python3 timing its own loop of os.write() calls, with the capture loading the process and file groups
 * only, and with the pipe group too, interleaved, median of 5 rounds:
 * 1. writes into a pipe that is not JSON-RPC (a shell pipeline): traced-set lookup, fd type, two-byte peek;
 * 2. writes to /dev/null (not a pipe or socket): traced-set lookup and fd type only;
 * 3. JSON-RPC lines of 1 KiB into a pipe: each copied whole into the pipe ring (the captured path);
 * 4. 1 MiB JSON-RPC messages into a pipe: throughput of the captured path, and whether every byte arrived.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CaptureRunner } from '../collector/capture-runner';
import { createRecording } from '../store';
import type { BenchResult } from './types';

/** argv: mode count size; prints the seconds its loop took. A `cat` child drains the pipe. */
const WRITER = `
import os, subprocess, sys, time
mode, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if mode == 'null':
    fd = os.open('/dev/null', os.O_WRONLY); reader = None
else:
    reader = subprocess.Popen(['cat'], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL); fd = reader.stdin.fileno()
if mode == 'rpc':
    body = b'{"jsonrpc":"2.0","id":1,"result":{"text":"' + b'x' * (size - 42) + b'"}}\\n'
else:
    body = b'y' * (size - 1) + b'\\n'
t = time.perf_counter()
for i in range(n):
    os.write(fd, body) if len(body) < 65536 else [os.write(fd, body[o:o + (1 << 20)]) for o in range(0, len(body), 1 << 20)]
e = time.perf_counter() - t
if reader: reader.stdin.close(); reader.wait()
print(e)
`;

interface Run {
  seconds: number;
  pipeBytes: number;
  lostBytes: number;
}

async function traced(dir: string, groups: string[], args: string[]): Promise<Run> {
  const db = path.join(dir, `bench-${process.hrtime.bigint()}.db`);
  const store = createRecording(db);
  const runner = CaptureRunner.start(store, { mode: 'record', title: 'mcp-bench', allProcesses: false, groups });
  runner.capture.addSeed(process.pid);
  let out = '';
  try {
    const child = spawn('python3', ['-c', WRITER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    runner.capture.yieldToWorkload(true, { untilExitOf: child.pid });
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => child.on('exit', r));
  } finally {
    runner.capture.removeSeed(process.pid);
    await runner.stop();
  }
  const losses = store.lossTotals({ atNs: 8e18 }).filter((l) => l.source.includes('pipe'));
  const lostBytes = losses.reduce((a, l) => a + l.bytes, 0) + losses.reduce((a, l) => a + l.count, 0);
  const calls = store.mcpCalls({ atNs: 8e18 });
  const servers = store.mcpServers({ atNs: 8e18 });
  store.close();
  for (const s of ['', '-wal', '-shm']) fs.rmSync(db + s, { force: true });
  // The bench's writer sends responses with no request before them: the collector sees a server stream and counts
  // each line as malformed (a response to no request); that count is how many whole lines arrived.
  const pipeBytes = servers.reduce((a, s) => a + s.malformed, 0) + calls.length;
  return { seconds: Number(out.trim()), pipeBytes, lostBytes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function runMcpBench(): Promise<BenchResult[]> {
  if (process.geteuid?.() !== 0) throw new Error('MCP capture benchmarks need root');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-mcpbench-'));
  const results: BenchResult[] = [];
  const rounds = 5;
  const cases: Array<{ name: string; args: string[]; n: number; what: string }> = [
    { name: 'pipe write, not JSON-RPC', args: ['plain', '200000', '64'], n: 200000, what: '200,000 writes of 64 B into a pipe read by cat (python3 os.write)' },
    { name: 'write to /dev/null', args: ['null', '200000', '64'], n: 200000, what: '200,000 writes of 64 B to /dev/null' },
    { name: 'JSON-RPC line captured', args: ['rpc', '20000', '1024'], n: 20000, what: '20,000 JSON-RPC lines of 1 KiB into a pipe, each copied to the pipe ring' },
  ];
  try {
    for (const c of cases) {
      const base: number[] = [];
      const withPipe: number[] = [];
      let last: Run | null = null;
      for (let i = 0; i < rounds; i++) {
        base.push((await traced(dir, ['process', 'file'], c.args)).seconds);
        last = await traced(dir, ['process', 'file', 'pipe'], c.args);
        withPipe.push(last.seconds);
      }
      const b = median(base);
      const p = median(withPipe);
      results.push({
        name: `pipe group: cost per ${c.name}`,
        value: Number((((p - b) / c.n) * 1e6).toFixed(2)),
        unit: 'µs',
        detail: `${c.what}: ${((b / c.n) * 1e6).toFixed(2)} µs/write without the pipe group, ${((p / c.n) * 1e6).toFixed(2)} with (median of ${rounds}, traced both times)${c.args[0] === 'rpc' ? `; lines received ${last!.pipeBytes.toLocaleString('en')} of ${c.n.toLocaleString('en')}, lost ${last!.lostBytes}` : ''}`,
      });
    }
    // throughput of the captured path: 64 messages of 1 MiB
    const big: number[] = [];
    let last: Run | null = null;
    for (let i = 0; i < 3; i++) {
      last = await traced(dir, ['process', 'file', 'pipe'], ['rpc', '64', String(1 << 20)]);
      big.push(last.seconds);
    }
    const s = median(big);
    results.push({
      name: 'pipe group: 1 MiB JSON-RPC messages captured',
      value: Math.round(64 / s),
      unit: 'MiB/s',
      detail: `64 messages of 1 MiB written into a pipe by python3 under capture (median of 3); messages received whole ${last!.pipeBytes} of 64, lost ${last!.lostBytes}`,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
