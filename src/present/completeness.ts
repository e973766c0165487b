/** The completeness verdict (Store.completeness()) in words, the same on every surface. */
import type { Completeness } from '../store/store';
import { plural } from './plural';
import { formatBytes, formatCount } from './units';

/**
 * A completeness verdict in one line, the same on every surface (record's summary, top, --once, report):
 * `complete: 30 of 30 TLS connections decrypted; 30 LLM calls, 1410 tokens; nothing lost` or
 * `INCOMPLETE: 0 of 1 TLS connection decrypted; 0 LLM calls, 0 tokens; not decrypted: tls:not-probed 1 (2.8KiB)`.
 * Counts are exact integers so surfaces can be compared figure by figure.
 */
export function completenessText(c: Completeness): string {
  const notDecrypted = c.tlsNotDecrypted.reduce((n, x) => n + x.connections, 0);
  const parts = [
    `${c.tlsDecrypted} of ${plural(c.tlsDecrypted + notDecrypted, 'TLS connection')} decrypted`,
    `${plural(c.llmCalls, 'LLM call')}, ${plural(c.tokens, 'token')}`,
  ];
  if (c.tlsNotDecrypted.length > 0) {
    parts.push(`not decrypted: ${c.tlsNotDecrypted.map((x) => `${x.reason} ${x.connections} (${formatBytes(x.bytes)})`).join(', ')}`);
  }
  if (c.stoppedEarly) parts.push('the recording stopped before its end');
  if (c.lost.length > 0) parts.push(`lost: ${c.lost.map((l) => `${l.source} ${l.count}${l.bytes > 0 ? ` (${formatBytes(l.bytes)})` : ''}`).join(', ')}`);
  else if (c.complete) parts.push('nothing lost');
  return `${c.complete ? 'complete' : 'INCOMPLETE'}: ${parts.join('; ')}`;
}

/** The completeness verdict in a few words, for the TUI header: `complete`, `INCOMPLETE: 1 TLS not decrypted, 3 lost`. */
export function completenessBadge(c: Completeness): string {
  if (c.complete) return 'complete';
  const notDecrypted = c.tlsNotDecrypted.reduce((n, x) => n + x.connections, 0);
  const lost = c.lost.reduce((n, l) => n + l.count, 0);
  return `INCOMPLETE: ${[notDecrypted > 0 ? `${notDecrypted} TLS not decrypted` : '', lost > 0 ? `${formatCount(lost)} lost` : '', c.stoppedEarly ? 'stopped early' : ''].filter(Boolean).join(', ')}`;
}

/** One line per not-decrypted TLS connection a verdict names (`tls:not-probed: TLS connection to … not decrypted: …`). */
export function notDecryptedLines(c: Completeness): string[] {
  const named = c.tlsNotDecryptedConnections.map((x) => `${x.reason}: ${x.detail ?? `${formatBytes(x.bytes)} not decrypted`}`);
  const total = c.tlsNotDecrypted.reduce((n, x) => n + x.connections, 0);
  if (total > named.length) named.push(`… and ${total - named.length} more`);
  return named;
}
