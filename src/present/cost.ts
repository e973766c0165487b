/**
 * The one cost formatter of every view (docs/figures.md): $0 for nothing spent, four decimals below $1 so small calls
 * do not all read $0.00 ($0.0012), cents from $1 ($12.35). An unknown price prints `$?`, never a made-up zero; with
 * `unknownCalls` > 0 a known sum is a lower bound and gets a `+` ($0.0012+).
 */
export function formatCost(usd: number | null | undefined, unknownCalls = 0): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '$?';
  const text = usd === 0 ? '$0' : usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
  return unknownCalls > 0 ? `${text}+` : text;
}
