// TLS plaintext capture with real clients against a local TLS server (127.0.0.1, own certificate): every byte of a
// 16 MiB request and a 16 MiB response is captured, in order, per connection, for each TLS stack.
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentBinaries, bunVersions } from '../helpers/agents';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { buildGoClient, hasGo } from '../helpers/go-client';

const SIZE = 16 << 20;
let dir: string;
let server: https.Server;
let port: number;
let reqFile: string;
let reqSha: string;
const respBody = crypto.randomBytes(SIZE);
const respSha = crypto.createHash('sha256').update(respBody).digest('hex');
const received: string[] = [];

function sha(b: Uint8Array): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/** The HTTP/1.1 message bodies in one direction of a captured stream (content-length framing). */
function bodies(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < stream.length) {
    const end = stream.indexOf('\r\n\r\n', off);
    if (end < 0) break;
    const head = stream.subarray(off, end).toString('latin1');
    const m = /content-length:\s*(\d+)/i.exec(head);
    const len = m ? Number(m[1]) : 0;
    out.push(stream.subarray(end + 4, end + 4 + len));
    off = end + 4 + len;
  }
  return out;
}

interface Captured {
  conns: Array<{ id: number; out: Buffer; in: Buffer; lost: number }>;
  losses: Array<{ source: string; n: number }>;
}

function captured(db: string): Captured {
  const d = new Database(db, { readonly: true });
  try {
    const conns = (d.prepare('SELECT id, lost_bytes FROM tls_conns ORDER BY id').all() as Array<{ id: number; lost_bytes: number }>).map((c) => {
      const chunks = d.prepare('SELECT dir, data FROM tls_chunks WHERE conn_id = ? ORDER BY dir, seq').all(c.id) as Array<{ dir: number; data: Buffer }>;
      return {
        id: c.id,
        out: Buffer.concat(chunks.filter((x) => x.dir === 0).map((x) => x.data)),
        in: Buffer.concat(chunks.filter((x) => x.dir === 1).map((x) => x.data)),
        lost: c.lost_bytes,
      };
    });
    const losses = d.prepare("SELECT source, SUM(count) AS n FROM losses WHERE source NOT IN ('argv:clipped', 'path:clipped') GROUP BY source").all() as Captured['losses'];
    return { conns, losses };
  } finally {
    d.close();
  }
}

async function record(name: string, cmd: string[], env: NodeJS.ProcessEnv = {}) {
  const db = path.join(dir, `${name}.db`);
  const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', ...cmd], { env: { ...process.env, ...env } });
  return { db, ...r };
}

function expectLossless16MiB(db: string) {
  const c = captured(db);
  expect(c.losses).toEqual([]);
  const withBody = c.conns.filter((x) => x.out.length > SIZE);
  expect(withBody).toHaveLength(1);
  const conn = withBody[0];
  expect(conn.lost).toBe(0);
  const reqBodies = bodies(conn.out);
  const respBodies = bodies(conn.in);
  expect(reqBodies.map((b) => b.length)).toContain(SIZE);
  expect(reqBodies.map(sha)).toContain(reqSha);
  expect(respBodies.map(sha)).toContain(respSha);
}

