// The RecordingReader contract: one recording with known rows, written through the writer the way the collector
// writes, and every reader method's answer asserted — on the live writer's own connection, on a read-only connection
// while the recording is still being written, and after finalize reopened read-only (from the summaries, and from
// the rows alone). Real SQLite files in a temp dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRecording,
  openRecording,
  type CausalLinkRow,
  type ExecRow,
  type FileOpRow,
  type HttpExchangeRow,
  type LlmCallRow,
  type LossRow,
  type McpCallRow,
  type McpServerRow,
  type NetConnRow,
  type ProcessRow,
  type RecordingReader,
  type ResourceSampleRow,
  type SessionRow,
  type SqliteStore,
  type TlsConnRow,
  type TlsTargetRow,
  type ToolCallRow,
} from '../../src/store';
import { SCHEMA_VERSION } from '../../src/store/migrations';
import { recorderIdentity } from '../../src/store/recording-state';

/** Whole seconds from a whole second: every timestamp is exact as a double (multiples of 512 ns near 1.8e18). */
const T = 1_773_480_413_000_000_000;
const S = 1_000_000_000;
const END = T + 100 * S;

const sessions: SessionRow[] = [
  { id: 1, agent: 'claude-code', externalId: 'ext-1', rootProcessId: 1, title: 'claude fix', startNs: T, endNs: T + 95 * S },
  { id: 2, agent: 'codex', externalId: null, rootProcessId: 3, title: 'codex exec', startNs: T + 60 * S, endNs: null },
];

const proc = (p: Partial<ProcessRow> & Pick<ProcessRow, 'id' | 'pid' | 'sessionId' | 'startNs' | 'comm'>): ProcessRow => ({
  ppid: 1, parentId: null, kstartNs: 5 * S, uid: 1000, exe: `/usr/bin/${p.comm}`, argv: [p.comm], argvClipped: false, cwd: '/w',
  execNs: p.startNs, exitNs: null, exitCode: null, exitSignal: null, coreDumped: false, seeded: false, peakRssKb: 1000,
  containerId: null, containerName: null, nsPid: null, ...p,
});
const p1 = proc({ id: 1, pid: 100, sessionId: 1, startNs: T, comm: 'claude', argv: ['claude', 'fix'], exitNs: T + 95 * S, exitCode: 0, seeded: true });
const p2 = proc({ id: 2, pid: 101, ppid: 100, parentId: 1, sessionId: 1, startNs: T + 10 * S, comm: 'bash', exitNs: T + 20 * S, exitCode: 1 });
const p3 = proc({ id: 3, pid: 200, sessionId: 2, startNs: T + 60 * S, comm: 'codex', cwd: null, peakRssKb: null, containerId: 'c0ffee12'.repeat(8), containerName: 'devbox', nsPid: 7 });
const p4 = proc({ id: 4, pid: 50, sessionId: null, startNs: T + 5 * S, comm: 'sshd', exitNs: T + 6 * S, exitSignal: 15 });

const e1: ExecRow = { id: 1, processId: 2, tsNs: T + 10 * S, filename: '/usr/bin/bash', argv: ['bash', '-c', 'make'], cwd: '/w', ret: 0, argvClipped: false };
const e2: ExecRow = { id: 2, processId: 2, tsNs: T + 11 * S, filename: '/usr/bin/rg', argv: ['rg'], cwd: '/w', ret: -2, argvClipped: null };
const e3: ExecRow = { id: 3, processId: 3, tsNs: T + 60 * S, filename: '/usr/bin/codex', argv: ['codex'], cwd: null, ret: 0, argvClipped: true };

const fop = (id: number, processId: number, sessionId: number, op: string, p: string, result: number, firstNs: number, more: Partial<FileOpRow> = {}): FileOpRow => ({
  id, processId, sessionId, op, path: p, path2: null, flags: null, result, count: 1, bytes: 0, firstNs, lastNs: firstNs + S, pathClipped: false, ...more,
});
const f1 = fop(1, 2, 1, 'open', '/w/a.ts', 0, T + 12 * S, { flags: 0 });
const f2 = fop(2, 2, 1, 'write', '/w/a.ts', 0, T + 13 * S, { count: 3, bytes: 2048 });
const f3 = fop(3, 1, 1, 'write', '/w/a.ts', 0, T + 30 * S, { bytes: 100 });
const f4 = fop(4, 1, 1, 'rename', '/w/.a.tmp', 0, T + 31 * S, { path2: '/w/a.ts' });
const f5 = fop(5, 2, 1, 'open', '/w/.env', -13, T + 12 * S + S / 2);
const f6 = fop(6, 3, 2, 'create', '/w/b.ts', 0, T + 70 * S, { bytes: 10, pathClipped: true });
const f7 = fop(7, 3, 2, 'unlink', '/w/gone', -2, T + 71 * S);

