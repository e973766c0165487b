// `record --container`: a real private dockerd (test/helpers/private-docker.ts), an image of the host's node and
// busybox made by `docker import`, node clients in the container posting to the fake provider over TLS. Captured
// with exact tokens: a node running before the recording began, one its shell starts later, one `docker exec`
// starts (child of the runtime), one after `docker restart`; rows name the container and the pid inside it; the
// host's own node doing the same meanwhile is not recorded.
//
// Skips: without root/BPF as every BPF test (bpf-env.ts). Without Docker's binaries (docker.io, busybox-static) it
// skips loudly even under AGENTSIGHT_REQUIRE_BPF=1 (`make setup` installs them: then it runs); a daemon that is
// installed but does not start fails the run under AGENTSIGHT_REQUIRE_BPF=1.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { dockerAbsent, startPrivateDocker, type PrivateDocker } from '../helpers/private-docker';

const absent = dockerAbsent();

let dk: PrivateDocker | null = null;
let srv: FakeLlmServer;
let work: string;
const kids: ChildProcess[] = [];

/*
 * The client: waits for WORK/go-TAG (and removes it) unless told `now`, posts one Anthropic message, and writes what
 * it got (its own pid as it sees it, the usage the server reported) to WORK/out-TAG-<time>.json.
 */
const CLIENT = `
const fs = require('fs'), https = require('https');
const [url, tag, dir, now] = process.argv.slice(2);
const go = dir + '/go-' + tag;
function post() {
  const body = JSON.stringify({ model: 'claude-test', max_tokens: 64, messages: [{ role: 'user', content: 'hello from ' + tag }] });
  const u = new URL(url);
  // SOCK: TLS over a Unix socket the test forwards to the server (a container with no network at all)
  const via = process.env.SOCK ? { socketPath: process.env.SOCK, servername: 'localhost' } : { hostname: u.hostname, port: u.port };
  const req = https.request({ ...via, path: '/v1/messages', method: 'POST', headers: {
    'content-type': 'application/json', 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01', 'content-length': Buffer.byteLength(body) } }, (res) => {
    let d = '';
    res.on('data', (c) => (d += c));
    res.on('end', () => fs.writeFileSync(dir + '/out-' + tag + '-' + Date.now() + '.json', JSON.stringify({ pid: process.pid, status: res.statusCode, usage: JSON.parse(d).usage })));
  });
  req.end(body);
}
if (now) post();
else {
  fs.writeFileSync(dir + '/ready-' + tag + '-' + Date.now() + '-' + process.pid, '');
  (function wait() { if (fs.existsSync(go)) { fs.unlinkSync(go); post(); } else setTimeout(wait, 50); })();
}
`;

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

/** The stored columns for a reply's usage: input_tokens there counts the cached input too (providers/anthropic.ts). */
function expectedTokens(u: Usage): number[] {
  const write = u.cache_creation_input_tokens ?? 0;
  const read = u.cache_read_input_tokens ?? 0;
  return [u.input_tokens + write + read, u.output_tokens, write, read];
}

function outs(dir: string, tag: string): Array<{ pid: number; status: number; usage: Usage }> {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(`out-${tag}-`))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}

function query<T>(db: string, sql: string, ...args: unknown[]): T[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all(...args) as T[];
  } finally {
    d.close();
  }
}

function hasRow(db: string, sql: string, ...args: unknown[]): boolean {
  try {
    return query(db, sql, ...args).length > 0;
  } catch {
    return false; // not created or not initialised yet
  }
}

