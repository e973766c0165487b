/**
 * One LLM call's usage and cost as one fact: cost, calls and time, and its tokens by kind (each kind a leaf frame in
 * the views that show kinds). Shared by the recording and --local sources so both count tokens and money the same way.
 */
import { callTokensFromCounts } from './token-split';
import { VALUE_INDEX, zeroValues, type Attrs, type Fact } from './sample-model';
import type { TokenCounts } from '../usage';

export const UNKNOWN_PRICE_LABELS: Readonly<Record<string, string>> = { price: 'unknown' };

/**
 * Costs become integer micro-USD by rounding the running sum, not each call: the profile's total is then exactly
 * the micro-dollar figure `report` and `report token` print (costFigure of the same sum in the same order), and each
 * call is within a micro-dollar of its own cost.
 */
export class MicroDollars {
  private sum = 0;
  private prev = 0;

  add(usd: number): number {
    this.sum += usd;
    const cum = Math.round(this.sum * 1e6);
    const micro = cum - this.prev;
    this.prev = cum;
    return micro;
  }
}

export interface CallFactInput {
  attrs: Attrs;
  tokens: TokenCounts;
  /** Micro-USD from MicroDollars, or null when the price is unknown. */
  costMicro: number | null;
  timeMs: number;
}

export function pushCallFacts(out: Fact[], c: CallFactInput): void {
  const values = zeroValues();
  values[VALUE_INDEX.calls] = 1;
  values[VALUE_INDEX.cost] = c.costMicro ?? 0;
  values[VALUE_INDEX.time] = c.timeMs;
  out.push({ attrs: c.attrs, values, tokensByKind: callTokensFromCounts(c.tokens), labels: c.costMicro === null ? UNKNOWN_PRICE_LABELS : undefined });
}