const n1: NetConnRow = { id: 1, processId: 1, sessionId: 1, op: 'connect', family: 'inet', proto: 'tcp', addr: '1.2.3.4', port: 443, host: 'api.example.com', result: -115, count: 2, bytesSent: 1000, bytesRecv: 500, firstNs: T + S, lastNs: T + 80 * S };
const n2: NetConnRow = { id: 2, processId: 2, sessionId: 1, op: 'connect', family: 'inet', proto: 'tcp', addr: '1.2.3.4', port: 443, host: null, result: -111, count: 1, bytesSent: 0, bytesRecv: 0, firstNs: T + 15 * S, lastNs: T + 15 * S };
const n3: NetConnRow = { id: 3, processId: 3, sessionId: 2, op: 'connect', family: 'inet6', proto: 'tcp', addr: '::1', port: 8080, host: null, result: 0, count: 1, bytesSent: 10, bytesRecv: 20, firstNs: T + 61 * S, lastNs: T + 62 * S };
const n4: NetConnRow = { id: 4, processId: 3, sessionId: 2, op: 'sendto', family: 'inet', proto: 'udp', addr: '8.8.8.8', port: 53, host: 'dns.google', result: 0, count: 4, bytesSent: 200, bytesRecv: 0, firstNs: T + 63 * S, lastNs: T + 64 * S };

const tt1: TlsTargetRow = { id: 1, path: '/usr/lib/libssl.so.3', buildId: 'abc', sha256: null, stack: 'openssl', status: 'attached', detail: 'ok', probes: 'SSL_read,SSL_write', tsNs: T };
const tt2: TlsTargetRow = { id: 2, path: '/usr/bin/node', buildId: null, sha256: 'ff', stack: null, status: 'not-found', detail: 'no TLS', probes: '', tsNs: T + S };
const tc1: TlsConnRow = { id: 1, processId: 1, sessionId: 1, connPtr: '0x1', stack: 'openssl', protocol: 'h1', host: 'api.example.com', firstNs: T + 2 * S, lastNs: T + 5 * S, bytesOut: 300, bytesIn: 400, lostBytes: 0, lostEvents: 0 };
const tc2: TlsConnRow = { id: 2, processId: 3, sessionId: 2, connPtr: '0x2', stack: 'boringssl', protocol: 'h2', host: null, firstNs: T + 62 * S, lastNs: T + 64 * S, bytesOut: 30, bytesIn: 40, lostBytes: 100, lostEvents: 1 };

const hx = (id: number, connId: number, processId: number, sessionId: number, startNs: number): HttpExchangeRow => ({
  id, connId, processId, sessionId, streamId: id === 2 ? 1 : null, protocol: id === 2 ? 'h2' : 'http/1.1', method: 'POST', host: 'api.example.com',
  path: '/v1/messages', status: 200, reqHeaders: '{"a":"1"}', respHeaders: '{}', reqBody: null, respBody: null, startNs, firstByteNs: startNs + S,
  endNs: startNs + 3 * S, complete: id === 1, error: id === 2 ? 'reset' : null,
});
const h1 = hx(1, 1, 1, 1, T + 2 * S);
const h2 = hx(2, 2, 3, 2, T + 62 * S);

const llm = (c: Partial<LlmCallRow> & Pick<LlmCallRow, 'id' | 'sessionId' | 'processId' | 'startNs'>): LlmCallRow => ({
  exchangeId: null, provider: 'anthropic', host: 'api.example.com', endpoint: '/v1/messages', streaming: true, requestModel: 'claude-x',
  responseModel: null, systemPrompt: null, requestJson: null, responseJson: null, responseText: null, thinking: null, stopReason: null,
  inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null, costUsd: null, httpStatus: 200,
  error: null, firstTokenNs: null, endNs: null, incomplete: false, ...c,
});
const c1 = llm({
  id: 1, exchangeId: 1, sessionId: 1, processId: 1, startNs: T + 2 * S, firstTokenNs: T + 3 * S, endNs: T + 5 * S, responseModel: 'claude-x-1',
  systemPrompt: 'be brief', requestJson: JSON.stringify({ model: 'claude-x', messages: [{ role: 'user', content: 'fix the bug' }] }),
  responseJson: '{"id":"m1"}', responseText: 'Sure, fixing the bug now.', stopReason: 'tool_use', inputTokens: 1100, outputTokens: 50,
  cacheReadTokens: 1000, cacheWriteTokens: 0, costUsd: 0.01,
});
const c2 = llm({
  id: 2, sessionId: 1, processId: 1, startNs: T + 25 * S, endNs: T + 28 * S, thinking: 'hmm', responseText: 'Done.', inputTokens: 200, outputTokens: 80,
  requestJson: JSON.stringify({ messages: [{ role: 'user', content: 'fix the bug' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'now run the tests' }] }),
  costUsd: 0.02, httpStatus: 429, error: 'rate limited',
});
const c3 = llm({
  id: 3, exchangeId: 2, sessionId: 2, processId: 3, startNs: T + 62 * S, endNs: T + 64 * S, provider: 'openai', endpoint: '/v1/responses',
  requestModel: 'gpt-y', responseModel: 'gpt-y', requestJson: JSON.stringify({ model: 'gpt-y', input: 'add a test' }), responseText: 'Added.',
  inputTokens: 10, outputTokens: 5, reasoningTokens: 2, incomplete: true,
});
const light = (c: LlmCallRow): LlmCallRow => ({ ...c, requestJson: null, responseJson: null });

