import { describe, expect, it } from 'vitest';
import { costUsd } from '../../../src/protocols/llm/cost';
import { emptyUsage } from '../../../src/protocols/llm/types';

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

  it('matches genai-prices calcPrice exactly for flat and tiered models', () => {
    const { calcPrice } = require('@pydantic/genai-prices') as typeof import('@pydantic/genai-prices');
    const cases: Array<[Parameters<typeof costUsd>[0], string, string, number, number, number, number]> = [
      ['anthropic', 'anthropic', 'claude-sonnet-4-5-20250929', 5000, 700, 1200, 300],
      ['anthropic', 'anthropic', 'claude-opus-4-1', 100, 10, 0, 0],
      ['openai-chat', 'openai', 'gpt-4o', 3000, 200, 1000, 0],
      ['openai-responses', 'openai', 'gpt-5', 3000, 200, 1000, 0],
      ['gemini', 'google', 'gemini-2.5-pro', 250_000, 2000, 10_000, 0],
      ['gemini', 'google', 'gemini-2.5-flash', 1000, 100, 0, 0],
    ];
    for (const [prov, pid, model, input, output, read, write] of cases) {
      const u: Record<string, number> = { input_tokens: input, output_tokens: output };
      if (read) u.cache_read_tokens = read;
      if (write) u.cache_write_tokens = write;
      const expected = calcPrice(u, model, { providerId: pid })!.total_price;
      expect(costUsd(prov, model, usage(input, output, read, write))).toBeCloseTo(expected, 12);
    }
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
