/**
 * The web UI's HTTP server (Node's http: five pages, a JSON API and one event stream need no framework). Every
 * request passes security.ts first; pages are the one bundled app (dist/web/ui, built by `make build`), the API is
 * api.ts over a RecordingReader, and /api/v1/stream tells open pages, by Server-Sent Events, that rows were added.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { RecordingReader } from '../store';
import * as api from './api';
import { allowedHosts, checkRequest, newToken, tokenCookie } from './security';
import type { ApiAnswers, ApiRoute } from './wire';

/** Where `make build` puts the bundled front end. */
export const UI_DIR = path.join(__dirname, 'ui');

/** Pages: each is the same app, which draws the view its path names. */
const PAGES = new Set(['/', '/timeline', '/tree', '/logs', '/metrics']);

const ASSETS: Record<string, string> = {
  '/app.js': 'application/javascript; charset=utf-8',
  '/app.css': 'text/css; charset=utf-8',
};

type Handler<T = unknown> = (r: RecordingReader, p: URLSearchParams) => T;

/** API routes as data: path → handler, each answering the type wire.ts declares for its route (info: below). */
const API: { [R in Exclude<ApiRoute, '/api/v1/info'>]: Handler<ApiAnswers[R]> } = {
  '/api/v1/overview': api.overview,
  '/api/v1/timeline': api.timeline,
  '/api/v1/tree': api.tree,
  '/api/v1/llm-call': api.llmCall,
  '/api/v1/logs': api.logs,
  '/api/v1/logs/since': api.logsSince,
  '/api/v1/metrics': api.metrics,
};

/** Views whose answers a saved recording's server keeps (computed once per query string). */
const CACHED: ReadonlySet<string> = new Set<ApiRoute>(['/api/v1/info', '/api/v1/overview', '/api/v1/timeline', '/api/v1/tree', '/api/v1/metrics']);

/** How often a live stream looks for new rows: well under the 1 s a new row may take to show. */
const STREAM_POLL_MS = 250;

export interface WebServerOptions {
  reader: RecordingReader;
  host: string;
  /** 0: any free port. */
  port: number;
  /** A live recording: pages follow it through /api/v1/stream. */
  live: boolean;
  token?: string;
  /** Try the next ports when this one is taken (live record/top); a `report serve --port` fails instead. */
  nextFreePort?: boolean;
}

export interface WebServer {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  const token = o.token ?? newToken();
  const streams = new Set<http.ServerResponse>();
  let hosts = new Set<string>();
  let boundPort = 0;
  const pageHtml = fs.readFileSync(path.join(UI_DIR, 'index.html'), 'utf8');

  // A saved recording never changes: each view's answer is computed once (the logs' pages are cheap and many).
  const cache = new Map<string, string>();
  const handlers: Record<string, Handler> = { ...API, '/api/v1/info': (r) => api.info(r, o.live) } satisfies { [R in ApiRoute]: Handler<ApiAnswers[R]> };
  const answer = (p: string, params: URLSearchParams): string => {
    const key = `${p}?${[...params].filter(([k]) => k !== 'token').sort().map(([k, v]) => `${k}=${v}`).join('&')}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const body = JSON.stringify(handlers[p]!(o.reader, params));
    if (!o.live && CACHED.has(p)) cache.set(key, body);
    return body;
  };

  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return send(res, 400, 'bad request');
    }
    const v = checkRequest(req, url, token, hosts, boundPort);
    if (!v.ok) return send(res, v.status, v.message);
    if (v.setCookie) res.setHeader('Set-Cookie', tokenCookie(token, boundPort));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET');
    const p = url.pathname;
    try {
      if (PAGES.has(p)) {
        // Only our own files: no inline script, no other origin (the page makes no third-party request).
        res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
        return send(res, 200, pageHtml.replace('__LIVE__', o.live ? 'live' : 'saved'), 'text/html; charset=utf-8');
      }
      if (ASSETS[p]) return send(res, 200, fs.readFileSync(path.join(UI_DIR, p.slice(1))), ASSETS[p]);
      // Browsers ask for it on their own; the UI has none.
      if (p === '/favicon.ico') return send(res, 204, '');
      if (p === '/api/v1/stream') return stream(req, res);
      if (handlers[p]) return sendJson(res, answer(p, url.searchParams));
      return send(res, 404, 'not found');
    } catch (err) {
      if (err instanceof api.ApiError) return json(res, { error: err.message }, err.status);
      return json(res, { error: `internal error: ${(err as Error).message.split('\n')[0]}` }, 500);
    }
  });

  /** SSE: `change` events carry the event mark as their id, so a reconnect (Last-Event-ID) hears at once what it missed. */
  function stream(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write('retry: 500\n\n');
    let last = req.headers['last-event-id'] ?? '';
    const tick = () => {
      try {
        const mark = api.markText(o.reader.eventMark());
        if (mark !== last) {
          res.write(`id: ${mark}\nevent: change\ndata: ${JSON.stringify({ mark, previous: last || null })}\n\n`);
          last = mark;
        }
      } catch {
        // The store being written can be busy for a moment: the next tick asks again.
      }
    };
    tick();
    const timer = o.live ? setInterval(tick, STREAM_POLL_MS) : null;
    streams.add(res);
    req.on('close', () => {
      if (timer) clearInterval(timer);
      streams.delete(res);
    });
  }

  const port = await listen(server, o.host, o.port, o.nextFreePort ?? false);
  hosts = allowedHosts(o.host, port);
  boundPort = port;
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        // Pages following a live recording hear that it ended, instead of retrying a server that is gone.
        for (const s of streams) s.end('event: end\ndata: {}\n\n');
        server.close(() => resolve());
        server.closeIdleConnections();
        // A moment for the end events to leave, then whatever is still open (a page mid-request) is cut.
        setTimeout(() => server.closeAllConnections(), 200).unref();
      }),
  };
}

async function listen(server: http.Server, host: string, port: number, next: boolean): Promise<number> {
  for (let p = port, tries = 0; ; p++, tries++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onErr = (e: Error) => {
          server.off('listening', onOk);
          reject(e);
        };
        const onOk = () => {
          server.off('error', onErr);
          resolve();
        };
        server.once('error', onErr);
        server.once('listening', onOk);
        server.listen(p, host);
      });
      return (server.address() as { port: number }).port;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && next && port !== 0 && tries < 50) continue;
      if (code === 'EADDRINUSE') throw new Error(`port ${p} on ${host} is in use (pass another with --port)`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new Error(`cannot listen on ${host}: no such local address`);
      throw err;
    }
  }
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

function json(res: http.ServerResponse, value: unknown, status = 200): void {
  sendJson(res, JSON.stringify(value), status);
}

function sendJson(res: http.ServerResponse, body: string, status = 200): void {
  send(res, status, body, 'application/json; charset=utf-8');
}
