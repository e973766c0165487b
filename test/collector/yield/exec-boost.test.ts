// A binary exec'd after capture start gets its TLS uprobes from the collector's JS thread, which yields the CPU to the
// traced program (SCHED_IDLE, nice 19) and so, on a busy machine, may get no CPU for seconds: its first TLS calls would
// go unseen. A batch holding an exec of a file not handled yet suspends the yielding until JS has handled it
// (native/yield-policy.cc WatchExecs). Here two spinning loops keep both cores busy while node, exec'd under them once the
// collector yields (after a second), makes its TLS calls a second after it starts: without the suspension the JS
// thread (weight 3 against 3 × 1024) attaches late.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeCa } from '../../fake-llm/cert';
import { describeBpf } from '../../helpers/bpf-env';
import { captureCommand, tempDir } from '../../helpers/capture';

const MARKER = 'exec-boost-marker-5b1f';

describeBpf('a binary exec\'d under full CPU load is probed before its first TLS call', ['process', 'tls'], () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('as-exec-boost-');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('captures the TLS plaintext of node exec\'d while both cores are busy', async () => {
    const ca = makeCa();
    fs.writeFileSync(path.join(dir, 'key.pem'), ca.key);
    fs.writeFileSync(path.join(dir, 'cert.pem'), ca.cert);
    // TLS client and echo server in one node process, 1 s after it starts. Measured from exec to attach here, both
    // cores spinning: 22-137 ms with the yielding suspended, 1.3-2.1 s without (then this fails on the plaintext or
    // on the boost count). An uncached discovery of node adds ~0.7 s of CPU, shared with three busy tasks.
    fs.writeFileSync(
      path.join(dir, 'tls-echo.js'),
      `const tls = require('node:tls'), fs = require('node:fs');
setTimeout(() => {
  const server = tls.createServer({ key: fs.readFileSync('key.pem'), cert: fs.readFileSync('cert.pem') }, (s) => s.pipe(s));
  server.listen(0, '127.0.0.1', () => {
    const c = tls.connect({ port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false }, () => c.write('${MARKER}'));
    c.on('data', () => { c.end(); server.close(); console.log('echoed'); });
  });
}, 1000);
`,
    );
    const c = await captureCommand(dir, '/bin/sh', ['-c', `spin() { while :; do :; done; }; spin & a=$!; spin & b=$!; sleep 1; ${process.execPath} tls-echo.js; kill $a $b`], {
      groups: ['process', 'tls'],
    });
    try {
      expect(c.exitCode, c.stderr).toBe(0);
      expect(c.stdout).toContain('echoed');
      expect(c.store.tlsTargets().some((t) => t.path === fs.realpathSync(process.execPath) && t.status === 'attached')).toBe(true);
      const db = new Database(c.store.path, { readonly: true });
      const chunks = db.prepare('SELECT dir, data FROM tls_chunks').all() as Array<{ dir: number; data: Buffer }>;
      db.close();
      // the client's write, the server's read and echo, the client's read
      expect(chunks.filter((x) => x.data.toString().includes(MARKER)).map((x) => x.dir).sort()).toEqual([0, 0, 1, 1]);
      expect(c.runner.capture.deliveryStats().execBoosts).toBeGreaterThan(0);
    } finally {
      c.store.close();
    }
  });
});
