/**
 * OpenTelemetry export cost (issue 17): what `record --otel` pays per live step (re-reading the recording's calls,
 * tool calls, links and processes when everything is already sent) and what `report otel` pays to build a
 * recording's spans, on a fixture recording of 2000 model calls (src/fixtures/generate-db.ts), min of rounds.
 * No network: the spans are built and converted for the exporter, not sent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateFixtureDb } from '../fixtures/generate-db';
import { openRecording } from '../store';
import { recordingKey } from '../export/otel/ids';
import { SCOPE, toReadableSpan } from '../export/otel/readable-span';
import { buildSpans } from '../export/otel/span-model';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { BenchResult } from './types';

const CALLS = 2000;
const ROUNDS = 5;

export async function runOtelBench(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-otel-bench-'));
  try {
    const file = path.join(dir, 'fixture.db');
    const fx = generateFixtureDb(file, { sessions: 8, llmCalls: CALLS, events: 200_000, seed: 3 });
    const reader = openRecording(file);
    const key = recordingKey(reader);
    const resource = resourceFromAttributes({ 'service.name': 'bench' });
    let full = Infinity;
    let step = Infinity;
    let spans = 0;
    for (let r = 0; r < ROUNDS; r++) {
      let t = process.hrtime.bigint();
      const all = buildSpans(reader, { key, content: false });
      for (const s of all) toReadableSpan(s, resource, SCOPE);
      full = Math.min(full, Number(process.hrtime.bigint() - t) / 1e6);
      spans = all.length;
      const sent = new Set(all.map((s) => s.spanId));
      t = process.hrtime.bigint();
      buildSpans(reader, { key, content: false, settledBeforeNs: Date.now() * 1e6, sent });
      step = Math.min(step, Number(process.hrtime.bigint() - t) / 1e6);
    }
    reader.close();
    const detail = `fixture: ${fx.llmCalls} calls, ${fx.toolCalls} tool calls, ${fx.processes} processes → ${spans} spans; min of ${ROUNDS}`;
    return [
      { name: 'report otel: build + convert all spans', value: Math.round(full), unit: 'ms', detail },
      { name: 'record --otel: one live step, all sent', value: Math.round(step), unit: 'ms', detail: `${detail}; the next step waits ≥ 20× this (live-otel.ts)` },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
