/**
 * Cost of one model call in USD, from @pydantic/genai-prices' bundled price data (works offline on Node 20:
 * we never call its updatePrices(), so it never fetches). Unknown model or missing usage ⇒ null, never 0.
 *
 * genai-prices counts input_tokens as *all* prompt tokens with cache reads/writes as parts of it, which is
 * our LlmUsage convention (see types.ts), so the figures pass through unchanged.
 */
import type { calcPrice as CalcPrice } from '@pydantic/genai-prices';
import type { LlmUsage, ProviderId } from './types';

const PROVIDER_IDS: Record<ProviderId, string | undefined> = {
  anthropic: 'anthropic',
  'openai-chat': 'openai',
  'openai-responses': 'openai',
  gemini: 'google',
  unknown: undefined,
};

/** USD per token for a model whose prices are flat (no tiers, no time-of-day rules). */
interface FlatRates {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/**
 * calcPrice matches the model name against the whole price list on every call (~0.2 ms). Flat-priced models get
 * their per-token rates cached; tiered or conditional ones ('direct') go through calcPrice each time.
 */
let calcPriceFn: typeof CalcPrice | undefined;

/** The price list is a 480 KB module (~0.1 s to parse): loaded at the first priced call, not at every start-up. */
function calcPrice(...args: Parameters<typeof CalcPrice>): ReturnType<typeof CalcPrice> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  calcPriceFn ??= (require('@pydantic/genai-prices') as typeof import('@pydantic/genai-prices')).calcPrice;
  return calcPriceFn(...args);
}

const rateCache = new Map<string, FlatRates | 'direct' | null>();
const RATE_CACHE_MAX = 1000;

function price(u: Record<string, number>, model: string, provider: ProviderId): PriceResult {
  const providerId = PROVIDER_IDS[provider];
  try {
    const r = calcPrice(u, model, providerId ? { providerId } : {});
    return r && Number.isFinite(r.total_price) ? r : null;
  } catch {
    return null;
  }
}

type PriceResult = ReturnType<typeof CalcPrice>;

function ratesFor(provider: ProviderId, model: string): FlatRates | 'direct' | null {
  const key = `${provider}\0${model}`;
  const hit = rateCache.get(key);
  if (hit !== undefined) return hit;
  let v: FlatRates | 'direct' | null;
  const probe = price({ input_tokens: 1e6, output_tokens: 1e6 }, model, provider);
  if (!probe) v = null;
  else {
    const flat = !Array.isArray(probe.model.prices) && Object.values(probe.model_price).every((x) => x === undefined || typeof x === 'number');
    if (!flat) v = 'direct';
    else {
      const mp = probe.model_price as Record<string, number | undefined>;
      const perTok = (k: string, fallback: number): number => (typeof mp[k] === 'number' ? mp[k]! / 1e6 : fallback);
      const input = perTok('input_mtok', 0);
      v = { input, output: perTok('output_mtok', 0), cacheRead: perTok('cache_read_mtok', input), cacheWrite: perTok('cache_write_mtok', input) };
    }
  }
  if (rateCache.size >= RATE_CACHE_MAX) rateCache.clear();
  rateCache.set(key, v);
  return v;
}

export function costUsd(provider: ProviderId, model: string | null, usage: LlmUsage): number | null {
  if (!model || usage.inputTokens === null || usage.outputTokens === null) return null;
  const read = usage.cacheReadTokens ?? 0;
  const write = usage.cacheWriteTokens ?? 0;
  const rates = ratesFor(provider, model);
  if (rates === null) return null;
  if (rates !== 'direct') {
    const uncached = Math.max(0, usage.inputTokens - read - write);
    return uncached * rates.input + read * rates.cacheRead + write * rates.cacheWrite + usage.outputTokens * rates.output;
  }
  const u: Record<string, number> = { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens };
  if (read) u.cache_read_tokens = read;
  if (write) u.cache_write_tokens = write;
  return price(u, model, provider)?.total_price ?? null;
}
