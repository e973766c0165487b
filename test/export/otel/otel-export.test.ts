// OpenTelemetry export of a real agent run: Claude Code against the fake provider, recorded with `record --otel`
// (streamed to one receiver), then exported again with `report otel` over protobuf and JSON. The traces must carry
// the recording's tree, ids, tool call ids and token figures; ids must agree between the live and the later export;
// a collector refusing for 5 s, or a SIGTERM during the export, must lose nothing.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../../fake-llm/server';
import { agentLaunch } from '../../helpers/agent-launch';
import { agentBinaries } from '../../helpers/agents';
import { runAsync } from '../../helpers/async-run';
import { CLI, describeBpf } from '../../helpers/bpf-env';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver';

const skipAgents = process.env['AGENTSIGHT_AGENT_TESTS'] === '0';

type Row = Record<string, any>;
function q(db: string, sql: string, ...params: unknown[]): Row[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all(...params) as Row[];
  } finally {
    d.close();
  }
}

/** The OTEL_* environment pointing at a receiver (nothing else of the test's OTEL_* leaks in). */
function otelEnv(r: OtlpReceiver, protocol: 'http/protobuf' | 'http/json' = 'http/protobuf'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  return { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: r.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_SERVICE_NAME: 'as-otel-test', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test' };
}

const byId = (spans: ReceivedSpan[]) => new Map(spans.map((s) => [s.spanId, s]));

let dir: string;
let srv: FakeLlmServer;
let live: OtlpReceiver;
let db: string;
let recordStderr: string;

describeBpf('OpenTelemetry export of a recorded Claude Code run', [], () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-otel-'));
    const bins = agentBinaries();
    srv = await startFakeLlmServer();
    live = await new OtlpReceiver().start();
    const home = fs.mkdtempSync(path.join(dir, 'home-'));
    const a = agentLaunch('claude', bins, srv, home, 'sk-ant-otel-' + crypto.randomBytes(12).toString('hex'));
    db = path.join(dir, 'claude.db');
    const work = fs.mkdtempSync(path.join(dir, 'work-'));
    const r = await runAsync(process.execPath, [CLI, 'record', '--otel', '--db', db, '--', ...a.argv], { cwd: work, env: { ...otelEnv(live), ...a.env } }, 600_000);
    recordStderr = r.stderr;
    expect(r.code, r.stderr + r.stdout).toBe(0);
  }, 900_000);
  afterAll(async () => {
    await live?.close();
    await srv?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function report(protocol: 'http/protobuf' | 'http/json', prepare?: (r: OtlpReceiver) => void) {
    const rx = await new OtlpReceiver().start();
    prepare?.(rx);
    const res = await runAsync(process.execPath, [CLI, 'report', 'otel', '--db', db], { env: otelEnv(rx, protocol) }, 300_000);
    await rx.close();
    return { rx, res };
  }

  it('exports one trace per session: invoke_agent > chat > execute_tool > process, with the recording\'s figures', { timeout: 300_000 }, async () => {
    const { rx, res } = await report('http/protobuf');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^exported (\d+) of \1 spans in 1 trace, metrics of \d+ model calls to http:\/\/127\.0\.0\.1:\d+\/v1\/traces\n$/);
    expect(rx.responses.every((r) => r.contentType === 'application/x-protobuf')).toBe(true);
    const spans = rx.spans;
    const ids = byId(spans);
    expect(ids.size, 'no span twice').toBe(spans.length);

    const sessions = q(db, 'SELECT * FROM sessions WHERE id IN (SELECT session_id FROM llm_calls)');
    expect(sessions.length).toBe(1);
    const roots = spans.filter((s) => s.parentSpanId === '');
    expect(roots.map((s) => s.name)).toEqual(['invoke_agent claude-code']);
    const root = roots[0]!;
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([root.traceId]));
    expect(root.attributes['gen_ai.operation.name']).toBe('invoke_agent');
    expect(root.attributes['gen_ai.agent.name']).toBe('claude-code');
    expect(root.attributes['gen_ai.conversation.id']).toBe(sessions[0]!['external_id']);
    expect(root.startNs).toBe(BigInt(sessions[0]!['start_ns']));
    expect(root.resource['service.name']).toBe('as-otel-test');
    expect(root.resource['deployment.environment']).toBe('test');

    // Every model call is a CLIENT chat span under the root, with the stored figures (inputs count cached tokens).
    const calls = q(db, 'SELECT * FROM llm_calls WHERE session_id = ? ORDER BY start_ns', sessions[0]!['id']);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    const chats = spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
    expect(chats.length).toBe(calls.length);
    for (const c of calls) {
      const s = chats.find((x) => x.startNs === BigInt(c['start_ns']) && x.attributes['gen_ai.usage.output_tokens'] === c['output_tokens'])!;
      expect(s, JSON.stringify(c)).toBeDefined();
      expect(s.kind).toBe(3);
      expect(s.parentSpanId).toBe(root.spanId);
      expect(s.name).toBe(`chat ${c['request_model']}`);
      expect(s.attributes['gen_ai.provider.name']).toBe('anthropic');
      expect(s.attributes['gen_ai.request.model']).toBe(c['request_model']);
      expect(s.attributes['gen_ai.usage.input_tokens']).toBe(c['input_tokens']);
      expect(s.attributes['gen_ai.usage.input_tokens']).toBeGreaterThanOrEqual((c['cache_read_tokens'] ?? 0) + (c['cache_write_tokens'] ?? 0));
      if (c['cache_read_tokens'] !== null) expect(s.attributes['gen_ai.usage.cache_read.input_tokens']).toBe(c['cache_read_tokens']);
      expect(s.attributes['gen_ai.response.id']).toMatch(/^msg_/);
      expect(s.attributes['gen_ai.response.finish_reasons']).toEqual([c['stop_reason']]);
      expect(s.attributes['http.response.status_code']).toBe(200);
      expect(s.attributes['server.address']).toBeTruthy();
      expect(s.status.code, 'status unset on success').toBe(0);
      expect(s.endNs - s.startNs).toBeGreaterThan(0n);
      // Real nanosecond times: the stored start, to the JS number's 256 ns resolution.
      expect(Number(s.startNs - BigInt(c['start_ns']))).toBe(0);
      expect('gen_ai.input.messages' in s.attributes, 'content is opt-in').toBe(false);
    }

    // Every tool call id, under the chat span whose response asked for it, and the tool's process under it.
    const tools = q(db, 'SELECT t.*, c.start_ns AS call_start FROM tool_calls t JOIN llm_calls c ON c.id = t.llm_call_id WHERE c.session_id = ?', sessions[0]!['id']);
    expect(tools.length).toBeGreaterThanOrEqual(1);
    const toolSpans = spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'execute_tool');
    expect(toolSpans.map((s) => s.attributes['gen_ai.tool.call.id']).sort()).toEqual(tools.map((t) => t['call_id']).sort());
    for (const t of tools) {
      const s = toolSpans.find((x) => x.attributes['gen_ai.tool.call.id'] === t['call_id'])!;
      expect(s.name).toBe(`execute_tool ${t['name']}`);
      expect(s.attributes['gen_ai.tool.name']).toBe(t['name']);
      expect(s.attributes['gen_ai.tool.type']).toBe('function');
      expect(ids.get(s.parentSpanId)!.startNs).toBe(BigInt(t['call_start']));
    }
    const bash = toolSpans.find((s) => s.attributes['gen_ai.tool.name'] === 'Bash')!;
    const procs = spans.filter((s) => s.parentSpanId === bash.spanId);
    const shell = procs.find((s) => String((s.attributes['process.command_args'] as string[] | undefined)?.join(' ')).includes('echo hello > /tmp/x'));
    expect(shell, JSON.stringify(procs.map((p) => p.attributes))).toBeDefined();
    expect(shell!.attributes['process.exit.code']).toBe(0);
    expect(typeof shell!.attributes['process.pid']).toBe('number');

    // Metrics: both required ones, the conventions' buckets, token sums equal to the recording's.
    const last = rx.metricRequests.at(-1)!;
    const usage = last.find((m) => m.name === 'gen_ai.client.token.usage')!;
    const duration = last.find((m) => m.name === 'gen_ai.client.operation.duration')!;
    expect(usage.unit).toBe('{token}');
    expect(duration.unit).toBe('s');
    expect(usage.points[0]!.explicitBounds).toEqual([1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]);
    expect(duration.points[0]!.explicitBounds).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
    const all = q(db, 'SELECT SUM(input_tokens) AS i, SUM(output_tokens) AS o, COUNT(*) AS n, SUM(streaming) AS s FROM llm_calls WHERE session_id IS NOT NULL')[0]!;
    const sum = (type: string) => usage.points.filter((p) => p.attributes['gen_ai.token.type'] === type).reduce((n, p) => n + p.sum, 0);
    expect(sum('input')).toBe(all['i']);
    expect(sum('output')).toBe(all['o']);
    expect(duration.points.reduce((n, p) => n + p.count, 0)).toBe(all['n']);
    expect(duration.points[0]!.attributes['gen_ai.operation.name']).toBe('chat');
    expect(duration.points[0]!.attributes['gen_ai.provider.name']).toBe('anthropic');
    if (all['s'] > 0) expect(last.find((m) => m.name === 'gen_ai.client.operation.time_to_first_chunk')!.points.reduce((n, p) => n + p.count, 0)).toBe(all['s']);
  });

  it('gives the same ids and attributes over http/json, and record --otel streamed the same ids', { timeout: 300_000 }, async () => {
    const proto = await report('http/protobuf');
    const json = await report('http/json');
    expect(json.res.code, json.res.stderr).toBe(0);
    expect(json.rx.responses.every((r) => r.contentType === 'application/json')).toBe(true);
    const p = byId(proto.rx.spans);
    const j = byId(json.rx.spans);
    expect([...j.keys()].sort()).toEqual([...p.keys()].sort());
    for (const [id, s] of j) {
      const o = p.get(id)!;
      expect({ ...s, resource: null }).toEqual({ ...o, resource: null });
    }
    // The live stream: every span once, the same ids, parents and times as the later export.
    expect(recordStderr).toMatch(/agentsight: exported (\d+) of \1 spans in 1 trace/);
    const l = byId(live.spans);
    expect(l.size, 'no span sent twice live').toBe(live.spans.length);
    expect([...l.keys()].sort()).toEqual([...p.keys()].sort());
    for (const [id, s] of l) {
      const o = p.get(id)!;
      expect([s.traceId, s.parentSpanId, s.name, s.startNs, s.endNs]).toEqual([o.traceId, o.parentSpanId, o.name, o.startNs, o.endNs]);
    }
    // The live metrics' last (cumulative) export holds every call's tokens, and is the very points report otel sends
    // later (same times, same series): sending both counts nothing twice.
    expect(live.metricRequests.at(-1)).toEqual(proto.rx.metricRequests.at(-1));
    const usage = live.metricRequests.at(-1)!.find((m) => m.name === 'gen_ai.client.token.usage')!;
    const stored = q(db, 'SELECT SUM(input_tokens) AS i FROM llm_calls WHERE session_id IS NOT NULL')[0]!['i'];
    expect(usage.points.filter((x) => x.attributes['gen_ai.token.type'] === 'input').reduce((n, x) => n + x.sum, 0)).toBe(stored);
  });

  it('with --otel-content, carries the conversation in the conventions\' message format, tool call ids included', { timeout: 300_000 }, async () => {
    const rx = await new OtlpReceiver().start();
    const res = await runAsync(process.execPath, [CLI, 'report', 'otel', '--otel-content', '--db', db], { env: otelEnv(rx) }, 300_000);
    await rx.close();
    expect(res.code, res.stderr).toBe(0);
    const tool = q(db, "SELECT * FROM tool_calls WHERE name = 'Bash'")[0]!;
    const chats = rx.spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
    const asking = chats.find((s) => String(s.attributes['gen_ai.output.messages']).includes(tool['call_id']))!;
    const out = JSON.parse(asking.attributes['gen_ai.output.messages'] as string);
    expect(out[0].parts).toContainEqual({ type: 'tool_call', id: tool['call_id'], name: 'Bash', arguments: expect.objectContaining({ command: 'echo hello > /tmp/x' }) });
    expect(out[0].finish_reason).toBe('tool_use');
    const answering = chats.find((s) => String(s.attributes['gen_ai.input.messages']).includes('tool_call_response'))!;
    const input = JSON.parse(answering.attributes['gen_ai.input.messages'] as string) as Array<{ role: string; parts: Array<Record<string, unknown>> }>;
    expect(input.flatMap((m) => m.parts).filter((p) => p['type'] === 'tool_call_response').map((p) => p['id'])).toContain(tool['call_id']);
    expect(JSON.parse(answering.attributes['gen_ai.system_instructions'] as string)[0].type).toBe('text');
    const toolSpan = rx.spans.find((s) => s.attributes['gen_ai.tool.call.id'] === tool['call_id'])!;
    expect(toolSpan.attributes['gen_ai.tool.call.arguments']).toBe(tool['input_json']);
    // The API key never leaves: content comes from the stored (redacted) bodies, headers are not exported at all.
    expect(JSON.stringify(rx.spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('sk-ant-otel-');
  });

  it('loses nothing when the collector answers 503 for 5 s', { timeout: 300_000 }, async () => {
    const ok = await report('http/protobuf');
    const { rx, res } = await report('http/protobuf', (r) => r.refuseFor(5000, 503));
    expect(res.code, res.stderr).toBe(0);
    // The collector really was away for 5 s: refused first, accepted only after the window.
    const refused = rx.responses.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThan(1);
    expect(rx.responses.find((r) => r.status === 200)!.atMs - refused[0]!.atMs).toBeGreaterThanOrEqual(4900);
    expect(rx.spans.map((s) => s.spanId).sort()).toEqual(ok.rx.spans.map((s) => s.spanId).sort());
    expect(rx.metricRequests.length).toBeGreaterThan(0);
  });

  it('loses nothing when the collector answers 500 (which the OTel exporters do not retry) for 5 s', { timeout: 300_000 }, async () => {
    const ok = await report('http/protobuf');
    const { rx, res } = await report('http/protobuf', (r) => r.refuseFor(5000, 500));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/retried/);
    expect(rx.responses.filter((r) => r.status === 500).length).toBeGreaterThan(0);
    expect(rx.spans.map((s) => s.spanId).sort()).toEqual(ok.rx.spans.map((s) => s.spanId).sort());
  });

  it('delivers what is queued when SIGTERM arrives during the export', { timeout: 300_000 }, async () => {
    const ok = await report('http/protobuf');
    const rx = await new OtlpReceiver().start();
    rx.holdMs = 2000;
    const child = spawn(process.execPath, [CLI, 'report', 'otel', '--db', db], { env: otelEnv(rx), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let signalled = false;
    rx.onRequest = () => {
      if (!signalled) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.on('exit', (c, s) => r([c, s])));
    await rx.close();
    expect(signalled).toBe(true);
    expect([code, signal], stderr).toEqual([0, null]);
    expect(stderr).toMatch(/SIGTERM: delivering the \d+ spans still queued/);
    expect(stdout).toMatch(/^exported (\d+) of \1 spans/);
    expect(rx.spans.map((s) => s.spanId).sort()).toEqual(ok.rx.spans.map((s) => s.spanId).sort());
  });
}, { skip: skipAgents ? 'AGENTSIGHT_AGENT_TESTS=0' : null });

/**
 * What every agent's trace must hold: one trace, the root, a CLIENT chat span per call with the stored tokens, every
 * tool call id under the chat that asked for it, the shell tool's command among its processes.
 */
function expectAgentTrace(spans: ReceivedSpan[], file: string, o: { agent: string; provider: string; tool: RegExp }) {
  const ids = byId(spans);
  expect(ids.size).toBe(spans.length);
  const roots = spans.filter((s) => s.parentSpanId === '');
  expect(roots.map((s) => s.name)).toEqual([`invoke_agent ${o.agent}`]);
  expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
  const calls = q(file, 'SELECT * FROM llm_calls WHERE session_id IS NOT NULL');
  const chats = spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
  expect(chats.length).toBe(calls.length);
  expect(calls.length).toBeGreaterThanOrEqual(2);
  for (const c of chats) {
    expect(c.kind).toBe(3);
    expect(c.parentSpanId).toBe(roots[0]!.spanId);
    expect(c.attributes['gen_ai.provider.name']).toBe(o.provider);
  }
  const sum = (k: string) => chats.reduce((n, s) => n + ((s.attributes[k] as number | undefined) ?? 0), 0);
  const stored = q(file, 'SELECT SUM(input_tokens) AS i, SUM(output_tokens) AS o FROM llm_calls WHERE session_id IS NOT NULL')[0]!;
  expect([sum('gen_ai.usage.input_tokens'), sum('gen_ai.usage.output_tokens')]).toEqual([stored['i'], stored['o']]);
  const tools = q(file, 'SELECT * FROM tool_calls WHERE llm_call_id IN (SELECT id FROM llm_calls WHERE session_id IS NOT NULL)');
  const toolSpans = spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'execute_tool');
  expect(toolSpans.map((s) => s.attributes['gen_ai.tool.call.id']).sort()).toEqual(tools.map((t) => t['call_id']).sort());
  for (const t of toolSpans) expect(ids.get(t.parentSpanId)!.attributes['gen_ai.operation.name']).toBe('chat');
  const shellTool = toolSpans.find((s) => o.tool.test(String(s.attributes['gen_ai.tool.name'])))!;
  expect(shellTool, toolSpans.map((s) => s.name).join(', ')).toBeDefined();
  const under = (id: string): ReceivedSpan[] => spans.filter((s) => s.parentSpanId === id).flatMap((s) => [s, ...under(s.spanId)]);
  expect(under(shellTool.spanId).some((p) => String((p.attributes['process.command_args'] as string[] | undefined)?.join(' ')).includes('echo hello > /tmp/x'))).toBe(true);
}

