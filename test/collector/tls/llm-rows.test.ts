import { describe, expect, it } from 'vitest';
import { toHttpExchangeRow, toLlmCallRow, toToolCallRow } from '../../../src/collector/tls/llm-rows';
import { decodeFixture, loadFixture } from '../../protocols/llm/fixture-util';

describe('row mapping', () => {
  it('maps an exchange, its LLM call and tool calls onto store rows', () => {
    const d = decodeFixture(loadFixture('anthropic-stream-h2'));
    const ex = d.exchanges[0]!;
    const row = toHttpExchangeRow(ex, { id: 10, connId: 4, processId: 7, sessionId: 3 });
    expect(row).toMatchObject({ id: 10, connId: 4, streamId: 1, protocol: 'h2', method: 'POST', status: 200, complete: true, error: null });
    expect(JSON.parse(row.reqHeaders)).toContainEqual([':method', 'POST']);
    const { call, toolCalls } = d.calls[0]!;
    const c = toLlmCallRow(call, { id: 20, exchangeId: 10, sessionId: 3, processId: 7 });
    expect(c).toMatchObject({ id: 20, exchangeId: 10, provider: 'anthropic', streaming: true, incomplete: false, costUsd: call.costUsd });
    // Every LlmCallRow column is filled (undefined would mean a missing mapping).
    for (const [k, v] of Object.entries(c)) expect(v, k).not.toBeUndefined();
    expect(Object.keys(c).sort()).toEqual(Object.keys(toLlmCallRow(call, { id: 0, exchangeId: null, sessionId: null, processId: null })).sort());
    const t = toToolCallRow(toolCalls[0]!, { id: 30, llmCallId: 20, sessionId: 3 });
    expect(t).toMatchObject({ id: 30, llmCallId: 20, callId: 'toolu_fake000001', name: 'Bash', resultLlmCallId: null });
  });
});
