/**
 * What the benches that compare interleaved runs share: the median (the mean of the middle two for an even count;
 * NaN for none) and a pause. Older benches keep copies of their own (some take the upper middle for an even count).
 */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
