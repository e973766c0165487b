/**
 * Secret redaction for headers and URLs. Everything the HTTP decoder emits passes through here, so no
 * credential reaches the store (command lines go through redact-command.ts, which ends here too). A redacted value
 * keeps its length and 8 hex digits of an HMAC-SHA256 under a key drawn at random when this process starts and kept
 * only in memory: within one recording the same key used twice looks the same, but nobody holding the file can
 * confirm a guessed password or cookie (a plain hash could be checked against every guess).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { REDACTED_PREFIX } from '../../store/types';

/** Per process, so per recording; never written anywhere. */
const FINGERPRINT_KEY = randomBytes(32);

export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'x-goog-api-key',
  'api-key',
  'cookie',
  'set-cookie',
]);

export const SECRET_QUERY_PARAMS: ReadonlySet<string> = new Set([
  'key', 'api_key', 'apikey', 'access_token', 'token', 'auth_token', 'refresh_token', 'id_token',
  'password', 'passwd', 'secret', 'client_secret', 'sig', 'signature', 'x-amz-signature', 'x-amz-security-token',
]);

type SecretListener = (value: string) => void;
const listeners = new Set<SecretListener>();

/**
 * Be told every secret value this module redacts. The TLS layer uses it to scrub the same values out of the raw
 * plaintext chunks it keeps, where they also appear (HPACK-encoded under HTTP/2). Returns an unsubscribe function.
 */
export function onSecretSeen(fn: SecretListener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function redactValue(value: string): string {
  for (const fn of listeners) fn(value);
  const digest = createHmac('sha256', FINGERPRINT_KEY).update(value).digest('hex').slice(0, 8);
  return `${REDACTED_PREFIX} len=${Buffer.byteLength(value)} hmac:${digest}]`;
}

/** Already redacted (or starts like it): left as it is, so redacting twice changes nothing. */
export function isRedacted(value: string): boolean {
  return value.startsWith(REDACTED_PREFIX);
}

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase());
}

/** Headers whose value is a URL that may carry `key=` and similar query parameters. */
const URL_HEADERS: ReadonlySet<string> = new Set([':path', 'referer', 'location', 'content-location']);

export function redactHeader(name: string, value: string): string {
  const n = name.toLowerCase();
  if (SECRET_HEADERS.has(n)) return redactValue(value);
  if (URL_HEADERS.has(n)) return redactUrl(value);
  return value;
}

export function redactHeaders(headers: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  return headers.map(([n, v]) => [n, redactHeader(n, v)]);
}

/** Redacts secret query parameters of a request target or absolute URL; the rest stays byte-identical. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hashAt = url.indexOf('#', q);
  const query = hashAt < 0 ? url.slice(q + 1) : url.slice(q + 1, hashAt);
  const tail = hashAt < 0 ? '' : url.slice(hashAt);
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    if (eq < 0) return part;
    const name = part.slice(0, eq);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // Malformed escapes: compare the raw name.
    }
    const value = part.slice(eq + 1);
    if (!SECRET_QUERY_PARAMS.has(decoded.toLowerCase()) || value === '' || isRedacted(value)) return part;
    return `${name}=${redactValue(value)}`;
  });
  return `${url.slice(0, q + 1)}${parts.join('&')}${tail}`;
}
