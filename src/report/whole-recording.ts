/**
 * Time bound for "the whole recording". The store's time queries default `atNs` to Number.MAX_SAFE_INTEGER
 * (9.0e15), which is below every real Unix-ns timestamp (1.7e18 in 2026), so a query without atNs finds nothing in a
 * real recording. Passing the largest double makes the bound explicit and stays correct once the default is fixed.
 */
export const WHOLE_RECORDING = { atNs: Number.MAX_VALUE } as const;
