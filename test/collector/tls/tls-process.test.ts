// TLS records and the process model: a TLS record decoded after its process's exit record (a short-lived client:
// the native poll thread delivers TLS records after the event records drained with them) still belongs to that
// process and its session; a socket whose first send was a ClientHello and that no plaintext stream accounts for is a
// loss named by its reason, with its bytes. Real Collector, TlsHandler, NetHandler and SQLite store; synthetic records.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../../src/collector/collector';
import { EV, NET_EVENT, NET_TLS, PROC_EXEC, PROC_EXIT, PROC_FORK, TLS_DATA } from '../../../src/collector/decode/layout';
import { NetHandler } from '../../../src/collector/net/net-handler';
import { TlsCoverage, registerTlsCoverage } from '../../../src/collector/tls/tls-coverage';
import { TlsHandler } from '../../../src/collector/tls/tls-handler';
import { createRecording, type SqliteStore } from '../../../src/store';

const BASE = 5_000_000_000;
let ts = BASE;
const dirs: string[] = [];

function header(b: Buffer, type: number, size: number, tgid: number): void {
  b.writeUInt16LE(type, 0);
  b.writeUInt16LE(0, 2);
  b.writeUInt32LE(size, 4);
  b.writeBigUInt64LE(BigInt((ts += 1000)), 8);
  b.writeUInt32LE(tgid, 16);
  b.writeUInt32LE(tgid, 20);
}

function fork(tgid: number, kstart: number): Buffer {
  const b = Buffer.alloc(PROC_FORK.size);
  header(b, EV.PROC_FORK, b.length, tgid);
  b.writeBigUInt64LE(BigInt(kstart), PROC_FORK.fields.kstart_ns[0]);
  b.writeUInt32LE(1, PROC_FORK.fields.parent_tgid[0]);
  b.write('client', PROC_FORK.fields.comm[0]);
  return b;
}

function exec(tgid: number, kstart: number, exe: string): Buffer {
  const f = PROC_EXEC.fields;
  const cwd = Buffer.from('/');
  const argv = Buffer.from(`${exe}\0`);
  const e = Buffer.from(exe);
  const b = Buffer.alloc(PROC_EXEC.size + e.length + cwd.length + argv.length);
  header(b, EV.PROC_EXEC, b.length, tgid);
  b.writeBigUInt64LE(BigInt(kstart), f.kstart_ns[0]);
  b.writeUInt32LE(1, f.ppid[0]);
  b.writeUInt16LE(e.length, f.exe_len[0]);
  b.writeUInt16LE(cwd.length, f.cwd_len[0]);
  b.writeUInt32LE(argv.length, f.argv_len[0]);
  b.write(path.basename(exe), f.comm[0]);
  Buffer.concat([e, cwd, argv]).copy(b, PROC_EXEC.size);
  return b;
}

function exit(tgid: number, kstart: number): Buffer {
  const b = Buffer.alloc(PROC_EXIT.size);
  header(b, EV.PROC_EXIT, b.length, tgid);
  b.writeBigUInt64LE(BigInt(kstart), PROC_EXIT.fields.kstart_ns[0]);
  return b;
}

function connect(tgid: number, sockId: bigint): Buffer {
  const f = NET_EVENT.fields;
  const b = Buffer.alloc(NET_EVENT.size);
  header(b, 32, b.length, tgid);
  b.writeBigUInt64LE(sockId, f.sock_id[0]);
  b.writeInt32LE(5, f.fd[0]);
  b.writeUInt16LE(2, f.family[0]);
  b.writeUInt16LE(443, f.port[0]);
  b.writeUInt16LE(1, f.sock_type[0]);
  b.writeUInt16LE(6, f.protocol[0]);
  b.writeUInt16LE(4, f.addr_len[0]);
  Buffer.from([127, 0, 0, 1]).copy(b, 56);
  return b;
}

function hello(tgid: number, sockId: bigint): Buffer {
  const b = Buffer.alloc(NET_TLS.size);
  header(b, 37, b.length, tgid);
  b.writeBigUInt64LE(sockId, NET_TLS.fields.sock_id[0]);
  b.writeUInt32LE(517, NET_TLS.fields.len[0]);
  b.writeUInt16LE(0x0301, NET_TLS.fields.version[0]);
  return b;
}

function tlsData(tgid: number, conn: bigint, dir: 0 | 1, text: string): Buffer {
  const f = TLS_DATA.fields;
  const data = Buffer.from(text);
  const b = Buffer.alloc(TLS_DATA.size + data.length);
  header(b, 48, b.length, tgid);
  b.writeBigUInt64LE(conn, f.conn[0]);
  b.writeBigUInt64LE(BigInt(ts), f.call_ts_ns[0]);
  b.writeUInt32LE(data.length, f.call_len[0]);
  b.writeUInt32LE(data.length, f.len[0]);
  b.writeUInt8(dir, f.dir[0]);
  b.writeUInt8(1, f.api[0]);
  data.copy(b, TLS_DATA.size);
  return b;
}

/** Records packed as the native addon packs a batch (ring 0: events, ring 1: TLS). */
function batch(records: Array<[number, Buffer]>) {
  const total = records.reduce((n, [, r]) => n + 8 + ((r.length + 7) & ~7), 0);
  const bytes = Buffer.alloc(total);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  for (const [ring, r] of records) {
    view.setUint32(off, r.length, true);
    view.setUint32(off + 4, ring, true);
    bytes.set(r, off + 8);
    off += 8 + ((r.length + 7) & ~7);
  }
  return { bytes, view, records: records.length };
}

