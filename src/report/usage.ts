/**
 * Token and cost sums, shared by the recording reports and `report --local`.
 *
 * Token kinds are those of every view, defined once in src/store/figures.ts (tokenFigures; docs/figures.md).
 */
import type { LlmUsage } from '../protocols/llm/types';
import { costFigure, tokenFigures } from '../store/figures';

export interface TokenCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

export interface UsageTotals extends TokenCounts {
  calls: number;
  /** input + output + cacheRead + cacheWrite. */
  total: number;
  /** Sum of the known costs; null when no call had a known cost. */
  costUsd: number | null;
  /** Calls whose cost is unknown (unknown model or missing usage): the cost above is then a lower bound. */
  unknownCostCalls: number;
}

export function emptyTotals(): UsageTotals {
  return { calls: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0, total: 0, costUsd: null, unknownCostCalls: 0 };
}

export function addUsage(t: UsageTotals, u: Partial<TokenCounts>, costUsd: number | null): void {
  const n = (x: number | undefined | null) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  t.calls += 1;
  t.input += n(u.input);
  t.output += n(u.output);
  t.cacheRead += n(u.cacheRead);
  t.cacheWrite += n(u.cacheWrite);
  t.reasoning += n(u.reasoning);
  t.total = t.input + t.output + t.cacheRead + t.cacheWrite;
  if (costUsd === null || !Number.isFinite(costUsd)) t.unknownCostCalls += 1;
  else t.costUsd = (t.costUsd ?? 0) + costUsd;
}

export function mergeTotals(into: UsageTotals, from: UsageTotals): void {
  into.calls += from.calls;
  into.input += from.input;
  into.output += from.output;
  into.cacheRead += from.cacheRead;
  into.cacheWrite += from.cacheWrite;
  into.reasoning += from.reasoning;
  into.total = into.input + into.output + into.cacheRead + into.cacheWrite;
  into.unknownCostCalls += from.unknownCostCalls;
  if (from.costUsd !== null) into.costUsd = (into.costUsd ?? 0) + from.costUsd;
}

/** Group items by a key and sum their usage; rows come back in first-seen order. */
export function groupUsage<T>(
  items: readonly T[],
  key: (item: T) => string,
  usage: (item: T) => Partial<TokenCounts>,
  cost: (item: T) => number | null,
): Map<string, UsageTotals> {
  const out = new Map<string, UsageTotals>();
  for (const it of items) {
    const k = key(it);
    let t = out.get(k);
    if (!t) {
      t = emptyTotals();
      out.set(k, t);
    }
    addUsage(t, usage(it), cost(it));
  }
  return out;
}

/** JSON shape of UsageTotals (documented in docs/schemas/usage-totals). */
export function totalsJson(t: UsageTotals): Record<string, number | null> {
  return {
    calls: t.calls,
    inputTokens: t.input,
    outputTokens: t.output,
    cacheReadTokens: t.cacheRead,
    cacheWriteTokens: t.cacheWrite,
    reasoningTokens: t.reasoning,
    totalTokens: t.total,
    costUsd: costFigure(t.costUsd),
    unknownCostCalls: t.unknownCostCalls,
  };
}


/** Collector usage (input includes the cached parts) → the report's disjoint kinds. */
export function fromLlmUsage(u: LlmUsage): TokenCounts {
  const t = tokenFigures(u);
  return { input: t.inputTokens, output: t.outputTokens, cacheRead: t.cacheReadTokens, cacheWrite: t.cacheWriteTokens, reasoning: t.reasoningTokens };
}
