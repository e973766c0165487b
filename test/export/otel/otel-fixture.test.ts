// `report otel` of a large fixture recording (src/fixtures/generate-db.ts: sessions of three agents with failed calls,
// tool calls and their processes), through the real CLI to a local OTLP receiver: batching, failure states, ids stable
// across exports, refusals counted and said, bad variables refused in one line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixtureDb } from '../../../src/fixtures/generate-db';
import { runAsync } from '../../helpers/async-run';
import { CLI } from '../../helpers/bpf-env';
import { OtlpReceiver } from './otlp-receiver';

type Row = Record<string, any>;
let dir: string;
let db: string;

function q(sql: string): Row[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all() as Row[];
  } finally {
    d.close();
  }
}

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_'))), ...extra };
}

async function exportTo(extra: Record<string, string> = {}, prepare?: (r: OtlpReceiver) => void, args: string[] = []) {
  const rx = await new OtlpReceiver().start();
  prepare?.(rx);
  const res = await runAsync(process.execPath, [CLI, 'report', 'otel', '--db', db, ...args], { env: env({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, ...extra }) }, 300_000);
  await rx.close();
  return { rx, res };
}

describe('report otel of a fixture recording', () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-otel-fx-'));
    db = path.join(dir, 'fixture.db');
    generateFixtureDb(db, { sessions: 4, llmCalls: 400, events: 4000, seed: 7 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sends every call in batches of at most 512 spans, failures with error.type, the same ids twice', { timeout: 120_000 }, async () => {
    const a = await exportTo();
    expect(a.res.code, a.res.stderr).toBe(0);
    const spans = a.rx.spans;
    expect(spans.length).toBeGreaterThan(512);
    expect(a.rx.spansPerRequest.length).toBeGreaterThan(1);
    expect(Math.max(...a.rx.spansPerRequest)).toBeLessThanOrEqual(512);

    const sessions = q('SELECT * FROM sessions WHERE id IN (SELECT session_id FROM llm_calls)');
    const roots = spans.filter((s) => s.parentSpanId === '');
    expect(roots.length).toBe(sessions.length);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(sessions.length);
    for (const s of spans) if (s.parentSpanId !== '') expect(spans.some((p) => p.spanId === s.parentSpanId && p.traceId === s.traceId), s.name).toBe(true);

    const calls = q('SELECT * FROM llm_calls WHERE session_id IS NOT NULL');
    const chats = spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
    expect(chats.length).toBe(calls.length);
    const failed = calls.filter((c) => c['http_status'] >= 400);
    expect(failed.length).toBeGreaterThan(0);
    const errorSpans = chats.filter((s) => s.status.code === 2);
    expect(errorSpans.map((s) => s.attributes['error.type']).sort()).toEqual(
      [...failed.map((c) => String(c['http_status'])), ...calls.filter((c) => c['http_status'] === 200 && c['incomplete'] === 1).map(() => 'incomplete')].sort(),
    );
    expect(chats.filter((s) => s.status.code === 1), 'status OK is never set').toEqual([]);
    const toolIds = q('SELECT call_id FROM tool_calls WHERE llm_call_id IN (SELECT id FROM llm_calls WHERE session_id IS NOT NULL)').map((r) => r['call_id']).sort();
    expect(spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'execute_tool').map((s) => s.attributes['gen_ai.tool.call.id']).sort()).toEqual(toolIds);
    const inputs = q('SELECT SUM(input_tokens) AS i FROM llm_calls WHERE session_id IS NOT NULL')[0]!['i'];
    expect(chats.reduce((n, s) => n + ((s.attributes['gen_ai.usage.input_tokens'] as number | undefined) ?? 0), 0)).toBe(inputs);
    // Failed calls are in the duration metric with their error.type, as many as there are.
    const duration = a.rx.metricRequests.at(-1)!.find((m) => m.name === 'gen_ai.client.operation.duration')!;
    const errorCounts: Record<string, number> = {};
    for (const s of errorSpans) errorCounts[s.attributes['error.type'] as string] = (errorCounts[s.attributes['error.type'] as string] ?? 0) + 1;
    const pointCounts: Record<string, number> = {};
    for (const p of duration.points) if (p.attributes['error.type']) pointCounts[p.attributes['error.type'] as string] = (pointCounts[p.attributes['error.type'] as string] ?? 0) + p.count;
    expect(pointCounts).toEqual(errorCounts);

    const b = await exportTo({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(b.res.code, b.res.stderr).toBe(0);
    // The metrics of a second export are the same points (times and all), in the same recording's series: a backend
    // that already has them gets nothing new, instead of the totals twice.
    const ma = a.rx.metricRequests.at(-1)!;
    const mb = b.rx.metricRequests.at(-1)!;
    expect(mb).toEqual(ma);
    const instance = ma[0]!.resource['service.instance.id'];
    expect(instance).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(a.rx.spans.every((s) => s.resource['service.instance.id'] === instance)).toBe(true);
    const startNs = q("SELECT value FROM meta WHERE key = 'start_ns'")[0]!['value'];
    const lastEnd = q('SELECT MAX(COALESCE(end_ns, first_token_ns, start_ns)) AS e FROM llm_calls WHERE session_id IS NOT NULL')[0]!['e'];
    for (const p of ma.flatMap((m) => m.points)) {
      expect(Math.abs(Number(p.startNs) - Number(startNs))).toBeLessThan(1000);
      expect(Math.abs(Number(p.timeNs) - Number(lastEnd))).toBeLessThan(1000);
    }
    expect(b.rx.spans.map((s) => `${s.traceId}/${s.spanId}/${s.parentSpanId}/${s.startNs}/${s.endNs}`).sort()).toEqual(
      spans.map((s) => `${s.traceId}/${s.spanId}/${s.parentSpanId}/${s.startNs}/${s.endNs}`).sort(),
    );
  });

  it('with --otel-content, puts the messages in the conventions\' format', { timeout: 120_000 }, async () => {
    const { rx, res } = await exportTo({}, undefined, ['--otel-content']);
    expect(res.code, res.stderr).toBe(0);
    const chat = rx.spans.find((s) => s.attributes['gen_ai.operation.name'] === 'chat' && s.attributes['gen_ai.output.messages'])!;
    const input = JSON.parse(chat.attributes['gen_ai.input.messages'] as string) as Array<{ role: string; parts: Array<{ type: string }> }>;
    expect(input.length).toBeGreaterThan(0);
    expect(input.every((m) => typeof m.role === 'string' && Array.isArray(m.parts))).toBe(true);
    const output = JSON.parse(chat.attributes['gen_ai.output.messages'] as string);
    expect(output[0].role).toBe('assistant');
    expect(output[0].parts[0].type).toBe('text');
  });

  it('counts and says what a refusing collector did not take, and exits 1', { timeout: 120_000 }, async () => {
    const { rx, res } = await exportTo({}, (r) => r.refuseFor(60_000, 401));
    expect(res.code).toBe(1);
    expect(rx.spans).toEqual([]);
    expect(res.stderr).toMatch(/^agentsight: otel export INCOMPLETE: \d+ spans and the metrics NOT delivered \(HTTP 401[^\n]*\); exported 0 of \d+ spans/);
    expect(res.stderr.trim().split('\n').length).toBe(1);
  });

  it('refuses bad OTEL_* variables and bad files in one line, exit 2', { timeout: 300_000 }, async () => {
    for (const [extra, msg] of [
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/],
      [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/xml' }, /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http\/xml is not supported/],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, /not a URL/],
    ] as const) {
      const r = await runAsync(process.execPath, [CLI, 'report', 'otel', '--db', db], { env: env(extra) });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n').length).toBe(1);
    }
    const json = await runAsync(process.execPath, [CLI, 'report', 'otel', '--json', '--db', db], { env: env({}) });
    expect(json.code).toBe(2);
    expect(json.stderr).toBe('agentsight: --json does not apply to `report otel` (it prints one line)\n');
    const missing = await runAsync(process.execPath, [CLI, 'report', 'otel', '--db', path.join(dir, 'nope.db')], { env: env({}) });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n').length).toBe(1);
  });
});
