/**
 * The one definition of the figures every view shows (docs/figures.md): tokens by kind and files changed. Views
 * (TUI, `top --once`, `report`, `record`'s summary) and their JSON read these, never the stored columns directly.
 *
 * Tokens: the store keeps usage in the collector's convention (src/protocols/llm/types.ts: inputTokens = every
 * prompt token, cached ones included). Every view shows disjoint kinds instead, as ccusage does: input = uncached
 * prompt tokens, cacheRead / cacheWrite = prompt tokens served from / written to the prompt cache, output = every
 * generated token (reasoning included), reasoning = the thinking part of output (not added again).
 * total = input + cacheRead + cacheWrite + output = every prompt token + output.
 */

/** Usage as stored (a call row, or the collector's usage). */
export interface StoredUsage {
  inputTokens?: number | null;
  outputTokens?: number | null;
  cacheReadTokens?: number | null;
  cacheWriteTokens?: number | null;
  reasoningTokens?: number | null;
}

import type { TokenFigures } from './shapes';

export type { TokenFigures };

const n = (x: number | null | undefined): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

/** Stored usage → the views' disjoint kinds. */
export function tokenFigures(u: StoredUsage): TokenFigures {
  const cacheRead = n(u.cacheReadTokens);
  const cacheWrite = n(u.cacheWriteTokens);
  const input = Math.max(0, n(u.inputTokens) - cacheRead - cacheWrite);
  const output = n(u.outputTokens);
  return {
    inputTokens: input,
    outputTokens: output,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    reasoningTokens: n(u.reasoningTokens),
    totalTokens: input + cacheRead + cacheWrite + output,
  };
}

/** A summed cost as every view and JSON output carries it: to the micro-dollar, so float noise never differs. */
export function costFigure(usd: number | null): number | null {
  return usd === null || !Number.isFinite(usd) ? null : Math.round(usd * 1e6) / 1e6;
}