const t1: ToolCallRow = { id: 1, llmCallId: 1, sessionId: 1, callId: 'toolu_1', name: 'Bash', inputJson: '{"command":"make"}', tsNs: T + 5 * S, resultLlmCallId: 2, resultText: 'ok', resultIsError: false, resultNs: T + 25 * S };
const t2: ToolCallRow = { id: 2, llmCallId: 2, sessionId: 1, callId: 'toolu_2', name: 'Edit', inputJson: '{}', tsNs: T + 28 * S, resultLlmCallId: null, resultText: 'boom', resultIsError: true, resultNs: null };
const t3: ToolCallRow = { id: 3, llmCallId: 3, sessionId: 2, callId: 'call_3', name: 'shell', inputJson: '{}', tsNs: T + 64 * S, resultLlmCallId: null, resultText: null, resultIsError: null, resultNs: null };

const l1: CausalLinkRow = { id: 1, toolCallId: 1, targetKind: 'process', targetId: 2, method: 'via-process', confidence: 0.6 };
const l2: CausalLinkRow = { id: 2, toolCallId: 1, targetKind: 'file_op', targetId: 2, method: 'via-process', confidence: 0.6 };
const l3: CausalLinkRow = { id: 3, toolCallId: 3, targetKind: 'file_op', targetId: 6, method: 'path', confidence: 0.9 };

const ms1: McpServerRow = {
  id: 1, sessionId: 1, processId: 2, clientProcessId: 1, transport: 'stdio', channel: 'unix:4711', command: 'node fs-server.js /w',
  name: 'secure-filesystem-server', version: '0.2.0', protocolVersion: '2025-06-18', firstNs: T + S, lastNs: T + 26 * S, calls: 3,
  errors: 1, malformed: 0, lostBytes: 0,
};
const ms2: McpServerRow = { ...ms1, id: 2, sessionId: 2, processId: 3, clientProcessId: 3, channel: 'pipe:99', command: null, name: null, version: null, protocolVersion: null, firstNs: T + 61 * S, lastNs: T + 61 * S, calls: 0, errors: 0, malformed: 2, lostBytes: 512 };
const mcall = (c: Partial<McpCallRow> & Pick<McpCallRow, 'id' | 'method' | 'startNs'>): McpCallRow => ({
  serverId: 1, sessionId: 1, kind: 'request', fromSide: 'client', rpcId: String(c.id), target: null, paramsJson: '{}', resultJson: '{}',
  errorCode: null, errorMessage: null, isError: false, endNs: c.startNs + S / 2, requestBytes: 40, responseBytes: 60, toolCallId: null, ...c,
});
const mc1 = mcall({ id: 1, method: 'initialize', startNs: T + S });
const mc2 = mcall({ id: 2, method: 'notifications/initialized', kind: 'notification', rpcId: null, resultJson: null, endNs: null, responseBytes: 0, startNs: T + 2 * S });
const mc3 = mcall({ id: 3, method: 'tools/call', target: 'write_file', paramsJson: '{"name":"write_file","arguments":{"path":"/w/a.ts"}}', toolCallId: 1, startNs: T + 6 * S });
const mc4 = mcall({ id: 4, method: 'tools/call', target: 'read_file', resultJson: null, errorCode: -32602, errorMessage: 'bad path', isError: true, toolCallId: 2, startNs: T + 29 * S, endNs: null });

const L1: LossRow = { id: 1, tsNs: T + 3 * S, source: 'bpf:ring-full', processId: null, connId: null, count: 5, bytes: 0, detail: null };
const L2: LossRow = { id: 2, tsNs: T + 16 * S, source: 'tls:not-probed', processId: 2, connId: null, count: 1, bytes: 4096, detail: '1.2.3.4:443 (node)' };
const L3: LossRow = { id: 3, tsNs: T + 65 * S, source: 'argv:clipped', processId: 3, connId: null, count: 2, bytes: 0, detail: null };
const L4: LossRow = { id: 4, tsNs: T + 66 * S, source: 'tls:clipped', processId: 3, connId: 2, count: 1, bytes: 100, detail: null };

