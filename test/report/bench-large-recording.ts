/**
 * Benchmark (not a test): how long each report takes on a large recording. Run with
 *   npx tsx test/report/bench-large-recording.ts [calls=2000] [fileOps=100000]
 * The recording is written through the store like the collector writes it: N LLM calls with ~50 KB requests (a
 * first Claude Code request is ~49 KB), 2 tool calls each, 5 processes per tool call, file ops and connections.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRecording } from '../../src/store';
import { runReport } from './helpers';

const calls = Number(process.argv[2] ?? 2000);
const fileOps = Number(process.argv[3] ?? 100_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-bench-'));
const file = path.join(dir, 'agentsight-bench.db');
const t0 = 1_773_480_413_589_000_000;
const S = 1e9;

const big = 'x'.repeat(50_000);
const st = createRecording(file);
st.putMeta('command', JSON.stringify(['claude']));
st.putSession({ id: 1, agent: 'claude-code', externalId: null, rootProcessId: 1, title: 'claude', startNs: t0, endNs: t0 + calls * S });
let pid = 1;
let tool = 1;
for (let i = 1; i <= calls; i++) {
  const at = t0 + i * S;
  st.putLlmCall({ id: i, exchangeId: null, sessionId: 1, processId: 1, provider: 'anthropic', host: 'api.anthropic.com', endpoint: '/v1/messages', streaming: true, requestModel: 'claude-sonnet-4-5-20250929', responseModel: 'claude-sonnet-4-5-20250929', systemPrompt: 'sys', requestJson: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: big }] }), responseJson: JSON.stringify({ content: [{ type: 'text', text: 'ok' }] }), responseText: 'ok', thinking: null, stopReason: 'tool_use', inputTokens: 30_000, outputTokens: 300, cacheReadTokens: 25_000, cacheWriteTokens: 1_000, reasoningTokens: 0, costUsd: 0.02, httpStatus: 200, error: null, startNs: at, firstTokenNs: at + 5e8, endNs: at + 9e8, incomplete: false });
  for (let k = 0; k < 2; k++, tool++) {
    st.putToolCall({ id: tool, llmCallId: i, sessionId: 1, callId: `toolu_${tool}`, name: 'Bash', inputJson: '{"command":"npm test"}', tsNs: at + 9e8, resultLlmCallId: i + 1, resultText: 'ok', resultIsError: false, resultNs: at + S });
    for (let p = 0; p < 5; p++, pid++) {
      st.putProcess({ id: pid, pid: 10_000 + pid, ppid: 1, parentId: p === 0 ? 1 : pid - 1, sessionId: 1, startNs: at + 9e8 + p, kstartNs: pid, uid: 0, comm: 'bash', exe: '/usr/bin/bash', argv: ['bash', '-c', 'npm test'], argvClipped: false, cwd: '/app', execNs: null, exitNs: at + S, exitCode: 0, exitSignal: null, coreDumped: false, seeded: false, peakRssKb: null, containerId: null, containerName: null, nsPid: null });
      if (p === 0) st.addCausalLink({ id: pid, toolCallId: tool, targetKind: 'process', targetId: pid, method: 'lineage+window', confidence: 0.9 });
    }
  }
  if (i % 500 === 0) st.flush();
}
for (let f = 1; f <= fileOps; f++) {
  st.putFileOp({ id: f, processId: 1 + (f % (pid - 1)), sessionId: 1, op: f % 3 === 0 ? 'write' : 'open', path: `/app/src/file-${f % 5000}.ts`, path2: null, flags: null, result: 0, count: 1, bytes: 100, firstNs: t0 + (f / fileOps) * calls * S, lastNs: t0 + (f / fileOps) * calls * S, pathClipped: false });
  if (f % 20_000 === 0) st.flush();
}
for (let n = 1; n <= 5000; n++) st.putNetConn({ id: n, processId: 1, sessionId: 1, op: 'connect', family: 'inet', proto: 'tcp', addr: `10.0.${n % 250}.${n % 200}`, port: 443, host: null, result: 0, count: 1, bytesSent: 10, bytesRecv: 10, firstNs: t0 + n * S, lastNs: t0 + n * S });
st.finalize();
st.close();
console.log(`recording: ${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB, ${calls} LLM calls, ${pid - 1} processes, ${tool - 1} tool calls, ${fileOps} file ops, 5000 connections`);

(async () => {
  for (const args of [[], ['list'], ['prompts'], ['prompts', '--json'], ['token', '--group-by', 'day'], ['audit'], ['audit', '--all-files', '--json'], ['export', '-o', path.join(dir, 'snap.json')]]) {
    const before = process.memoryUsage().rss;
    const t = process.hrtime.bigint();
    const r = await runReport(args, { cwd: dir });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    console.log(`report ${args.join(' ').padEnd(28)} ${ms.toFixed(0).padStart(6)} ms  exit ${r.code}  output ${(r.stdout.length / 2 ** 20).toFixed(1)} MiB  rss +${((process.memoryUsage().rss - before) / 2 ** 20).toFixed(0)} MiB`);
  }
  if (!process.env["KEEP"]) fs.rmSync(dir, { recursive: true, force: true }); else console.log(file);
})();
