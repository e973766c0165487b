import { describe, expect, it } from 'vitest';
import { costUsd } from '../../../src/collector/llm/cost';
import { emptyUsage } from '../../../src/collector/llm/types';

const usage = (input: number, output: number, read = 0, write = 0) => ({ ...emptyUsage(), inputTokens: input, outputTokens: output, cacheReadTokens: read, cacheWriteTokens: write });

describe('cost', () => {
  it('prices a known Anthropic model with cache reads and writes', () => {
    // claude-sonnet-4-5: $3/M input, $15/M output, $0.30/M cache read, $3.75/M cache write (genai-prices data).
    const c = costUsd('anthropic', 'claude-sonnet-4-5-20250929', usage(1000, 500, 200, 100));
    expect(c).toBeCloseTo(700 * 3e-6 + 200 * 0.3e-6 + 100 * 3.75e-6 + 500 * 15e-6, 9);
  });

  it('prices OpenAI and Gemini models', () => {
    expect(costUsd('openai-responses', 'gpt-4o-mini', usage(1000, 1000))).toBeGreaterThan(0);
    expect(costUsd('gemini', 'gemini-2.5-pro', usage(1000, 1000))).toBeGreaterThan(0);
  });

  it('returns null (not 0) for unknown models and missing usage', () => {
    expect(costUsd('anthropic', 'fake-model-xyz', usage(10, 10))).toBeNull();
    expect(costUsd('anthropic', null, usage(10, 10))).toBeNull();
    expect(costUsd('anthropic', 'claude-sonnet-4-5', emptyUsage())).toBeNull();
  });

  it('zero tokens cost zero for a known model', () => {
    expect(costUsd('openai-chat', 'gpt-4o', usage(0, 0))).toBe(0);
  });
});
