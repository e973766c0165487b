// A call's bytes can reach the collector after its connection's end signal: Go emits (*tls.Conn).Write's bytes at its
// RET, and the writer goroutine may wait for a thread after the write syscall while the reader goroutine gets the reply
// and calls Close (1 in 3 runs of 30 sequential Go connections merged two of them). Bytes of a call that began before
// the end stay in that connection; the next connection at the same address gets its own stream. Real uprobes on a
// compiled stand-in (test/fixtures/tls/late-write.c), real collector.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBpf } from '../../helpers/bpf-env';
import { REPO, captureCommand, tempDir } from '../../helpers/capture';

let dir: string;
let bin: string;

describeBpf('TLS: a write that returns after its connection was freed', ['tls'], () => {
  beforeAll(() => {
    dir = tempDir('as-late-');
    bin = path.join(dir, 'late-write');
    execFileSync('cc', ['-O0', '-pthread', '-o', bin, path.join(REPO, 'test', 'fixtures', 'tls', 'late-write.c')]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('goes to the connection it began in, and the next connection at that address is its own stream', async () => {
    const c = await captureCommand(dir, bin, [], {
      groups: ['process', 'tls'],
      // Probed as `record` probes any program it runs: discovery finds SSL_write/SSL_read/SSL_free by symbol. Through
      // the attacher, not by hand: it also probes every binary a traced process execs, and a second set of probes
      // on the same functions would make returns without entries (tls:missed-entry) depending on timing.
      beforeSpawn: (runner) => {
        const row = runner.tls.attachFile(bin, 'late-write stand-in', true);
        expect(row?.status, row?.detail ?? '').toBe('attached');
      },
    });
    try {
      expect(c.exitCode, c.stderr).toBe(0);
      expect(c.stdout.trim()).toBe('done');
      const db = new Database(c.store.path, { readonly: true });
      const conns = db.prepare('SELECT id, conn_ptr FROM tls_conns ORDER BY first_ns').all() as Array<{ id: number; conn_ptr: string }>;
      const chunks = (id: number, dir: number) => db.prepare('SELECT data, ts_ns FROM tls_chunks WHERE conn_id = ? AND dir = ? ORDER BY seq').all(id, dir) as Array<{ data: Buffer; ts_ns: number }>;
      const text = (id: number, dir: number) => Buffer.concat(chunks(id, dir).map((r) => r.data)).toString();
      expect(conns.map((x) => ({ out: text(x.id, 0), in: text(x.id, 1) }))).toEqual(
        [1, 2].map((n) => ({ out: `GET /${n} HTTP/1.1\r\nhost: a\r\n\r\n`, in: `HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n${n}` })),
      );
      // what this is about did happen: one address, and connection 1's request arrived after its reply
      expect(new Set(conns.map((x) => x.conn_ptr)).size).toBe(1);
      expect(chunks(conns[0].id, 0)[0].ts_ns).toBeGreaterThan(chunks(conns[0].id, 1)[0].ts_ns);
      expect(c.store.lossTotals()).toEqual([]);
      db.close();
    } finally {
      c.store.close();
    }
  });
});
