/** The page's side of the API (docs/web-api.md): fetch with the session cookie, and follow a live recording. */
import { useEffect, useState } from 'preact/hooks';
import type { ApiAnswers, ApiRoute } from '../wire';

/** GET a route's answer, typed by the route (src/web/wire.ts declares each answer for the server and the page). */
export async function getJson<R extends ApiRoute>(path: R, params: Record<string, string | number | undefined | null> = {}): Promise<ApiAnswers[R]> {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  const res = await fetch(u, { credentials: 'same-origin' });
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error((body as { error?: string }).error ?? `HTTP ${res.status}`);
  return body as ApiAnswers[R];
}

export const LIVE = document.querySelector('meta[name="agentsight-mode"]')?.getAttribute('content') === 'live';

/** Fired on window when the live recording has new rows; detail: { mark, previous }. */
export const CHANGE_EVENT = 'agentsight-change';

/** One EventSource per page: the server sends a `change` with the newest mark; a reconnect resumes from the last id. */
export function startStream(onState: (s: 'live' | 'reconnecting' | 'ended') => void): void {
  if (!LIVE) return;
  const es = new EventSource('/api/v1/stream');
  es.addEventListener('open', () => onState('live'));
  let ended = false;
  es.addEventListener('error', () => !ended && onState('reconnecting'));
  es.addEventListener('end', () => {
    ended = true;
    es.close();
    onState('ended');
  });
  es.addEventListener('change', (e) => window.dispatchEvent(new CustomEvent(CHANGE_EVENT, { detail: JSON.parse((e as MessageEvent).data) })));
}

/** Fetch a view's data; refetch when a live recording changes (at most once a second, the 1 s a row may take). */
export function useApi<R extends ApiRoute>(path: R, params: Record<string, string | number | undefined | null>): { data: ApiAnswers[R] | null; error: string | null } {
  const [data, setData] = useState<ApiAnswers[R] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(params);
  useEffect(() => {
    let stopped = false;
    let pending = false;
    let lastAt = 0;
    const load = () => {
      if (pending) return;
      pending = true;
      lastAt = Date.now();
      getJson(path, params)
        .then((d) => !stopped && (setData(d), setError(null)))
        .catch((e: Error) => !stopped && setError(e.message))
        .finally(() => (pending = false));
    };
    load();
    let timer: number | undefined;
    const onChange = () => {
      if (timer !== undefined) return;
      timer = window.setTimeout(() => {
        timer = undefined;
        load();
      }, Math.max(0, 500 - (Date.now() - lastAt)));
    };
    window.addEventListener(CHANGE_EVENT, onChange);
    return () => {
      stopped = true;
      window.removeEventListener(CHANGE_EVENT, onChange);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [path, key]);
  return { data, error };
}

/** Query string of the current page. */
export function param(name: string): string | null {
  return new URLSearchParams(location.search).get(name);
}

/** A link to another view keeping the session filter (every view filters by session and links to the others). */
export function href(page: string, params: Record<string, string | number | undefined | null> = {}): string {
  const u = new URLSearchParams();
  const session = params['session'] !== undefined ? params['session'] : param('session');
  if (session !== null && session !== undefined && session !== '') u.set('session', String(session));
  for (const [k, v] of Object.entries(params)) if (k !== 'session' && v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const q = u.toString();
  return q ? `${page}?${q}` : page;
}

/** Wall-clock time of a Unix-ns timestamp, UTC, to the millisecond (the pages say UTC in their header). */
export function clock(ns: number | null | undefined): string {
  if (ns === null || ns === undefined) return '—';
  return new Date(ns / 1e6).toISOString().slice(11, 23);
}