describeBpf('TLS plaintext capture, 16 MiB each way', [], () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    reqFile = path.join(dir, 'req.bin');
    const req = crypto.randomBytes(SIZE);
    fs.writeFileSync(reqFile, req);
    reqSha = sha(req);
    server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (rq, rs) => {
      const h = crypto.createHash('sha256');
      rq.on('data', (d) => h.update(d));
      rq.on('end', () => {
        received.push(h.digest('hex'));
        if (rq.url?.startsWith('/small')) {
          rs.setHeader('content-type', 'application/json');
          rs.end(JSON.stringify({ ok: true, url: rq.url }));
          return;
        }
        rs.setHeader('content-type', 'application/octet-stream');
        rs.setHeader('content-length', String(SIZE));
        rs.end(respBody);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('curl (system libssl: SSL_write/SSL_read)', async () => {
    const out = path.join(dir, 'curl.out');
    const r = await record('curl', ['curl', '-sk', '--http1.1', '--data-binary', `@${reqFile}`, '-o', out, `https://127.0.0.1:${port}/upload`]);
    expect(r.code, r.stderr).toBe(0);
    expect(sha(fs.readFileSync(out))).toBe(respSha);
    expect(r.stderr).toMatch(/TLS of .*curl: openssl in .*libssl/);
    expectLossless16MiB(r.db);
  });

  it('python3 (libssl _ex variants)', async () => {
    const script = `import ssl, urllib.request, hashlib
ctx = ssl._create_unverified_context()
body = open(${JSON.stringify(reqFile)}, 'rb').read()
r = urllib.request.urlopen(urllib.request.Request('https://127.0.0.1:${port}/upload', data=body, method='POST'), context=ctx)
print(hashlib.sha256(r.read()).hexdigest())`;
    const r = await record('python', ['python3', '-c', script]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(respSha);
    expectLossless16MiB(r.db);
  });

  it('node https (OpenSSL linked into node)', async () => {
    const script = `const https = require('https'); const fs = require('fs'); const crypto = require('crypto');
const body = fs.readFileSync(${JSON.stringify(reqFile)});
const rq = https.request({ host: '127.0.0.1', port: ${port}, path: '/upload', method: 'POST', rejectUnauthorized: false, headers: { 'content-length': body.length } }, (rs) => {
  const h = crypto.createHash('sha256'); rs.on('data', (d) => h.update(d)); rs.on('end', () => console.log(h.digest('hex')));
});
rq.end(body);`;
    const r = await record('node', ['node', '-e', script]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(respSha);
    expect(r.stderr).toMatch(/TLS of .*node: openssl in .*node/);
    expectLossless16MiB(r.db);
  });

  it('wget (GnuTLS: gnutls_record_send/gnutls_record_recv)', async () => {
    const out = path.join(dir, 'wget.out');
    const r = await record('wget', ['wget', '-q', '--no-check-certificate', '--post-file', reqFile, '-O', out, `https://127.0.0.1:${port}/upload`]);
    expect(r.code, r.stderr).toBe(0);
    expect(sha(fs.readFileSync(out))).toBe(respSha);
    expect(r.stderr).toMatch(/TLS of .*wget: gnutls in .*libgnutls/);
    expectLossless16MiB(r.db);
  });

  it('git ls-remote over HTTPS (libcurl-gnutls in git-remote-https, an exec of the traced git)', async () => {
    const r = await record('git', ['git', '-c', 'http.sslVerify=false', 'ls-remote', `https://127.0.0.1:${port}/small`], { GIT_TERMINAL_PROMPT: '0' });
    // the server is no git server: git fails on its reply, after a complete HTTPS exchange
    const c = captured(r.db);
    const get = c.conns.find((x) => x.out.toString('latin1').startsWith('GET /small/info/refs?service=git-upload-pack HTTP/1.1'));
    expect(get, r.stderr).toBeTruthy();
    expect(get!.in.toString('latin1')).toContain('{"ok":true,"url":"/small/info/refs?service=git-upload-pack"}');
    expect(c.losses).toEqual([]);
  });

  // Go crypto/tls, static (CGO_ENABLED=0), with symbols and stripped (-s -w: names only in .gopclntab).
  for (const stripped of [false, true]) {
    it.runIf(hasGo())(`Go net/http client${stripped ? ', stripped' : ''} (crypto/tls: entry + every RET, no uretprobe)`, async () => {
      const bin = buildGoClient(dir, stripped);
      const r = await record(`go${stripped ? '-s' : ''}`, [bin, `https://127.0.0.1:${port}/upload`, reqFile]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(`HTTP/1.1 200 ${respSha}`);
      expect(r.stderr).toMatch(/TLS of .*go-client.*: go/);
      expectLossless16MiB(r.db);
    });
  }

  // A real program of a newer Go (Go >= 1.21 frames: push rbp … pop rbp; ret), stripped, where installed: terraform's
  // module registry discovery is an HTTPS GET that trusts SSL_CERT_FILE.
  const terraform = ['/usr/local/bin/terraform', '/usr/bin/terraform'].find((p) => fs.existsSync(p));
  it.runIf(!!terraform)('terraform (Go 1.2x, stripped): its registry GET and the reply', async () => {
    const work = fs.mkdtempSync(path.join(dir, 'tf-'));
    fs.writeFileSync(path.join(work, 'main.tf'), `module "x" {\n  source = "127.0.0.1:${port}/ns/name/sys"\n}\n`);
    const db = path.join(dir, 'terraform.db');
    const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', terraform!, `-chdir=${work}`, 'init', '-input=false'], {
      env: { ...process.env, SSL_CERT_FILE: path.join(dir, 'cert.pem'), HOME: work, CHECKPOINT_DISABLE: '1' },
    });
    // the server is no registry: init fails after the exchange
    expect(r.stderr).toMatch(/TLS of .*terraform: go/);
    const c = captured(db);
    const get = c.conns.find((x) => x.out.toString('latin1').startsWith('GET /.well-known/terraform.json HTTP/1.1\r\n'));
    expect(get, r.stderr + r.stdout).toBeTruthy();
    expect(get!.in.toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it('bun fetch (BoringSSL inside the stripped bun binary)', async () => {
    const bun = agentBinaries()['bun'];
    expect(bun, 'bun installed from npm').toBeTruthy();
    const script = `const body = await Bun.file(${JSON.stringify(reqFile)}).arrayBuffer();
const r = await fetch('https://127.0.0.1:${port}/upload', { method: 'POST', body, tls: { rejectUnauthorized: false } });
const b = new Uint8Array(await r.arrayBuffer());
console.log(new Bun.CryptoHasher('sha256').update(b).digest('hex'));`;
    const f = path.join(dir, 'client.mjs');
    fs.writeFileSync(f, script);
    const r = await record('bun', [bun, f]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(respSha);
    expect(r.stderr).toMatch(/TLS of .*bun: boringssl/);
    expectLossless16MiB(r.db);
  });

  // Every Bun minor from 1.1 to 1.4 (last patch, from npm), as the runtime and as a `bun build --compile` program,
  // each with an empty discovery cache: the compiled program is started by sh, so it is a binary first seen at its
  // exec (held until its probes are in), the way an agent's native build is started by its npm wrapper.
  describe('bun releases: 16 MiB each way, byte-exact, runtime and compiled, first seen', () => {
    const minors = ['1.1', '1.2', '1.3', '1.4'];
    for (const minor of minors) {
      it(`bun ${minor}.x`, async () => {
        const versions = bunVersions();
        const version = Object.keys(versions).find((v) => v.startsWith(`${minor}.`));
        expect(version, `a ${minor}.x release installed`).toBeTruthy();
        const bun = versions[version!];
        const client = path.join(dir, `client-${version}.mjs`);
        fs.writeFileSync(client, `const body = await Bun.file(${JSON.stringify(reqFile)}).arrayBuffer();
const r = await fetch('https://127.0.0.1:${port}/upload', { method: 'POST', body, tls: { rejectUnauthorized: false } });
const b = new Uint8Array(await r.arrayBuffer());
console.log(new Bun.CryptoHasher('sha256').update(b).digest('hex'));`);
        const compiled = path.join(dir, `client-${version}`);
        execFileSync(bun, ['build', '--compile', client, '--outfile', compiled], { cwd: dir, stdio: 'ignore', timeout: 120_000 });
        for (const [name, cmd] of [
          [`bun-${version}`, [bun, client]],
          [`bun-${version}-compiled`, ['sh', '-c', `${compiled}`]],
        ] as const) {
          const cache = fs.mkdtempSync(path.join(dir, 'tls-cache-'));
          const r = await record(name, [...cmd], { AGENTSIGHT_TLS_CACHE_DIR: cache });
          expect(r.code, `${name}: ${r.stderr}`).toBe(0);
          expect(r.stdout.trim(), name).toBe(respSha);
          expect(r.stderr, name).toMatch(/TLS of .*: boringssl/);
          // the compiled program was first seen at its exec: held until its probes were in, and record says so
          if (name.endsWith('-compiled')) expect(r.stderr, name).toMatch(/held 1 new binary at exec until the TLS probes were in/);
          expectLossless16MiB(r.db);
        }
      }, 600_000);
    }
  });

  // One connection after another, each closed before the next: malloc hands the freed SSL*'s address to the next
  // connection (before SSL_free was probed: node 22 streams for 30, python3 3), so a stream ends at SSL_free. Bun's
  // stripped BoringSSL has no SSL_free: a new handshake on the SSL* ends it (test/e2e/tls-bun-sequential.test.ts). Go
  // ends a stream at (*tls.Conn).Close, GnuTLS at gnutls_deinit.
  describe('30 connections one after another (the SSL* address reused) come out as 30 streams', () => {
    const clients: Record<string, (port: number) => { file: string; args: string[] }> = {
      node: (p) => ({
        file: 'node',
        args: ['-e', `const https = require('https'); let i = 0;
function next() {
  if (i === 30) return console.log('done');
  const n = i++; const body = JSON.stringify({ conn: n, pad: 'x'.repeat(100 + n) }); const agent = new https.Agent({ keepAlive: false });
  https.request({ host: '127.0.0.1', port: ${p}, path: '/small', method: 'POST', agent, rejectUnauthorized: false, headers: { 'content-length': Buffer.byteLength(body) } }, (rs) => {
    rs.resume(); rs.on('end', () => { agent.destroy(); setTimeout(next, 10); });
  }).end(body);
}
next();`],
      }),
      python3: (p) => ({
        file: 'python3',
        args: ['-c', `import ssl, socket, json
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
for n in range(30):
    body = json.dumps({"conn": n, "pad": "x" * (100 + n)}).encode()
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", ${p})), server_hostname="127.0.0.1")
    s.sendall(b"POST /small HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n" % len(body) + body)
    while s.recv(65536): pass
    s.close()
print("done")`],
      }),
      // Go: a *tls.Conn's memory is reused by the GC; the stream ends at (*Conn).Close
      go: (p) => ({
        file: buildGoClient(dir, true, `package main

import (
\t"crypto/tls"
\t"fmt"
\t"io"
\t"net/http"
\t"runtime"
\t"strings"
\t"time"
)

func main() {
\tc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}}
\tfor n := 0; n < 30; n++ {
\t\tbody := fmt.Sprintf(\`{"conn": %d, "pad": "%s"}\`, n, strings.Repeat("x", 100+n))
\t\tr, err := c.Post("https://127.0.0.1:${p}/small", "application/json", strings.NewReader(body))
\t\tif err != nil {
\t\t\tpanic(err)
\t\t}
\t\tio.Copy(io.Discard, r.Body)
\t\tr.Body.Close()
\t\t// collect the closed connection now, so its *tls.Conn's memory is free for the next one
\t\ttime.Sleep(5 * time.Millisecond)
\t\truntime.GC()
\t}
\tfmt.Println("done")
}
`, 'go-sequential'),
        args: [],
      }),
    };
    for (const [name, client] of Object.entries(clients)) {
      // Go: about 1 run in 3 a request's bytes (emitted at Write's RET, late when the goroutine waits for a thread
      // after the write syscall) came after the reader goroutine's Close; they now go to the stream their call began
      // in (tls-handler CLOSE_GRACE_MS). Without the Close probe ~2 of 30 would merge in every run.
      it.runIf(name !== 'go' || hasGo())(name, async () => {
        const c = client(port);
        const r = await record(`sequential-${name}`, [c.file, ...c.args]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout.trim()).toBe('done');
        const got = captured(r.db);
        expect(got.losses).toEqual([]);
        const withReq = got.conns.filter((x) => x.out.includes('POST /small'));
        // each stream holds exactly one request, its own, and its response
        expect(withReq.map((x) => bodies(x.out).length)).toEqual(Array(30).fill(1));
        expect(withReq.map((x) => JSON.parse(bodies(x.out)[0].toString()).conn).sort((a, b) => a - b)).toEqual([...Array(30).keys()]);
        for (const x of withReq) expect(JSON.parse(bodies(x.in)[0].toString())).toEqual({ ok: true, url: '/small' });
      });
    }
  });

  it('wget: 30 connections one after another (gnutls_deinit ends each session) come out as 30 streams', async () => {
    const urls = [...Array(30).keys()].map((n) => `https://127.0.0.1:${port}/small?n=${n}`);
    const r = await record('sequential-wget', ['wget', '-q', '-O', '/dev/null', '--no-check-certificate', '--no-http-keep-alive', '--post-data', '{"pad":"x"}', ...urls]);
    expect(r.code, r.stderr).toBe(0);
    const got = captured(r.db);
    expect(got.losses).toEqual([]);
    const withReq = got.conns.filter((x) => x.out.includes('POST /small'));
    expect(withReq.map((x) => bodies(x.out).length)).toEqual(Array(30).fill(1));
    // each stream: its own request line and the reply naming that URL
    const urlsSeen = withReq.map((x) => {
      const line = x.out.toString('latin1').split('\r\n')[0];
      const reply = JSON.parse(bodies(x.in)[0].toString()) as { url: string };
      expect(line).toBe(`POST ${reply.url} HTTP/1.1`);
      return reply.url;
    });
    expect(urlsSeen.sort()).toEqual(urls.map((u) => u.slice(u.indexOf('/small'))).sort());
  });

  // Goroutines migrate between threads while blocked in Read: entry and RET are paired by goroutine (R14), so 50
  // concurrent requests on 4 threads still give each call its own result.
  it.runIf(hasGo())('Go: 50 concurrent requests from goroutines, each request and reply intact in its connection', async () => {
    const bin = buildGoClient(dir, false, `package main

import (
\t"crypto/tls"
\t"fmt"
\t"io"
\t"net/http"
\t"strings"
\t"sync"
)

func main() {
\tc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, MaxConnsPerHost: 0, MaxIdleConnsPerHost: 100}}
\tvar wg sync.WaitGroup
\tfor n := 0; n < 50; n++ {
\t\twg.Add(1)
\t\tgo func(n int) {
\t\t\tdefer wg.Done()
\t\t\tbody := fmt.Sprintf(\`{"conn": %d, "pad": "%s"}\`, n, strings.Repeat("x", 1000+n))
\t\t\tr, err := c.Post("https://127.0.0.1:${port}/small", "application/json", strings.NewReader(body))
\t\t\tif err != nil {
\t\t\t\tpanic(err)
\t\t\t}
\t\t\tio.Copy(io.Discard, r.Body)
\t\t\tr.Body.Close()
\t\t}(n)
\t}
\twg.Wait()
\tfmt.Println("done")
}
`, 'go-concurrent');
    const r = await record('go-conc', [bin], { GOMAXPROCS: '4' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('done');
    const c = captured(r.db);
    expect(c.losses).toEqual([]);
    const reqs = c.conns.flatMap((x) => bodies(x.out).map((b) => JSON.parse(b.toString()) as { conn: number; pad: string }));
    expect(reqs.map((q) => q.conn).sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
    for (const q of reqs) expect(q.pad).toBe('x'.repeat(1000 + q.conn));
    // every stream: as many replies as requests, each the server's reply
    for (const x of c.conns.filter((y) => y.out.length > 0)) {
      expect(bodies(x.in).length).toBe(bodies(x.out).length);
      for (const b of bodies(x.in)) expect(JSON.parse(b.toString())).toEqual({ ok: true, url: '/small' });
    }
  });

  it('100 concurrent connections from one process come out as 100 separate, correct streams', async () => {
    const script = `const https = require('https');
const agent = new https.Agent({ keepAlive: false, maxSockets: 1000 });
let done = 0;
for (let i = 0; i < 100; i++) {
  const body = JSON.stringify({ conn: i, pad: 'x'.repeat(1000 + i) });
  const rq = https.request({ host: '127.0.0.1', port: ${port}, path: '/small', method: 'POST', agent, rejectUnauthorized: false, headers: { 'content-length': Buffer.byteLength(body) } }, (rs) => {
    rs.resume(); rs.on('end', () => { if (++done === 100) console.log('done'); });
  });
  rq.end(body);
}`;
    const r = await record('conc', ['node', '-e', script]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('done');
    const c = captured(r.db);
    expect(c.losses).toEqual([]);
    const withReq = c.conns.filter((x) => x.out.includes('POST /small'));
    expect(withReq).toHaveLength(100);
    const seen = new Set<number>();
    for (const conn of withReq) {
      const reqBodies = bodies(conn.out);
      expect(reqBodies).toHaveLength(1);
      const j = JSON.parse(reqBodies[0].toString());
      expect(j.pad.length).toBe(1000 + j.conn);
      seen.add(j.conn);
      expect(JSON.parse(bodies(conn.in)[0].toString())).toEqual({ ok: true, url: '/small' });
    }
    expect(seen.size).toBe(100);
  });
});