const r1: ResourceSampleRow = { processId: 1, tsNs: T + S, cpuPct: 12.5, rssKb: 1000 };
const r2: ResourceSampleRow = { processId: 1, tsNs: T + 2 * S, cpuPct: 50, rssKb: 2000 };

/** Write every row as the collector does: ids from nextId, rows in several flushes, activity summed per second. */
function writeKnown(w: SqliteStore): void {
  w.putMeta('command', JSON.stringify(['claude', 'fix']));
  w.putMeta('start_ns', String(T));
  w.putMeta('hostname', os.hostname());
  for (const [k, v] of Object.entries(recorderIdentity())) w.putMeta(k, v);
  for (const s of sessions) w.putSession(s);
  // A row replaced before its commit: the last put wins.
  w.putProcess({ ...p1, comm: 'stale' });
  for (const p of [p1, p2, p3, p4]) w.putProcess(p);
  for (const e of [e1, e2, e3]) w.addExec(e);
  w.addActivity(T + 2 * S, { llmCalls: 1, tokens: 1150 });
  w.flush();
  for (const f of [f1, f2, f3, f4, f5, f6, f7]) w.putFileOp(f);
  for (const n of [n1, n2, n3, n4]) w.putNetConn(n);
  for (const t of [tt1, tt2]) w.putTlsTarget(t);
  for (const t of [tc1, tc2]) w.putTlsConn(t);
  w.addTlsChunk({ id: 1, connId: 1, dir: 0, seq: 0, tsNs: T + 2 * S, origLen: 5, data: Buffer.from('hello') });
  w.addTlsChunk({ id: 2, connId: 1, dir: 1, seq: 0, tsNs: T + 3 * S, origLen: 2, data: Buffer.from('ok') });
  w.addTlsChunk({ id: 3, connId: 1, dir: 0, seq: 1, tsNs: T + 4 * S, origLen: 3, data: Buffer.from('bye') });
  for (const h of [h1, h2]) w.putHttpExchange(h);
  for (const c of [c1, c2, c3]) w.putLlmCall(c);
  for (const t of [t1, t2, t3]) w.putToolCall(t);
  for (const l of [l1, l2, l3]) w.addCausalLink(l);
  for (const m of [ms1, ms2]) w.putMcpServer(m);
  // A call is put when it starts and again when its response (and its tool call) is known: the last put wins.
  w.putMcpCall({ ...mc3, resultJson: null, endNs: null, toolCallId: null });
  for (const m of [mc1, mc2, mc3, mc4]) w.putMcpCall(m);
  // Ids come from the writer's counters (max id at open + 1), as the collector takes them.
  for (const l of [L1, L2, L3, L4]) w.addLoss({ ...l, id: w.nextId('losses') });
  w.addResourceSample(r2);
  w.addResourceSample(r1);
  // Same second as the first flush's: added to the committed bucket.
  w.addActivity(T + 2 * S + S / 2, { procEvents: 2 });
  w.addActivity(T + 25 * S, { llmCalls: 1, tokens: 280, errors: 1 });
  w.addActivity(T + 60 * S, { fileOps: 3, netEvents: 1 });
  w.addActivity(T + 66 * S, { losses: 1 });
  w.flush();
}

interface Mode {
  name: string;
  /** The reader under test; `done` closes what the mode opened. */
  open(file: string): { reader: RecordingReader; done(): void };
  finished: boolean;
}

