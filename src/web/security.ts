/**
 * Who may talk to the web UI. The page shows prompts, commands and file paths: it is served only to whoever holds
 * the random token printed with its URL, and only under the address it is bound to.
 *
 * - Token: `?token=` on the first load (the printed URL), then an HttpOnly SameSite=Strict cookie (named per port); any route or API
 *   without it is 401. Compared in constant time.
 * - Host header: must name the bound address (or `localhost` for a loopback one) with its port. Anything else is a
 *   DNS-rebinding page in the user's browser talking to us under a name it controls: 421.
 * - No CORS headers are ever sent, so other origins cannot read answers.
 */
import crypto from 'node:crypto';
import type http from 'node:http';

/**
 * The cookie's name carries the port: browsers send a host's cookies to every port of it, so two servers on
 * 127.0.0.1 (a `record` and a `report serve`) would otherwise overwrite each other's token.
 */
export function tokenCookieName(port: number): string {
  return `agentsight_token_${port}`;
}

export function newToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

/** Loopback names and addresses: the only ones bound without the user asking for another. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Host header values that name this server: host:port as bound (IPv6 in brackets), and localhost:port on loopback. */
export function allowedHosts(host: string, port: number): Set<string> {
  const h = host.includes(':') ? `[${host}]` : host;
  const out = new Set([`${h}:${port}`]);
  if (isLoopback(host)) out.add(`localhost:${port}`);
  return out;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function cookieToken(req: http.IncomingMessage, name: string): string | null {
  const c = req.headers.cookie;
  if (!c) return null;
  for (const part of c.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

export type Verdict = { ok: true; setCookie: boolean } | { ok: false; status: number; message: string };

/** Check one request: Host first (a rebinding page must learn nothing, not even that a token is needed), then token. */
export function checkRequest(req: http.IncomingMessage, url: URL, token: string, hosts: Set<string>, port: number): Verdict {
  const host = req.headers.host;
  if (!host || !hosts.has(host.toLowerCase())) return { ok: false, status: 421, message: 'wrong Host header' };
  const q = url.searchParams.get('token');
  if (q !== null && sameToken(q, token)) return { ok: true, setCookie: true };
  const c = cookieToken(req, tokenCookieName(port));
  if (c !== null && sameToken(c, token)) return { ok: true, setCookie: false };
  return { ok: false, status: 401, message: 'missing or wrong access token (open the URL agentsight printed)' };
}

export function tokenCookie(token: string, port: number): string {
  return `${tokenCookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}
