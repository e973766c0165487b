/**
 * TLS capture benchmarks (issue 4), each run plain and under `record` in the same process run:
 * 1. cost per intercepted SSL call: 20,000 small SSL_write_ex calls from python3 (entry + return uprobe each);
 * 2. capture throughput: one 256 MiB upload from python3, captured whole (MB/s of the traced run, loss checked);
 * 3. 200 HTTPS requests with 1 MB bodies from node: wall-time ratio traced vs. untraced.
 * The TLS server runs in its own process so the benchmark's event loop never slows it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../native/addon';
import { openRecording } from '../store';
import type { BenchResult } from './types';

const SERVER = `
const tls = require('tls'), https = require('https'), fs = require('fs');
const opts = { key: fs.readFileSync(process.argv[1]), cert: fs.readFileSync(process.argv[2]) };
const raw = tls.createServer(opts, (s) => { s.on('data', () => {}); s.on('end', () => s.end('ok')); s.on('error', () => {}); });
const web = https.createServer(opts, (rq, rs) => { rq.on('data', () => {}); rq.on('end', () => rs.end('{"ok":true}')); });
raw.listen(0, '127.0.0.1', () => web.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ raw: raw.address().port, web: web.address().port }))));
`;

function timed(cmd: string, args: string[], tmp: string, traced: boolean): number {
  const outFile = path.join(tmp, 'elapsed');
  fs.rmSync(outFile, { force: true });
  const full = traced
    ? [process.execPath, path.join(PACKAGE_ROOT, 'bin', 'agentsight'), 'record', '--quiet', '--db', path.join(tmp, `r-${Date.now()}.db`), '--', cmd, ...args]
    : [cmd, ...args];
  execFileSync(full[0]!, full.slice(1), { stdio: 'ignore', env: { ...process.env, BENCH_OUT: outFile }, timeout: 600_000 });
  return Number(fs.readFileSync(outFile, 'utf8'));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function runTlsBench(): Promise<BenchResult[]> {
  if (process.geteuid?.() !== 0) throw new Error('TLS benchmarks need root');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'as-tlsbench-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(tmp, 'k.pem'), '-out', path.join(tmp, 'c.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const server: ChildProcess = spawn(process.execPath, ['-e', SERVER, path.join(tmp, 'k.pem'), path.join(tmp, 'c.pem')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const ports = await new Promise<{ raw: number; web: number }>((resolve) => server.stdout!.once('data', (d) => resolve(JSON.parse(String(d)))));
    const results: BenchResult[] = [];
    const runs = 3;

    // 1. per-call cost
    const calls = 20000;
    const small = `import ssl, socket, time, os
ctx = ssl._create_unverified_context()
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', ${ports.raw})))
t = time.perf_counter()
for i in range(${calls}): s.sendall(b'x' * 64)
e = time.perf_counter() - t
open(os.environ['BENCH_OUT'], 'w').write(str(e))
s.close()`;
    const plain1 = median(Array.from({ length: runs }, () => timed('python3', ['-c', small], tmp, false)));
    const traced1 = median(Array.from({ length: runs }, () => timed('python3', ['-c', small], tmp, true)));
    results.push({
      name: 'cost per intercepted SSL call',
      value: Number((((traced1 - plain1) / calls) * 1e6).toFixed(1)),
      unit: 'µs',
      detail: `${calls.toLocaleString('en')} SSL_write_ex calls of 64 B (python3): plain ${(plain1 * 1e6 / calls).toFixed(1)} µs/call, traced ${(traced1 * 1e6 / calls).toFixed(1)} µs/call (median of ${runs})`,
    });

    // 2. throughput
    const mb = 256;
    const big = `import ssl, socket, time, os
ctx = ssl._create_unverified_context()
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', ${ports.raw})))
buf = os.urandom(1 << 20)
t = time.perf_counter()
for i in range(${mb}): s.sendall(buf)
s.shutdown(socket.SHUT_WR); s.recv(16)
open(os.environ['BENCH_OUT'], 'w').write(str(time.perf_counter() - t))`;
    const plain2 = timed('python3', ['-c', big], tmp, false);
    const db2 = path.join(tmp, 'big.db');
    execFileSync(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'agentsight'), 'record', '--quiet', '--db', db2, '--', 'python3', '-c', big], { stdio: 'ignore', env: { ...process.env, BENCH_OUT: path.join(tmp, 'elapsed') } });
    const traced2 = Number(fs.readFileSync(path.join(tmp, 'elapsed'), 'utf8'));
    const rec = openRecording(db2);
    const captured = rec.tlsConns({}).reduce((a, c) => a + c.bytesOut, 0);
    const tlsLosses = rec.lossTotals().filter((l) => l.source.startsWith('tls') || l.source.startsWith('ringbuf') || l.source === 'queue:js');
    const lost = { n: tlsLosses.reduce((a, l) => a + l.count, 0), b: tlsLosses.reduce((a, l) => a + l.bytes, 0) };
    rec.close();
    results.push({
      name: 'TLS capture throughput',
      value: Math.round(mb / traced2),
      unit: 'MB/s',
      detail: `${mb} MiB upload (python3, 1 MiB SSL_write_ex calls): plain ${Math.round(mb / plain2)} MB/s, traced ${Math.round(mb / traced2)} MB/s; ` +
        `${(captured / 2 ** 20).toFixed(1)} MiB captured, ${lost.n} losses (${lost.b} bytes)`,
    });

    // 3. 200 × 1 MB HTTPS requests
    const reqs = `const https = require('https'); const fs = require('fs');
const body = Buffer.alloc(1 << 20, 97); const agent = new https.Agent({ keepAlive: true });
const one = () => new Promise((res) => { const rq = https.request({ host: '127.0.0.1', port: ${ports.web}, method: 'POST', agent, rejectUnauthorized: false, headers: { 'content-length': body.length } }, (rs) => { rs.resume(); rs.on('end', res); }); rq.end(body); });
(async () => { const t = process.hrtime.bigint(); for (let i = 0; i < 200; i++) await one(); fs.writeFileSync(process.env.BENCH_OUT, String(Number(process.hrtime.bigint() - t) / 1e9)); agent.destroy(); })();`;
    const plain3 = median(Array.from({ length: runs }, () => timed('node', ['-e', reqs], tmp, false)));
    const traced3 = median(Array.from({ length: runs }, () => timed('node', ['-e', reqs], tmp, true)));
    results.push({
      name: '200 HTTPS requests × 1 MB, traced vs plain',
      value: Number((traced3 / plain3).toFixed(2)),
      unit: '× wall time',
      detail: `node https keep-alive client: plain ${plain3.toFixed(2)} s, traced ${traced3.toFixed(2)} s (median of ${runs}; timed inside the client)`,
    });
    return results;
  } finally {
    server.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
