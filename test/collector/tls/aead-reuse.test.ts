// rustls/aws-lc connection identity when the allocator and the kernel reuse what named the last connection: a new
// connection on the same fd number with the same AEAD context addresses (malloc gives them back), in the same and in
// swapped directions, and under the address of an earlier connection's handshake context. Codex opens a connection
// per request, and its second request was seen inside the first one's stream (its preface in the receive direction):
// one LLM call instead of two; later its response in a stream of its own (a stale handshake-context binding). Real uprobes on a compiled stand-in
// (test/fixtures/tls/aead-reuse.c), real collector.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ElfFile } from '../../../src/collector/tls/discovery/elf-file';
import { AEAD_SOCKET_PROGRAMS } from '../../../src/collector/tls/tls-attacher';
import { describeBpf } from '../../helpers/bpf-env';
import { REPO, captureCommand, tempDir } from '../../helpers/capture';

let dir: string;
let bin: string;

describeBpf('TLS: AEAD contexts and fds reused by the next connection', ['tls'], () => {
  beforeAll(() => {
    dir = tempDir('as-aead-');
    bin = path.join(dir, 'aead-reuse');
    // -O0: each function keeps its own body (no identical-code folding, no tail call from open into seal).
    execFileSync('cc', ['-O0', '-o', bin, path.join(REPO, 'test', 'fixtures', 'tls', 'aead-reuse.c')]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps each connection in its own stream, each byte in its direction', async () => {
    const elf = ElfFile.open(bin);
    const offset = (name: string) => elf.vaddrToOffset(elf.findFunction(name)!.value);
    const seal = offset('EVP_AEAD_CTX_seal');
    const open = offset('EVP_AEAD_CTX_open');
    elf.close();
    const c = await captureCommand(dir, bin, [], {
      groups: ['process', 'tls'],
      beforeSpawn: (runner) => {
        // What TlsAttacher does for a file whose discovery found aws-lc.
        const host = runner.capture.host;
        host.attachUprobe('uprobe_aead_seal', bin, seal, false, -1);
        host.attachUprobe('uprobe_aead_open', bin, open, false, -1);
        host.attachUprobe('uretprobe_tls_call', bin, open, true, -1);
        for (const p of AEAD_SOCKET_PROGRAMS) host.attach(p);
      },
    });
    try {
      expect(c.exitCode, c.stderr).toBe(0);
      // The reuse this test is about did happen (glibc's per-thread cache is last-in first-out).
      expect(c.stdout).toContain('connection 2: send ctx first send, receive ctx first receive');
      expect(c.stdout).toContain('connection 3: send ctx first receive, receive ctx first send');
      expect(c.stdout).toContain('connection 5: send ctx first receive, receive ctx 4th handshake');
      const db = new Database(c.store.path, { readonly: true });
      const conns = db.prepare('SELECT id, conn_ptr, stack FROM tls_conns ORDER BY first_ns').all() as Array<{ id: number; conn_ptr: string; stack: string }>;
      const text = (id: number, dir: number) =>
        Buffer.concat((db.prepare('SELECT data FROM tls_chunks WHERE conn_id = ? AND dir = ? ORDER BY seq').all(id, dir) as Array<{ data: Buffer }>).map((r) => r.data)).toString();
      expect(conns.map((x) => ({ stack: x.stack, out: text(x.id, 0), in: text(x.id, 1) }))).toEqual([1, 2, 3, 4, 5].map((n) => ({ stack: 'rustls-aws-lc', out: `GET /${n} HTTP/1.1\r\nhost: a\r\n\r\n`, in: `HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n${n}` })));
      // Five connections on one fd number, told apart.
      expect(new Set(conns.map((x) => x.conn_ptr)).size).toBe(5);
      // Each connection's exchange decoded on its own, nothing lost or out of sync.
      expect(db.prepare('SELECT path, status FROM http_exchanges ORDER BY start_ns').all()).toEqual([1, 2, 3, 4, 5].map((n) => ({ path: `/${n}`, status: 200 })));
      expect(c.store.lossTotals()).toEqual([]);
      db.close();
    } finally {
      c.store.close();
    }
  });
});
