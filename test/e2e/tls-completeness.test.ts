// Capture completeness with real clients against the local fake provider (test/fake-llm): every TLS connection is
// either decrypted (wget's GnuTLS and a Go net/http client, since their stacks are probed: the verdict says so) or
// named as a loss with its reason and bytes by the recording, `report` and `top --once` — never "Losses none" (the
// loss path is forced here by turning a stack's probes off: AGENTSIGHT_TLS_SKIP_STACKS); and 30 short curl runs
// (HTTP/2 and HTTP/1.1) give 30 connections, each with its process and its LLM call, counted the same by record's
// summary, report and top --once.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';

const WGET = () => ['wget', '-q', '-O', '-', `--ca-certificate=${srv.caCertPath}`, '--header', 'content-type: application/json', `--post-data=${BODY}`, `${srv.url}/v1/messages`];
const BODY = JSON.stringify({ model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
let dir: string;
let srv: FakeLlmServer;

/** argv: go-file, base URL, CA file, body. One POST once the go-file exists; prints the status and body. */
const ATTACH_CLIENT = `
const fs = require('node:fs');
const https = require('node:https');
const [go, url, ca, body] = process.argv.slice(1);
const wait = () => (fs.existsSync(go) ? send() : setTimeout(wait, 20));
function send() {
  const req = https.request(url + '/v1/messages', { method: 'POST', ca: fs.readFileSync(ca), headers: { 'content-type': 'application/json', 'x-api-key': process.env.ANTHROPIC_API_KEY ?? 'none' } }, (res) => {
    let b = '';
    res.on('data', (d) => (b += d));
    res.on('end', () => console.log(res.statusCode + ' ' + b));
  });
  req.end(body);
}
wait();
`;

/** argv: base URL. Two model calls with fetch (undici: one kept-alive connection); the CA from NODE_EXTRA_CA_CERTS. */
const FETCH_TWICE = `
const url = process.argv[1];
const post = () => fetch(url + '/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': process.env.ANTHROPIC_API_KEY ?? 'none', 'anthropic-version': '2023-06-01' }, body: ${JSON.stringify(BODY)} });
(async () => {
  for (let i = 0; i < 2; i++) {
    const r = await post();
    await r.text();
    console.log(r.status);
  }
})();
`;

/** The recording exists and its attach is done (record writes attached_pids once the targets are traced). */
function hasAttached(db: string): boolean {
  if (!fs.existsSync(db)) return false;
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return d.prepare("SELECT 1 FROM meta WHERE key = 'attached_pids'").get() !== undefined;
    } finally {
      d.close();
    }
  } catch {
    return false;
  }
}

async function record(name: string, cmd: string[], env: Record<string, string> = {}) {
  const db = path.join(dir, `${name}.db`);
  const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', ...cmd], { env: { ...process.env, ...srv.env, ...env } });
  return { db, ...r };
}