describeBpf('OpenTelemetry export of recorded Codex and Gemini CLI runs', [], () => {
  let dir2: string;
  let srv2: FakeLlmServer;
  beforeAll(async () => {
    dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'as-otel2-'));
    srv2 = await startFakeLlmServer();
  });
  afterAll(async () => {
    await srv2?.close();
    if (dir2) fs.rmSync(dir2, { recursive: true, force: true });
  });

  it('record --otel: a SIGTERM mid-run still delivers every span of the recording', { timeout: 600_000 }, async () => {
    const rxLive = await new OtlpReceiver().start();
    // A slow collector: every response waits, so spans are in flight when the signal comes.
    rxLive.holdMs = 1500;
    const home = fs.mkdtempSync(path.join(dir2, 'term-home-'));
    const a = agentLaunch('claude', agentBinaries(), srv2, home, 'sk-ant-term-' + crypto.randomBytes(12).toString('hex'));
    const file = path.join(dir2, 'term.db');
    const work = fs.mkdtempSync(path.join(dir2, 'term-work-'));
    const child = spawn(process.execPath, [CLI, 'record', '--otel', '--db', file, '--', ...a.argv], { cwd: work, env: { ...otelEnv(rxLive), ...a.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let signalled = false;
    rxLive.onRequest = (p) => {
      if (p === '/v1/traces' && !signalled) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    await new Promise((r) => child.on('exit', r));
    await rxLive.close();
    expect(signalled, stderr).toBe(true);
    expect(stderr).toMatch(/agentsight: exported (\d+) of \1 spans in 1 trace/);
    const rx = await new OtlpReceiver().start();
    const rep = await runAsync(process.execPath, [CLI, 'report', 'otel', '--db', file], { env: otelEnv(rx) }, 300_000);
    await rx.close();
    expect(rep.code, rep.stderr).toBe(0);
    expect(rx.spans.length).toBeGreaterThan(1);
    expect(rxLive.spans.map((s) => `${s.spanId}/${s.parentSpanId}`).sort()).toEqual(rx.spans.map((s) => `${s.spanId}/${s.parentSpanId}`).sort());
  });

  for (const [name, agent, provider, tool] of [
    ['codex', 'codex', 'openai', /exec_command|shell/],
    ['gemini', 'gemini-cli', 'gcp.gemini', /run_shell_command/],
  ] as const) {
    it(`${name}: record --otel streams one trace, report otel sends the same`, { timeout: 600_000 }, async () => {
      const rxLive = await new OtlpReceiver().start();
      const home = fs.mkdtempSync(path.join(dir2, `${name}-home-`));
      const a = agentLaunch(name, agentBinaries(), srv2, home, `sk-${name}-otel-` + crypto.randomBytes(12).toString('hex'));
      const file = path.join(dir2, `${name}.db`);
      const work = fs.mkdtempSync(path.join(dir2, `${name}-work-`));
      const r = await runAsync(process.execPath, [CLI, 'record', '--otel', '--db', file, '--', ...a.argv], { cwd: work, env: { ...otelEnv(rxLive), ...a.env } }, 600_000);
      await rxLive.close();
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stderr).toMatch(/agentsight: exported (\d+) of \1 spans in 1 trace/);
      expectAgentTrace(rxLive.spans, file, { agent, provider, tool });

      const rx = await new OtlpReceiver().start();
      const rep = await runAsync(process.execPath, [CLI, 'report', 'otel', '--db', file], { env: otelEnv(rx, 'http/json') }, 300_000);
      await rx.close();
      expect(rep.code, rep.stderr).toBe(0);
      expectAgentTrace(rx.spans, file, { agent, provider, tool });
      expect(rx.spans.map((s) => `${s.spanId}/${s.parentSpanId}`).sort()).toEqual(rxLive.spans.map((s) => `${s.spanId}/${s.parentSpanId}`).sort());
    });
  }
}, { skip: skipAgents ? 'AGENTSIGHT_AGENT_TESTS=0' : null });
