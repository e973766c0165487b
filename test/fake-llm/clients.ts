/** Real TLS clients for the fake server: node:http2, node:https (keep-alive), fetch in a child process, curl. */
import { execFile } from 'node:child_process';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import type { FakeLlmServer } from './server';

export interface ClientResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Raw (possibly compressed) body bytes as received. */
  body: Buffer;
}

/** Sends requests one after another on ONE HTTP/2 connection (so HPACK's dynamic table is exercised). */
export async function h2Session<T>(srv: FakeLlmServer, fn: (post: (path: string, body: unknown, headers?: Record<string, string>) => Promise<ClientResponse>) => Promise<T>): Promise<T> {
  const session = http2.connect(srv.url, { ca: readFileSync(srv.caCertPath) });
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<ClientResponse> =>
    new Promise((resolve, reject) => {
      const payload = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json', ...headers });
      const parts: Buffer[] = [];
      let status = 0;
      let hdrs: Record<string, string | string[] | undefined> = {};
      req.on('response', (h) => {
        status = Number(h[':status']);
        hdrs = h as Record<string, string | string[] | undefined>;
      });
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => resolve({ status, headers: hdrs, body: Buffer.concat(parts) }));
      req.on('error', reject);
      req.end(payload);
    });
  try {
    return await fn(post);
  } finally {
    await new Promise<void>((resolve) => session.close(() => resolve()));
  }
}

/** Sends requests on one keep-alive HTTP/1.1 connection. */
export async function h1Session<T>(srv: FakeLlmServer, fn: (post: (path: string, body: unknown, headers?: Record<string, string>) => Promise<ClientResponse>) => Promise<T>): Promise<T> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(srv.caCertPath), ALPNProtocols: ['http/1.1'] } as https.AgentOptions);
  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<ClientResponse> =>
    new Promise((resolve, reject) => {
      const payload = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const req = https.request(
        { host: '127.0.0.1', port: srv.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers } },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  try {
    return await fn(post);
  } finally {
    agent.destroy();
  }
}

/** Runs Node's fetch (undici) in a child process trusting the fake CA via NODE_EXTRA_CA_CERTS. */
export function fetchInChild(srv: FakeLlmServer, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const script = `
    const [url, body, headers] = [process.argv[1], process.argv[2], JSON.parse(process.argv[3])];
    fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
      .then(async (r) => { process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() })); })
      .catch((e) => { process.stderr.write(String(e && e.cause || e)); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script, `${srv.url}${path}`, JSON.stringify(body), JSON.stringify(headers)], { env: { ...process.env, NODE_EXTRA_CA_CERTS: srv.caCertPath } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`fetch child failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as { status: number; text: string });
    });
  });
}

/** curl with our CA; `http` picks --http1.1 or --http2. */
export function curl(srv: FakeLlmServer, path: string, body: unknown, http: '1.1' | '2', extra: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      ['-sS', `--http${http}`, '--cacert', srv.caCertPath, '-H', 'content-type: application/json', '--data-binary', JSON.stringify(body), ...extra, `${srv.url}${path}`],
      (err, stdout, stderr) => (err ? reject(new Error(`curl failed: ${stderr || err.message}`)) : resolve(stdout)),
    );
  });
}