describeBpf('record --container (private dockerd)', [], () => {
  beforeAll(async () => {
    try {
      dk = await startPrivateDocker();
    } catch (err) {
      if (process.env['AGENTSIGHT_REQUIRE_BPF'] === '1') throw err;
      console.warn(`\n*** SKIPPING CONTAINER TESTS: ${(err as Error).message} ***\n`);
      return;
    }
    srv = await startFakeLlmServer({ encoding: 'identity', eventDelayMs: 0 });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-ct-'));
    fs.writeFileSync(path.join(work, 'client.js'), CLIENT);
    fs.copyFileSync(srv.caCertPath, path.join(work, 'ca.crt'));
  }, 120_000);

  afterAll(async () => {
    for (const k of kids) k.kill('SIGKILL');
    await srv?.close();
    await dk?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('captures every node of the container with exact tokens, and names the container; not the host\'s node', async (ctx) => {
    if (!dk) return ctx.skip();
    const name = 'agentsight-ct';
    const image = dk.nodeImage();
    // The container's shell: a client waiting for go-before (running before the recording), and one it starts later.
    const script = `node /w/client.js ${srv.url} before /w & while [ ! -e /w/go-later ]; do sleep 0.1; done; rm /w/go-later; node /w/client.js ${srv.url} later /w now; while true; do sleep 1; done`;
    const id = dk.docker('run', '-d', '--name', name, '--network', 'host', '-v', `${work}:/w`, '-e', 'NODE_EXTRA_CA_CERTS=/w/ca.crt', image, 'sh', '-c', script);
    await until(() => fs.readdirSync(work).some((f) => f.startsWith('ready-before-')), 'the container\'s client');
    // The host's own node, same file path, same server, same moment: not the container's.
    const host = spawn(process.execPath, [path.join(work, 'client.js'), srv.url, 'host', work], { env: { ...process.env, NODE_EXTRA_CA_CERTS: srv.caCertPath }, stdio: 'ignore' });
    kids.push(host);
    await until(() => fs.readdirSync(work).some((f) => f.startsWith('ready-host-')), 'the host client');

    const db = path.join(work, 'rec.db');
    const rec = spawn(process.execPath, [CLI, 'record', '--db', db, '--container', name, '--duration', '300'], { env: dk.env, stdio: ['ignore', 'pipe', 'pipe'] });
    kids.push(rec);
    let stderr = '';
    rec.stderr!.on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((resolve) => rec.on('exit', (code) => resolve(code)));
    await until(() => hasRow(db, "SELECT 1 FROM meta WHERE key = 'attached_pids'"), 'the recording to start');

    fs.writeFileSync(path.join(work, 'go-before'), '');
    fs.writeFileSync(path.join(work, 'go-host'), '');
    await until(() => outs(work, 'before').length === 1 && outs(work, 'host').length === 1, 'the before and host calls');
    fs.writeFileSync(path.join(work, 'go-later'), '');
    await until(() => outs(work, 'later').length === 1, 'the later call');
    const ex = await runAsync('docker', ['exec', name, 'node', '/w/client.js', srv.url, 'exec', '/w', 'now'], { env: dk.env });
    expect(ex.code, ex.stderr).toBe(0);
    // The openssl CLI loads the container's own libssl.so.3 (a copy in the image: not the host's inode).
    const body = JSON.stringify({ model: 'claude-test', max_tokens: 64, messages: [{ role: 'user', content: 'hello from openssl' }] });
    fs.writeFileSync(path.join(work, 'req-ossl'), `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\nx-api-key: test-key\r\nanthropic-version: 2023-06-01\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    const ossl = await runAsync('docker', ['exec', name, 'sh', '-c', `openssl s_client -connect 127.0.0.1:${srv.port} -quiet < /w/req-ossl > /w/out-ossl 2>/dev/null`], { env: dk.env });
    expect(ossl.code, ossl.stderr).toBe(0);
    const osslUsage = JSON.parse(/"usage":(\{[^}]*\})/.exec(fs.readFileSync(path.join(work, 'out-ossl'), 'utf8'))![1]) as Usage;

    // A restart makes a new cgroup: once the recording has the restarted shell, its waiting client is asked again.
    const restart = await runAsync('docker', ['restart', '-t', '1', name], { env: dk.env });
    expect(restart.code, restart.stderr).toBe(0);
    const newPid = Number(dk.docker('inspect', '-f', '{{.State.Pid}}', name));
    await until(() => hasRow(db, 'SELECT 1 FROM processes WHERE pid = ?', newPid), 'the restarted container in the recording');
    await until(() => fs.readdirSync(work).filter((f) => f.startsWith('ready-before-')).length === 2, 'the restarted client');
    fs.writeFileSync(path.join(work, 'go-before'), '');
    await until(() => outs(work, 'before').length === 2, 'the call after the restart');

    rec.kill('SIGTERM');
    expect(await done, stderr).toBe(0);

    const nodes = [outs(work, 'before')[0], outs(work, 'later')[0], outs(work, 'exec')[0], outs(work, 'before')[1]];
    for (const o of nodes) expect(o.status).toBe(200);
    const expected = [nodes[0], nodes[1], nodes[2], { pid: null, usage: osslUsage }, nodes[3]];
    const calls = query<{ input_tokens: number; output_tokens: number; cache_write_tokens: number; cache_read_tokens: number; container_id: string; container_name: string; ns_pid: number; pid: number }>(
      db,
      `SELECT c.input_tokens, c.output_tokens, c.cache_write_tokens, c.cache_read_tokens, p.container_id, p.container_name, p.ns_pid, p.pid
         FROM llm_calls c JOIN processes p ON p.id = c.process_id ORDER BY c.start_ns`,
    );
    expect(calls.map((c) => [c.input_tokens, c.output_tokens, c.cache_write_tokens, c.cache_read_tokens])).toEqual(expected.map((o) => expectedTokens(o.usage)));
    expect(calls.map((c) => [c.container_name, c.container_id, expected[calls.indexOf(c)].pid === null ? null : c.ns_pid])).toEqual(expected.map((o) => [name, id, o.pid]));
    // Pids inside the container are not the host's.
    for (const c of calls) expect(c.pid).not.toBe(c.ns_pid);

    // The host's node made its call (the server saw six) and is nowhere in the recording.
    expect(outs(work, 'host')).toHaveLength(1);
    expect(srv.requests.filter((r) => r.path === '/v1/messages')).toHaveLength(6);
    expect(query(db, 'SELECT pid FROM processes WHERE pid = ?', host.pid)).toEqual([]);
    const outside = query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM processes WHERE container_id IS NOT ? ', id)[0].n;
    expect(outside).toBe(0);

    // The probes went on the container's own node (another inode than the host's /usr/bin/node).
    const targets = query<{ path: string; detail: string }>(db, "SELECT path, detail FROM tls_targets WHERE status = 'attached' AND detail LIKE '%another mount namespace%'");
    expect(targets.map((t) => t.path)).toContain('/usr/bin/node');
    const libs = query<{ path: string; detail: string }>(db, "SELECT path, detail FROM tls_targets WHERE status = 'attached' AND detail LIKE '%of container%'");
    expect(libs.map((t) => t.path)).toContain('/lib/x86_64-linux-gnu/libssl.so.3');
    expect(query<{ value: string }>(db, "SELECT value FROM meta WHERE key = 'container'").map((r) => JSON.parse(r.value))).toEqual([{ id, name, runtime: 'docker' }]);

    // The readers show where each process ran: top's tree and report audit, by container and in-container pid.
    const execCall = calls[2];
    const top = await runAsync(process.execPath, [CLI, 'top', '--once', '--db', db, '--width', '0']);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toMatch(new RegExp(`\\b${execCall.pid} \\[${name} pid ${execCall.ns_pid}\\] node /w/client\\.js \\S+ exec /w now`));
    const audit = await runAsync(process.execPath, [CLI, 'report', '--db', db, 'audit']);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(new RegExp(`spawn +${execCall.pid} .*\\[${name} pid ${execCall.ns_pid}\\] node /w/client\\.js`));
  }, 240_000);

  it('docker exec of a binary not yet probed is held at exec until its probes are in (the runtime is its parent)', async (ctx) => {
    if (!dk) return ctx.skip();
    const name = 'agentsight-hold';
    dk.docker('run', '-d', '--name', name, '--network', 'host', '-v', `${work}:/w`, '-e', 'NODE_EXTRA_CA_CERTS=/w/ca.crt', dk.nodeImage(), 'sh', '-c', 'while true; do sleep 1; done');
    const db = path.join(work, 'hold.db');
    const rec = spawn(process.execPath, [CLI, 'record', '--db', db, '--container', name, '--duration', '300'], { env: dk.env, stdio: ['ignore', 'pipe', 'pipe'] });
    kids.push(rec);
    let stderr = '';
    rec.stderr!.on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((resolve) => rec.on('exit', (code) => resolve(code)));
    await until(() => hasRow(db, "SELECT 1 FROM meta WHERE key = 'attached_pids'"), 'the recording to start');
    // The first node of this recording, started by the runtime in another process group than its parent's.
    const ex = await runAsync('docker', ['exec', name, 'node', '/w/client.js', srv.url, 'held', '/w', 'now'], { env: dk.env });
    expect(ex.code, ex.stderr).toBe(0);
    rec.kill('SIGTERM');
    expect(await done, stderr).toBe(0);
    dk.docker('rm', '-f', name);
    const hold = JSON.parse(query<{ value: string }>(db, "SELECT value FROM meta WHERE key = 'exec_hold'")[0].value) as { held: number; notHeld: number };
    expect(hold).toMatchObject({ held: 1, notHeld: 0 });
    const o = outs(work, 'held')[0];
    const calls = query<{ input_tokens: number; output_tokens: number; cache_write_tokens: number; cache_read_tokens: number; ns_pid: number }>(
      db, 'SELECT c.input_tokens, c.output_tokens, c.cache_write_tokens, c.cache_read_tokens, p.ns_pid FROM llm_calls c JOIN processes p ON p.id = c.process_id');
    expect(calls.map((c) => [c.input_tokens, c.output_tokens, c.cache_write_tokens, c.cache_read_tokens, c.ns_pid])).toEqual([[...expectedTokens(o.usage), o.pid]]);
  }, 120_000);

  it('a container with no network: its node, talking TLS over a mounted Unix socket, is captured', async (ctx) => {
    if (!dk) return ctx.skip();
    const name = 'agentsight-nonet';
    const sock = path.join(work, 'llm.sock');
    const fwd = net.createServer((c) => {
      const up = net.connect(srv.port, '127.0.0.1');
      c.pipe(up).pipe(c);
      up.on('error', () => c.destroy());
      c.on('error', () => up.destroy());
    });
    await new Promise<void>((r) => fwd.listen(sock, r));
    try {
      dk.docker('run', '-d', '--name', name, '--network', 'none', '-v', `${work}:/w`, '-e', 'NODE_EXTRA_CA_CERTS=/w/ca.crt', '-e', 'SOCK=/w/llm.sock',
        dk.nodeImage(), 'node', '/w/client.js', srv.url, 'nonet', '/w');
      await until(() => fs.readdirSync(work).some((f) => f.startsWith('ready-nonet-')), 'the client without network');
      const db = path.join(work, 'nonet.db');
      const rec = spawn(process.execPath, [CLI, 'record', '--db', db, '--container', name, '--duration', '300'], { env: dk.env, stdio: ['ignore', 'pipe', 'pipe'] });
      kids.push(rec);
      let stderr = '';
      rec.stderr!.on('data', (d) => (stderr += d));
      const done = new Promise<number | null>((resolve) => rec.on('exit', (code) => resolve(code)));
      await until(() => hasRow(db, "SELECT 1 FROM meta WHERE key = 'attached_pids'"), 'the recording to start');
      fs.writeFileSync(path.join(work, 'go-nonet'), '');
      await until(() => outs(work, 'nonet').length === 1, 'the call without network');
      rec.kill('SIGTERM');
      expect(await done, stderr).toBe(0);
      const o = outs(work, 'nonet')[0];
      expect(o.status).toBe(200);
      const calls = query<{ input_tokens: number; output_tokens: number; cache_write_tokens: number; cache_read_tokens: number; container_name: string }>(
        db, 'SELECT c.input_tokens, c.output_tokens, c.cache_write_tokens, c.cache_read_tokens, p.container_name FROM llm_calls c JOIN processes p ON p.id = c.process_id');
      expect(calls.map((c) => [c.input_tokens, c.output_tokens, c.cache_write_tokens, c.cache_read_tokens, c.container_name])).toEqual([[...expectedTokens(o.usage), name]]);
    } finally {
      fwd.close();
      try {
        dk.docker('rm', '-f', name);
      } catch {
        // not started
      }
    }
  }, 120_000);

  it('live top names the container of an agent running in one', async (ctx) => {
    if (!dk) return ctx.skip();
    const name = 'agentsight-agent';
    // `node …/claude` is recognised as Claude Code by its argv (agents.ts); it waits for a go file that never comes.
    fs.copyFileSync(path.join(work, 'client.js'), path.join(work, 'claude'));
    const id = dk.docker('run', '-d', '--name', name, '--network', 'host', '-v', `${work}:/w`, dk.nodeImage(), 'node', '/w/claude', srv.url, 'never', '/w');
    const pid = Number(dk.docker('inspect', '-f', '{{.State.Pid}}', name));
    await until(() => fs.readdirSync(work).some((f) => f.startsWith('ready-never-')), 'the agent in the container');
    const top = await runAsync(process.execPath, [CLI, 'top', '--once', '--width', '0'], { env: dk.env });
    dk.docker('rm', '-f', name);
    expect(top.code, top.stderr).toBe(0);
    // The name comes from the Docker API asynchronously: until it has come, the short id stands for it.
    expect(top.stdout).toMatch(new RegExp(`\\b${pid} \\[(${name}|${id.slice(0, 12)}) pid 1\\] node /w/claude`));
  }, 120_000);

  it('record -c COMM names the container of a process it attaches to', async (ctx) => {
    if (!dk) return ctx.skip();
    const name = 'agentsight-comm';
    dk.docker('run', '-d', '--name', name, '--network', 'host', '-v', `${work}:/w`, dk.nodeImage(), 'ctagent', '/w/client.js', srv.url, 'comm', '/w');
    const pid = Number(dk.docker('inspect', '-f', '{{.State.Pid}}', name));
    await until(() => fs.readdirSync(work).some((f) => f.startsWith('ready-comm-')), 'the process to attach to');
    const db = path.join(work, 'comm.db');
    const r = await runAsync(process.execPath, [CLI, 'record', '-q', '--db', db, '-c', 'ctagent', '--duration', '2'], { env: dk.env });
    dk.docker('rm', '-f', name);
    expect(r.code, r.stderr).toBe(0);
    expect(query(db, 'SELECT pid, container_name, ns_pid FROM processes WHERE pid = ?', pid)).toEqual([{ pid, container_name: name, ns_pid: 1 }]);
  }, 120_000);

  it('a name no container has: one line, non-zero exit, no recording', async (ctx) => {
    if (!dk) return ctx.skip();
    const db = path.join(work, 'none.db');
    const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--container', 'no-such-container-here', '--duration', '1'], { env: dk.env });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/--container no-such-container-here: no such container \(docker knows no such container;/)]);
    expect(fs.existsSync(db)).toBe(false);
  }, 60_000);
}, { skip: absent });