const BODY = JSON.stringify({ model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
const REQUEST = `POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`;
const REPLY = JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [{ type: 'text', text: 'hello' }], stop_reason: 'end_turn', usage: { input_tokens: 20, output_tokens: 7 } });
const RESPONSE = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${REPLY.length}\r\n\r\n${REPLY}`;

function collector(): { c: Collector; store: SqliteStore; cov: TlsCoverage } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-process-'));
  dirs.push(dir);
  const store = createRecording(path.join(dir, 'r.db'));
  const c = new Collector(store, { clockOffsetNs: 0, mode: 'record', title: 'test', agentPatterns: [] });
  const cov = new TlsCoverage();
  registerTlsCoverage(c, cov);
  // every socket sent 2,000 bytes and received 3,000 (more than a handshake: it carried a request)
  c.addHandler(new NetHandler(() => ({ sent: 2000, recv: 3000 }), { hostsFile: null }));
  c.addHandler(new TlsHandler(c));
  c.addHandler(cov);
  return { c, store, cov };
}

afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('TLS records and their process', () => {
  it('a TLS exchange decoded after its process exited keeps the process, its session and its LLM call', () => {
    const { c, store } = collector();
    c.onBatch(batch([[0, fork(700, BASE)], [0, exec(700, BASE, '/usr/bin/curl')], [0, exit(700, BASE)]]));
    c.onBatch(batch([[1, tlsData(700, 0xabcn, 0, REQUEST)], [1, tlsData(700, 0xabcn, 1, RESPONSE)]]));
    c.finish(Date.now() * 1e6);
    const proc = store.processes().find((p) => p.pid === 700)!;
    const conns = store.tlsConns();
    expect(conns).toHaveLength(1);
    expect(conns[0].processId).toBe(proc.id);
    expect(conns[0].sessionId).toBe(proc.sessionId);
    const calls = store.llmCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0].sessionId).toBe(proc.sessionId);
    // the figures every surface prints: whole recording and the session agree
    const whole = store.completeness();
    expect(whole).toMatchObject({ llmCalls: 1, tokens: 27, tlsDecrypted: 1, complete: true });
    expect(store.completeness({ sessionId: proc.sessionId! })).toMatchObject({ llmCalls: 1, tokens: 27, tlsDecrypted: 1 });
    expect(store.sessions()[0].llmCalls).toBe(1);
    store.close();
  });

  it('a ClientHello socket without plaintext is a loss with its reason; one with plaintext is not', () => {
    const { c, store } = collector();
    c.onBatch(batch([
      [0, fork(801, BASE)], [0, exec(801, BASE, '/bin/true')], [0, connect(801, 0x1000n)], [0, hello(801, 0x1000n)],
      [0, fork(802, BASE + 1)], [0, exec(802, BASE + 1, '/bin/true')], [0, connect(802, 0x2000n)], [0, hello(802, 0x2000n)],
    ]));
    c.onBatch(batch([[1, tlsData(802, 0xdefn, 0, REQUEST)], [1, tlsData(802, 0xdefn, 1, RESPONSE)]]));
    c.onBatch(batch([[0, exit(801, BASE)], [0, exit(802, BASE + 1)]]));
    c.finish(Date.now() * 1e6);
    const p801 = store.processes().find((p) => p.pid === 801)!;
    const losses = store.losses().filter((l) => l.source.startsWith('tls:'));
    expect(losses).toHaveLength(1);
    expect(losses[0]).toMatchObject({ source: 'tls:unknown-stack', processId: p801.id, count: 1 });
    expect(losses[0].detail).toMatch(/TLS connection to 127\.0\.0\.1:443 .* not decrypted: no TLS stack recognised in \/bin\/true/);
    const v = store.completeness();
    expect(v.complete).toBe(false);
    expect(v.tlsDecrypted).toBe(1);
    expect(v.tlsNotDecrypted).toEqual([{ reason: 'tls:unknown-stack', connections: 1, bytes: 5000 }]);
    expect(v.tlsNotDecryptedConnections).toHaveLength(1);
    store.close();
  });

  it('names why: probes attached after the connection started, or a stack recognised but not probed', () => {
    const { c, store, cov } = collector();
    const exe = fs.realpathSync('/bin/true');
    const target = (status: string, tsNs: number) => ({ id: 1, path: exe, buildId: null, sha256: null, stack: 'openssl', status, detail: '', probes: '[]', tsNs });
    // probed, but only after this connection's hello (whose time is ~BASE ns: the unix clock offset is 0 here)
    cov.noteTarget({ row: target('attached', BASE * 10), unprobed: [] });
    c.onBatch(batch([[0, fork(901, BASE)], [0, exec(901, BASE, exe)], [0, connect(901, 0x3000n)], [0, hello(901, 0x3000n)], [0, exit(901, BASE)]]));
    c.finish(Date.now() * 1e6);
    expect(store.losses().map((l) => [l.source, l.detail?.replace(/.*not decrypted: /, '')])).toEqual([
      ['tls:before-attach', expect.stringMatching(new RegExp(`^probes in ${exe} attached \\d+ ms after the connection started$`))],
    ]);
    store.close();

    const second = collector();
    second.cov.noteTarget({ row: target('not-found', 0), unprobed: ['gnutls', 'go-crypto-tls'] });
    second.c.onBatch(batch([[0, fork(902, BASE)], [0, exec(902, BASE, exe)], [0, connect(902, 0x4000n)], [0, hello(902, 0x4000n)]]));
    second.c.finish(Date.now() * 1e6);
    expect(second.store.losses().map((l) => [l.source, l.detail?.replace(/.*not decrypted: /, '')])).toEqual([
      ['tls:not-probed', `GnuTLS, Go crypto/tls in ${exe} is not probed`],
    ]);
    second.store.close();
  });
});