const MODES: Mode[] = [
  {
    name: 'live, on the writer connection',
    finished: false,
    open(file) {
      const w = createRecording(file);
      writeKnown(w);
      return { reader: w, done: () => w.close() };
    },
  },
  {
    name: 'live, on a read-only connection',
    finished: false,
    open(file) {
      const w = createRecording(file);
      writeKnown(w);
      const r = openRecording(file);
      return { reader: r, done: () => { r.close(); w.close(); } };
    },
  },
  {
    name: 'finalized, reopened read-only (summaries)',
    finished: true,
    open(file) {
      const w = createRecording(file);
      writeKnown(w);
      w.putMeta('end_ns', String(END));
      w.finalize();
      w.close();
      const r = openRecording(file);
      return { reader: r, done: () => r.close() };
    },
  },
  {
    name: 'finalized, reopened read-only (rows only)',
    finished: true,
    open(file) {
      const w = createRecording(file);
      writeKnown(w);
      w.putMeta('end_ns', String(END));
      w.finalize();
      w.close();
      const r = openRecording(file, { useSummaries: false });
      return { reader: r, done: () => r.close() };
    },
  },
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-reader-contract-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.each(MODES)('RecordingReader contract: $name', (mode) => {
  let r: RecordingReader;
  let done: () => void;
  beforeAll(() => {
    const file = path.join(dir, `${mode.name.replace(/\W+/g, '-')}.db`);
    ({ reader: r, done } = mode.open(file));
  });
  afterAll(() => done());

  it('info: span, counts, meta, schema', () => {
    const i = r.info();
    expect(i.schemaVersion).toBe(SCHEMA_VERSION);
    expect(i.meta['command']).toBe('["claude","fix"]');
    expect(i.startNs).toBe(T);
    // A finished recording's span is its meta; a live one's spans its rows (p1 exits last, at T+95s).
    expect(i.endNs).toBe(mode.finished ? END : T + 95 * S);
    expect(i.counts).toEqual({ sessions: 2, processes: 4, execs: 3, fileOps: 7, netConns: 4, llmCalls: 3, toolCalls: 3, losses: 9 });
    // counts.losses is what was lost (the sum of the rows' counts), not loss rows.
    expect(r.readOnly).toBe(mode.name.includes('read-only'));
  });

  it('recordingState', () => {
    expect(r.recordingState().state).toBe(mode.finished ? 'complete' : 'recording');
  });

  it('sessions and session: aggregates as of the end and as of a moment', () => {
    const all = r.sessions();
    expect(all.map((s) => s.id)).toEqual([1, 2]);
    const [s1, s2] = all;
    expect(s1).toMatchObject({
      ...sessions[0], processes: 2, liveProcesses: 0, llmCalls: 2, models: ['claude-x-1', 'claude-x'],
      inputTokens: 300, outputTokens: 130, cacheReadTokens: 1000, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 1430,
      toolCalls: 2, failedToolCalls: 1, errors: 1, fileOps: 5, filesChanged: 2, netConns: 2, losses: 1, lastActivityNs: T + 31 * S,
    });
    expect(s1.costUsd).toBeCloseTo(0.03, 9);
    expect(s2).toMatchObject({
      ...sessions[1], processes: 1, liveProcesses: 1, llmCalls: 1, models: ['gpt-y'], inputTokens: 10, outputTokens: 5, reasoningTokens: 2,
      totalTokens: 15, costUsd: null, toolCalls: 1, failedToolCalls: 0, errors: 1, fileOps: 2, filesChanged: 1, netConns: 2, losses: 3,
      lastActivityNs: T + 71 * S,
    });
    const early = r.sessions({ atNs: T + 20 * S });
    expect(early.map((s) => s.id)).toEqual([1]);
    expect(early[0]).toMatchObject({
      processes: 2, liveProcesses: 1, llmCalls: 1, models: ['claude-x-1'], totalTokens: 1150, toolCalls: 1, failedToolCalls: 0, errors: 0,
      fileOps: 3, filesChanged: 1, netConns: 2, losses: 1, lastActivityNs: T + 13 * S,
    });
    expect(r.sessions({ sessionId: 2 }).map((s) => s.id)).toEqual([2]);
    expect(r.session(2)).toEqual(s2);
    expect(r.session(99)).toBeNull();
  });

  it('processes and process', () => {
    expect(r.processes()).toEqual([p1, p4, p2, p3]);
    expect(r.processes({ sessionId: 1 })).toEqual([p1, p2]);
    expect(r.processes({ ids: [3, 4] })).toEqual([p4, p3]);
    expect(r.processes({ atNs: T + 5 * S })).toEqual([p1, p4]);
    expect(r.processes({ limit: 1 })).toEqual([p1]);
    expect(r.process(3)).toEqual(p3);
    expect(r.process(99)).toBeNull();
  });

  it('execs', () => {
    expect(r.execs()).toEqual([e1, e2, e3]);
    expect(r.execs({ processId: 2 })).toEqual([e1, e2]);
    expect(r.execs({ processIds: [3] })).toEqual([e3]);
    expect(r.execs({ failedOnly: true })).toEqual([e2]);
    expect(r.execs({ sessionId: 2 })).toEqual([e3]);
    expect(r.execs({ atNs: T + 10 * S })).toEqual([e1]);
  });

  it('fileOps and fileOp', () => {
    expect(r.fileOps()).toEqual([f1, f5, f2, f3, f4, f6, f7]);
    expect(r.fileOps({ changesOnly: true })).toEqual([f2, f3, f4, f6, f7]);
    expect(r.fileOps({ processId: 2 })).toEqual([f1, f5, f2]);
    expect(r.fileOps({ sessionId: 2 })).toEqual([f6, f7]);
    expect(r.fileOps({ ids: [4, 1] })).toEqual([f1, f4]);
    expect(r.fileOps({ atNs: T + 12 * S })).toEqual([f1]);
    expect(r.fileOps({ limit: 2 })).toEqual([f1, f5]);
    expect(r.fileOp(4)).toEqual(f4);
    expect(r.fileOp(99)).toBeNull();
  });

  it('fileChanges, fileChangeCounts, filesChanged', () => {
    const write = { op: 'write', path: '/w/a.ts', path2: null, count: 4, bytes: 2148, firstNs: T + 13 * S, lastNs: T + 31 * S, processId: 1, processes: 2 };
    const rename = { op: 'rename', path: '/w/.a.tmp', path2: '/w/a.ts', count: 1, bytes: 0, firstNs: T + 31 * S, lastNs: T + 32 * S, processId: 1, processes: 1 };
    const create = { op: 'create', path: '/w/b.ts', path2: null, count: 1, bytes: 10, firstNs: T + 70 * S, lastNs: T + 71 * S, processId: 3, processes: 1 };
    const earlyWrite = { ...write, count: 3, bytes: 2048, lastNs: T + 14 * S, processId: 2, processes: 1 };
    expect(r.fileChanges()).toEqual([write, rename, create]);
    expect(r.fileChanges({ sessionId: 1 })).toEqual([write, rename]);
    expect(r.fileChanges({ sessionId: 1, limit: 1 })).toEqual([write]);
    expect(r.fileChanges({ sessionId: 1, atNs: T + 20 * S })).toEqual([earlyWrite]);
    expect(r.fileChanges({ atNs: T + 20 * S })).toEqual([earlyWrite]);
    expect(r.fileChanges({ processId: 1 })).toEqual([{ ...write, count: 1, bytes: 100, firstNs: T + 30 * S, processes: 1 }, rename]);
    expect(r.fileChangeCounts()).toEqual([{ op: 'create', count: 1 }, { op: 'rename', count: 1 }, { op: 'write', count: 1 }]);
    expect(r.fileChangeCounts({ sessionId: 2 })).toEqual([{ op: 'create', count: 1 }]);
    expect(r.fileChangeCounts({ sessionId: 1, atNs: T + 20 * S })).toEqual([{ op: 'write', count: 1 }]);
    expect(r.filesChanged()).toBe(3);
    expect(r.filesChanged({ sessionId: 1 })).toBe(2);
    expect(r.filesChanged({ atNs: T + 20 * S })).toBe(1);
  });

  it('netConns, netConn, netDestinations, netDestinationCount', () => {
    expect(r.netConns()).toEqual([n1, n2, n3, n4]);
    expect(r.netConns({ processId: 3 })).toEqual([n3, n4]);
    expect(r.netConns({ sessionId: 1, atNs: T + 10 * S })).toEqual([n1]);
    expect(r.netConns({ ids: [2] })).toEqual([n2]);
    expect(r.netConn(3)).toEqual(n3);
    expect(r.netConn(99)).toBeNull();
    const https = { op: 'connect', family: 'inet', proto: 'tcp', addr: '1.2.3.4', port: 443, host: 'api.example.com', count: 3, failures: 1, bytesSent: 1000, bytesRecv: 500, firstNs: T + S, lastNs: T + 80 * S, processes: 2 };
    const local = { op: 'connect', family: 'inet6', proto: 'tcp', addr: '::1', port: 8080, host: null, count: 1, failures: 0, bytesSent: 10, bytesRecv: 20, firstNs: T + 61 * S, lastNs: T + 62 * S, processes: 1 };
    const dns = { op: 'sendto', family: 'inet', proto: 'udp', addr: '8.8.8.8', port: 53, host: 'dns.google', count: 4, failures: 0, bytesSent: 200, bytesRecv: 0, firstNs: T + 63 * S, lastNs: T + 64 * S, processes: 1 };
    expect(r.netDestinations()).toEqual([https, local, dns]);
    expect(r.netDestinations({ sessionId: 2 })).toEqual([local, dns]);
    expect(r.netDestinations({ sessionId: 2, limit: 1 })).toEqual([local]);
    // -EINPROGRESS (-115) is a connect under way, not a failure.
    expect(r.netDestinations({ sessionId: 1, atNs: T + 10 * S })).toEqual([{ ...https, count: 2, failures: 0, processes: 1 }]);
    expect(r.netDestinationCount()).toBe(3);
    expect(r.netDestinationCount({ sessionId: 1 })).toBe(1);
    expect(r.netDestinationCount({ sessionId: 2, atNs: T + 61 * S })).toBe(1);
  });

  it('llmCalls, llmCall, recentLlmCalls', () => {
    expect(r.llmCalls()).toEqual([c1, c2, c3].map(light));
    expect(r.llmCalls({ full: true })).toEqual([c1, c2, c3]);
    expect(r.llmCalls({ sessionId: 2 })).toEqual([light(c3)]);
    expect(r.llmCalls({ atNs: T + 10 * S })).toEqual([light(c1)]);
    expect(r.llmCalls({ limit: 1 })).toEqual([light(c1)]);
    expect(r.llmCall(2)).toEqual(c2);
    expect(r.llmCall(99)).toBeNull();
    expect(r.recentLlmCalls({ limit: 2 })).toEqual([c2, c3].map(light));
    expect(r.recentLlmCalls({ limit: 1, sessionId: 1 })).toEqual([light(c2)]);
    expect(r.recentLlmCalls({ limit: 5, atNs: T + 30 * S })).toEqual([c1, c2].map(light));
  });

  it('llmCallTexts: last user turn and clipped response, newest first', () => {
    expect(r.llmCallTexts()).toEqual([
      { id: 3, sessionId: 2, startNs: T + 62 * S, prompt: 'add a test', response: 'Added.' },
      { id: 2, sessionId: 1, startNs: T + 25 * S, prompt: 'now run the tests', response: 'Done.' },
      { id: 1, sessionId: 1, startNs: T + 2 * S, prompt: 'fix the bug', response: 'Sure, fixing the bug now.' },
    ]);
    expect(r.llmCallTexts({ sessionId: 1, maxChars: 16 }).map((t) => [t.id, t.response])).toEqual([[2, 'Done.'], [1, 'Sure, fixing the']]);
    expect(r.llmCallTexts({ atNs: T + 10 * S }).map((t) => t.id)).toEqual([1]);
  });

  it('toolCalls and causalLinks', () => {
    expect(r.toolCalls()).toEqual([t1, t2, t3]);
    expect(r.toolCalls({ llmCallId: 2 })).toEqual([t2]);
    expect(r.toolCalls({ llmCallIds: [1, 3] })).toEqual([t1, t3]);
    expect(r.toolCalls({ sessionId: 2 })).toEqual([t3]);
    expect(r.toolCalls({ atNs: T + 10 * S })).toEqual([t1]);
    expect(r.causalLinks()).toEqual([l1, l2, l3]);
    expect(r.causalLinks({ toolCallId: 1 })).toEqual([l1, l2]);
    expect(r.causalLinks({ toolCallIds: [3] })).toEqual([l3]);
    expect(r.causalLinks({ sessionId: 2 })).toEqual([l3]);
    expect(r.causalLinks({ targetKind: 'file_op' })).toEqual([l2, l3]);
    expect(r.causalLinks({ targetKind: 'file_op', targetId: 6 })).toEqual([l3]);
  });

  it('mcpServers and mcpCalls', () => {
    expect(r.mcpServers()).toEqual([ms1, ms2]);
    expect(r.mcpServers({ sessionId: 2 })).toEqual([ms2]);
    expect(r.mcpServers({ atNs: T + 10 * S })).toEqual([ms1]);
    expect(r.mcpCalls()).toEqual([mc1, mc2, mc3, mc4]);
    expect(r.mcpCalls({ serverId: 2 })).toEqual([]);
    expect(r.mcpCalls({ method: 'tools/call' })).toEqual([mc3, mc4]);
    expect(r.mcpCalls({ kind: 'notification' })).toEqual([mc2]);
    expect(r.mcpCalls({ toolCallIds: [2, 3] })).toEqual([mc4]);
    expect(r.mcpCalls({ sessionId: 1, atNs: T + 6 * S })).toEqual([mc1, mc2, mc3]);
    expect(r.mcpCalls({ limit: 1 })).toEqual([mc1]);
  });

  it('losses and lossTotals', () => {
    expect(r.losses()).toEqual([L1, L2, L3, L4]);
    expect(r.losses({ atNs: T + 10 * S })).toEqual([L1]);
    expect(r.losses({ limit: 2 })).toEqual([L1, L2]);
    expect(r.lossTotals()).toEqual([
      { source: 'argv:clipped', count: 2, bytes: 0 },
      { source: 'bpf:ring-full', count: 5, bytes: 0 },
      { source: 'tls:clipped', count: 1, bytes: 100 },
      { source: 'tls:not-probed', count: 1, bytes: 4096 },
    ]);
    expect(r.lossTotals({ atNs: T + 20 * S }).map((l) => l.source)).toEqual(['bpf:ring-full', 'tls:not-probed']);
  });

  it('completeness: of the recording, of a session, as of a moment', () => {
    expect(r.completeness()).toEqual({
      llmCalls: 3,
      tokens: 1445,
      tlsDecrypted: 2,
      tlsNotDecrypted: [{ reason: 'tls:not-probed', connections: 1, bytes: 4096 }],
      tlsNotDecryptedConnections: [{ reason: 'tls:not-probed', processId: 2, bytes: 4096, detail: '1.2.3.4:443 (node)' }],
      // Clipped argv is kept (marked on the row); clipped TLS plaintext is lost.
      lost: [{ source: 'bpf:ring-full', count: 5, bytes: 0 }, { source: 'tls:clipped', count: 1, bytes: 100 }],
      stoppedEarly: false,
      complete: false,
    });
    expect(r.completeness({ sessionId: 2 })).toEqual({
      llmCalls: 1, tokens: 15, tlsDecrypted: 1, tlsNotDecrypted: [], tlsNotDecryptedConnections: [],
      lost: [{ source: 'bpf:ring-full', count: 5, bytes: 0 }, { source: 'tls:clipped', count: 1, bytes: 100 }],
      stoppedEarly: false, complete: false,
    });
    expect(r.completeness({ sessionId: 1, atNs: T + 2 * S })).toEqual({
      llmCalls: 1, tokens: 1150, tlsDecrypted: 1, tlsNotDecrypted: [], tlsNotDecryptedConnections: [], lost: [], stoppedEarly: false, complete: true,
    });
  });

  it('eventNs and tokensEndedIn', () => {
    expect(r.eventNs(T, 1)).toBe(T + 2 * S);
    expect(r.eventNs(T + 2 * S, 1)).toBe(T + 3 * S);
    expect(r.eventNs(T + 25 * S, -1)).toBe(T + 16 * S);
    expect(r.eventNs(T + 2 * S, -1)).toBeNull();
    expect(r.eventNs(T + 66 * S, 1)).toBeNull();
    expect(r.tokensEndedIn(T + 5 * S, S)).toBe(1150);
    expect(r.tokensEndedIn(T + 30 * S, 10 * S)).toBe(280);
    expect(r.tokensEndedIn(T + 64 * S, 100 * S)).toBe(1445);
    expect(r.tokensEndedIn(T + 63 * S, S)).toBe(0);
  });

  it('tlsTargets, tlsConns, tlsChunks, httpExchanges, resourceSamples', () => {
    expect(r.tlsTargets()).toEqual([tt1, tt2]);
    expect(r.tlsConns()).toEqual([tc1, tc2]);
    expect(r.tlsConns({ sessionId: 2 })).toEqual([tc2]);
    expect(r.tlsConns({ atNs: T + 10 * S })).toEqual([tc1]);
    expect(r.tlsChunks(1).map((c) => [c.id, c.dir, c.seq, c.origLen, Buffer.from(c.data).toString()])).toEqual([
      [1, 0, 0, 5, 'hello'], [3, 0, 1, 3, 'bye'], [2, 1, 0, 2, 'ok'],
    ]);
    expect(r.tlsChunks(2)).toEqual([]);
    expect(r.httpExchanges()).toEqual([h1, h2]);
    expect(r.httpExchanges({ connId: 2 })).toEqual([h2]);
    expect(r.httpExchanges({ sessionId: 1 })).toEqual([h1]);
    expect(r.httpExchanges({ atNs: T + 10 * S })).toEqual([h1]);
    expect(r.resourceSamples(1)).toEqual([r1, r2]);
    expect(r.resourceSamples(2)).toEqual([]);
  });

  it('activity: per-second counts summed into equal buckets', () => {
    const zero = { procEvents: 0, fileOps: 0, netEvents: 0, llmCalls: 0, tokens: 0, errors: 0, losses: 0 };
    expect(r.activity(T, T + 120 * S, 2)).toEqual([
      { ...zero, startNs: T, endNs: T + 60 * S, procEvents: 2, llmCalls: 2, tokens: 1430, errors: 1 },
      { ...zero, startNs: T + 60 * S, endNs: T + 120 * S, fileOps: 3, netEvents: 1, losses: 1 },
    ]);
    expect(r.activity(T + 2 * S, T + 3 * S, 1)).toEqual([{ ...zero, startNs: T + 2 * S, endNs: T + 3 * S, procEvents: 2, llmCalls: 1, tokens: 1150 }]);
  });

  it('readSnapshot: returns its function value, nests, and reads the same answers', () => {
    const inside = r.readSnapshot(() => ({ sessions: r.sessions(), nested: r.readSnapshot(() => r.fileChanges({ sessionId: 1 })) }));
    expect(inside.sessions).toEqual(r.sessions());
    expect(inside.nested).toEqual(r.fileChanges({ sessionId: 1 }));
  });
});

describe('RecordingReader contract: a live recording', () => {
  it('a read-only reader sees a write at its commit, not before', () => {
    const file = path.join(dir, 'live-commit.db');
    const w = createRecording(file);
    writeKnown(w);
    const r = openRecording(file);
    try {
      const loss: LossRow = { ...L1, id: w.nextId('losses'), tsNs: T + 90 * S };
      w.addLoss(loss);
      expect(r.losses().map((l) => l.id)).toEqual([1, 2, 3, 4]);
      w.flush();
      expect(r.losses().map((l) => l.id)).toEqual([1, 2, 3, 4, 5]);
      expect(r.info().counts.losses).toBe(14);
    } finally {
      r.close();
      w.close();
    }
  });
});