async function cli(args: string[]) {
  const r = await runAsync(process.execPath, [CLI, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

interface Loss { source: string; count: number; bytes: number; process_id: number | null; detail: string }

function tlsLosses(db: string): Loss[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare("SELECT source, count, bytes, process_id, detail FROM losses WHERE source LIKE 'tls:%'").all() as Loss[];
  } finally {
    d.close();
  }
}

/** The connection is a loss `tls:not-probed` with its bytes in the recording, report (text, JSON) and top --once (text, JSON). */
async function expectNotDecrypted(db: string, recordStderr: string, stack: RegExp) {
  const losses = tlsLosses(db);
  expect(losses).toHaveLength(1);
  const l = losses[0];
  expect(l.source).toBe('tls:not-probed');
  expect(l.count).toBe(1);
  expect(l.process_id).not.toBeNull();
  expect(l.bytes).toBeGreaterThan(1000); // handshake and request out, certificate and response in
  expect(l.detail).toMatch(new RegExp(`TLS connection to \\S+:${srv.port} \\(\\d+ bytes sent, \\d+ received\\) not decrypted: `));
  expect(l.detail).toMatch(stack);
  const bytes = new RegExp(`\\(${Math.floor(l.bytes / 1024)}(\\.\\d)?KiB\\)`);

  expect(recordStderr).toMatch(/completeness: INCOMPLETE: 0 of 1 TLS connection decrypted/);
  expect(recordStderr).toContain(l.detail);

  const report = await cli(['report', '--db', db]);
  expect(report).not.toMatch(/Losses\s+none/);
  expect(report).toMatch(/Losses\s+tls:not-probed 1/);
  expect(report).toMatch(/Capture\s+INCOMPLETE: .*not decrypted: tls:not-probed 1 /);
  expect(report).toMatch(bytes);
  expect(report).toContain(l.detail);
  const rj = JSON.parse(await cli(['report', '--db', db, '--json']));
  expect(rj.completeness.complete).toBe(false);
  expect(rj.completeness.tlsNotDecrypted).toEqual([{ reason: 'tls:not-probed', connections: 1, bytes: l.bytes }]);
  expect(rj.completeness.tlsNotDecryptedConnections[0].detail).toBe(l.detail);

  const once = await cli(['top', '--db', db, '--once', '--width', '400']);
  expect(once).not.toMatch(/losses: none/);
  expect(once).toMatch(/completeness: INCOMPLETE: .*not decrypted: tls:not-probed 1 /);
  expect(once).toContain(`tls:not-probed: ${l.detail}`);
  const oj = JSON.parse(await cli(['top', '--db', db, '--once', '--format', 'json']));
  expect(oj.completeness.tlsNotDecrypted).toEqual([{ reason: 'tls:not-probed', connections: 1, bytes: l.bytes }]);
  expect(oj.sessions[0].completeness.tlsNotDecrypted).toEqual([{ reason: 'tls:not-probed', connections: 1, bytes: l.bytes }]);
}

/** The connection was decrypted: its LLM call is there, the verdict is complete, and no TLS loss is stored. */
async function expectDecrypted(db: string, recordStderr: string) {
  expect(tlsLosses(db)).toEqual([]);
  expect(recordStderr).toMatch(/completeness: complete: 1 of 1 TLS connection decrypted; 1 LLM call, \d+ tokens; nothing lost/);
  const rj = JSON.parse(await cli(['report', '--db', db, '--json']));
  expect(rj.completeness).toMatchObject({ complete: true, llmCalls: 1, tlsDecrypted: 1, tlsNotDecrypted: [] });
  const oj = JSON.parse(await cli(['top', '--db', db, '--once', '--format', 'json']));
  expect(oj.completeness).toMatchObject({ complete: true, llmCalls: 1, tlsDecrypted: 1, tlsNotDecrypted: [] });
}

describeBpf('TLS capture completeness (real clients, local HTTPS model endpoint)', [], () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-tls-complete-'));
    srv = await startFakeLlmServer({ encoding: 'identity', eventDelayMs: 0 });
  });
  afterAll(async () => {
    await srv?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('wget (GnuTLS, probed): the connection is decrypted and its LLM call counted', async () => {
    const r = await record('wget', WGET());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('"output_tokens":7');
    await expectDecrypted(r.db, r.stderr);
  });

  it('wget with its stack not probed: the connection is a tls:not-probed loss with its bytes', async () => {
    const r = await record('wget-unprobed', WGET(), { AGENTSIGHT_TLS_SKIP_STACKS: 'gnutls' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('"output_tokens":7');
    await expectNotDecrypted(r.db, r.stderr, /GnuTLS in \S*libgnutls\S* is not probed/);
  });

  it('a Go net/http client (Go crypto/tls, probed): the connection is decrypted and its LLM call counted', async () => {
    const src = path.join(dir, 'goclient');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'go.mod'), 'module goclient\n\ngo 1.19\n');
    fs.writeFileSync(path.join(src, 'main.go'), GO_CLIENT);
    // stdlib only, offline; `go` comes from the Makefile's golang-go
    execFileSync('go', ['build', '-o', 'goclient', '.'], { cwd: src, env: { ...process.env, GOCACHE: path.join(os.tmpdir(), 'agentsight-test-gocache'), GOPROXY: 'off', GOFLAGS: '-mod=mod', CGO_ENABLED: '0' }, stdio: 'pipe' });
    const r = await record('go', [path.join(src, 'goclient'), srv.url, srv.caCertPath, BODY]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^200 /);
    await expectDecrypted(r.db, r.stderr);
  });

  it('record -p of a node client already running: its own TLS is probed and its call decrypted', async () => {
    // Started before the recording, it waits for a go-file, then makes one request with node's own TLS (OpenSSL
    // inside the node binary): only probes on the attached process's executable can see it.
    const go = path.join(dir, 'attach.go');
    const client = spawn(process.execPath, ['-e', ATTACH_CLIENT, go, srv.url, srv.caCertPath, BODY], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...srv.env } });
    let out = '';
    client.stdout!.on('data', (d) => (out += d));
    try {
      const db = path.join(dir, 'attach.db');
      const rec = runAsync(process.execPath, [CLI, 'record', '--db', db, '-p', String(client.pid)]);
      for (let t = Date.now(); !hasAttached(db); ) {
        expect(Date.now() - t, 'record -p never attached').toBeLessThan(60_000);
        await new Promise((r) => setTimeout(r, 100));
      }
      fs.writeFileSync(go, '');
      const r = await rec; // ends with the client
      expect(r.code, r.stderr).toBe(0);
      expect(out).toMatch(/^200 /);
      await expectDecrypted(db, r.stderr);
    } finally {
      client.kill('SIGKILL');
    }
  });

  it('node fetch, two requests: each connection\'s first is written inside SSL_read, and nothing is lost', async () => {
    // undici writes its pending request from the handshake-done callback, which node's SSL_read runs: an SSL_write
    // nested in an SSL_read. One saved call per thread lost the outer one (tls:missed-entry 1 on every such run).
    const r = await record('fetch-twice', [process.execPath, '-e', FETCH_TWICE, srv.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('200\n200\n');
    expect(tlsLosses(r.db)).toEqual([]);
    // One connection kept alive, or one each if the server closes: every one decrypted, each first request nested.
    expect(r.stderr).toMatch(/completeness: complete: (\d) of \1 TLS connections? decrypted; 2 LLM calls, \d+ tokens; nothing lost/);
    const rj = JSON.parse(await cli(['report', '--db', r.db, '--json']));
    expect(rj.completeness).toMatchObject({ complete: true, llmCalls: 2, tlsNotDecrypted: [] });
    expect(rj.losses).toEqual([]);
  });

  it('a failed handshake (curl without the CA) is no loss: no request was sent, nothing to decrypt', async () => {
    const r = await record('badcert', ['curl', '-s', '-d', BODY, `${srv.url}/v1/messages`]);
    expect(r.code).toBe(60); // certificate problem
    expect(tlsLosses(r.db)).toEqual([]);
    expect(r.stderr).toContain('completeness: complete: 0 of 0 TLS connections decrypted; 0 LLM calls, 0 tokens; nothing lost');
  });

  it('30 short curl runs (HTTP/2, HTTP/1.1): 30 connections, each with its process and its LLM call; the same calls and tokens everywhere', async () => {
    const curl = (v: string) => `curl -s --cacert ${srv.caCertPath} ${v} -H 'content-type: application/json' -H 'x-api-key: x' -d '${BODY}' ${srv.url}/v1/messages >/dev/null`;
    const script = `i=0; while [ $i -lt 15 ]; do ${curl('--http2')} || exit 1; ${curl('--http1.1')} || exit 1; i=$((i+1)); done`;
    const before = srv.requests.length;
    const r = await record('curl30', ['sh', '-c', script]);
    expect(r.code, r.stderr).toBe(0);
    expect(srv.requests.length - before).toBe(30);

    const d = new Database(r.db, { readonly: true });
    const conns = d.prepare('SELECT c.id, c.process_id AS processId, c.session_id AS sessionId, p.comm FROM tls_conns c LEFT JOIN processes p ON p.id = c.process_id').all() as Array<{ id: number; processId: number | null; sessionId: number | null; comm: string | null }>;
    const calls = d.prepare('SELECT process_id AS processId, session_id AS sessionId, input_tokens + output_tokens AS tokens FROM llm_calls').all() as Array<{ processId: number | null; sessionId: number | null; tokens: number }>;
    const curls = d.prepare("SELECT id FROM processes WHERE comm = 'curl'").all() as Array<{ id: number }>;
    d.close();
    expect(curls).toHaveLength(30);
    expect(conns).toHaveLength(30);
    expect(conns.filter((c) => c.processId === null || c.sessionId === null)).toEqual([]);
    expect(conns.every((c) => c.comm === 'curl')).toBe(true);
    expect(new Set(conns.map((c) => c.processId)).size).toBe(30); // one connection per curl process
    expect(calls).toHaveLength(30);
    expect(calls.filter((c) => c.processId === null || c.sessionId === null)).toEqual([]);
    expect(new Set(calls.map((c) => c.processId)).size).toBe(30);
    const tokens = calls.reduce((n, c) => n + c.tokens, 0);
    expect(tlsLosses(r.db)).toEqual([]);

    // The same figures on every surface.
    const line = `complete: 30 of 30 TLS connections decrypted; 30 LLM calls, ${tokens} tokens; nothing lost`;
    expect(r.stderr).toContain(`completeness: ${line}`);
    expect(r.stderr).toMatch(/, 30 LLM calls, /);
    const report = await cli(['report', '--db', r.db]);
    expect(report).toMatch(new RegExp(`Capture\\s+${line}`));
    expect(report).toMatch(/LLM calls\s+30\b/);
    const rj = JSON.parse(await cli(['report', '--db', r.db, '--json']));
    expect(rj.completeness).toMatchObject({ llmCalls: 30, tokens, tlsDecrypted: 30, complete: true });
    expect(rj.llm.calls).toBe(30);
    expect(rj.llm.failedCalls).toBe(0); // curl closes an HTTP/2 connection once it has content-length bytes
    expect(rj.sessions.map((s: { llmCalls: number }) => s.llmCalls)).toEqual([30]);
    const once = await cli(['top', '--db', r.db, '--once', '--width', '400']);
    expect(once).toContain(`completeness: ${line}`);
    expect(once).toMatch(/· 30 LLM calls ·/);
    const oj = JSON.parse(await cli(['top', '--db', r.db, '--once', '--format', 'json']));
    expect(oj.completeness).toMatchObject({ llmCalls: 30, tokens, tlsDecrypted: 30, complete: true });
    expect(oj.sessions).toHaveLength(1);
    expect(oj.sessions[0].completeness).toMatchObject({ llmCalls: 30, tokens, tlsDecrypted: 30, complete: true });
    expect(oj.sessions[0].summary.llmCalls).toBe(30);
    // the views count prompt tokens by kind (docs/figures.md): their total is every prompt token plus output
    expect(oj.sessions[0].summary.totalTokens).toBe(tokens);
  });
});

const GO_CLIENT = `package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// usage: goclient URL CA_FILE BODY — POSTs BODY to URL/v1/messages, prints the status and the body length.
func main() {
	pem, err := os.ReadFile(os.Args[2])
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("POST", os.Args[1]+"/v1/messages", strings.NewReader(os.Args[3]))
	req.Header.Set("content-type", "application/json")
	req.Header.Set("x-api-key", "x")
	resp, err := c.Do(req)
	if err != nil {
		panic(err)
	}
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, len(b))
}
`;
