/**
 * The views' disjoint token kinds (src/store/figures.ts) as the profile's leaf frames. Output includes reasoning
 * there ("reasoning is not added again"); a leaf frame cannot overlap its sibling, so the `output` leaf holds the
 * non-reasoning part and `reasoning` the rest: the five leaves add up to totalTokens, the total `report token` prints.
 */
import type { TokenCounts } from '../usage';

/** [input, cache read, cache write, output without reasoning, reasoning] — TOKEN_KINDS order. */
export function callTokensFromCounts(t: TokenCounts): [number, number, number, number, number] {
  // Reasoning above output would be a provider's bookkeeping error; it is capped so the total stays the views'.
  const reasoning = Math.min(Math.max(0, t.reasoning), t.output);
  return [t.input, t.cacheRead, t.cacheWrite, t.output - reasoning, reasoning];
}
