/**
 * Cost of one model call in USD, from @pydantic/genai-prices' bundled price data (works offline on Node 20:
 * we never call its updatePrices(), so it never fetches). Unknown model or missing usage ⇒ null, never 0.
 *
 * genai-prices counts input_tokens as *all* prompt tokens with cache reads/writes as parts of it, which is
 * our LlmUsage convention (see types.ts), so the figures pass through unchanged.
 */
import { calcPrice } from '@pydantic/genai-prices';
import type { LlmUsage, ProviderId } from './types';

const PROVIDER_IDS: Record<ProviderId, string | undefined> = {
  anthropic: 'anthropic',
  'openai-chat': 'openai',
  'openai-responses': 'openai',
  gemini: 'google',
  unknown: undefined,
};

export function costUsd(provider: ProviderId, model: string | null, usage: LlmUsage): number | null {
  if (!model || usage.inputTokens === null || usage.outputTokens === null) return null;
  const u: Record<string, number> = { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens };
  if (usage.cacheReadTokens) u.cache_read_tokens = usage.cacheReadTokens;
  if (usage.cacheWriteTokens) u.cache_write_tokens = usage.cacheWriteTokens;
  try {
    const providerId = PROVIDER_IDS[provider];
    const r = calcPrice(u, model, providerId ? { providerId } : {});
    if (!r || !Number.isFinite(r.total_price)) return null;
    return r.total_price;
  } catch {
    return null;
  }
}
