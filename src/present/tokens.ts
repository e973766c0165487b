import { tokenFigures, type StoredUsage, type TokenFigures } from '../store/figures';
import { formatCount } from './units';

/**
 * Tokens by kind as every view prints them (docs/figures.md): `in 144 out 12 cache read 72 cache write 72`, where
 * `in` is the uncached prompt tokens only (tokenFigures), so no token is counted twice; zero cache kinds are left out.
 */
export function formatTokens(t: TokenFigures): string {
  return `in ${formatCount(t.inputTokens)} out ${formatCount(t.outputTokens)}` +
    (t.cacheReadTokens > 0 ? ` cache read ${formatCount(t.cacheReadTokens)}` : '') +
    (t.cacheWriteTokens > 0 ? ` cache write ${formatCount(t.cacheWriteTokens)}` : '');
}

/** A call's tokens (stored usage): formatTokens, or `tokens ?` when the call reported no usage. */
export function formatCallTokens(c: StoredUsage): string {
  return c.inputTokens == null && c.outputTokens == null ? 'tokens ?' : formatTokens(tokenFigures(c));
}
