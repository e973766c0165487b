/**
 * Discovery on real agent binaries, and proof with real runs that the found offsets see the plaintext:
 * gdb breaks at the discovered *file offsets* (converted with the live mappings, as a uprobe would be placed)
 * while the agent talks TLS to a local server, and the argument registers must hold exactly what the
 * server received.
 *
 * bun is installed from the npm registry when missing (AGENTSIGHT_NO_INSTALL=1 prevents it); the Claude Code and Codex
 * checks need AGENTSIGHT_AGENT_TESTS=1 (helpers.ts says why).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverTls, resolveCommand, TlsDiscovery } from '../../../../src/collector/tls/discovery';
import {
  AGENT_TESTS,
  agentBinaries,
  FakeLlmServer,
  GdbEvent,
  hasCommand,
  hex,
  loudSkip,
  makePki,
  runProgram,
  runUnderGdb,
  startFakeLlmServer,
  TestPki,
  tracefsUprobesAvailable,
  withKernelUprobes,
} from './helpers';
import { itBpf } from '../../../helpers/bpf-env';

const bins = agentBinaries();
const GDB = hasCommand('gdb');
const OPENSSL = hasCommand('openssl');
if (!bins.bun) loudSkip('bun could not be installed (AGENTSIGHT_NO_INSTALL=1 or no npm registry): the BoringSSL tests are skipped; run scripts/install-agents.sh');
if (AGENT_TESTS && (!bins.claude || !bins.codex)) loudSkip('Claude Code or Codex could not be installed: their discovery checks are skipped; run scripts/install-agents.sh');
if (!AGENT_TESTS) loudSkip('AGENTSIGHT_AGENT_TESTS is not 1: the Claude Code and Codex gdb cross-checks are skipped (opt-in: gdb and kernel uprobes on one function exclude each other)');
// Kernel uprobes are BPF capture's own mechanism: describeBpf/itBpf fail without them under AGENTSIGHT_REQUIRE_BPF=1.
const UPROBES = tracefsUprobesAvailable() ? null : 'tracefs uprobe_events is not writable';
if (!GDB) loudSkip('gdb is not installed (apt-get install -y gdb): plaintext checks at the discovered offsets are skipped');

function discover(file: string): TlsDiscovery {
  const r = discoverTls(file, { useCache: false });
  console.log(`discovery of ${path.basename(file)}: ${r.elapsedMs.toFixed(0)} ms\n${r.detail}`);
  return r;
}

/** The bytes of the file at each probe's offset, to compare with what gdb finds at the runtime address. */
function fileBytes(file: string, offset: number, n = 16): string {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(n);
    fs.readSync(fd, b, 0, n, offset);
    return b.toString('hex');
  } finally {
    fs.closeSync(fd);
  }
}

function expectPlacedAtFileBytes(events: GdbEvent[], file: string, r: TlsDiscovery): void {
  for (const p of r.probes) {
    const placed = events.find((e) => e.type === 'placed' && e.kind === p.kind);
    expect(placed, `gdb placed ${p.kind}`).toBeDefined();
    // A kernel uprobe on the same file (another test's capture of the same agent binary, running in parallel) shows
    // as int3 in every process mapping it: the function's first byte then reads 0xcc; the rest must match.
    const want = fileBytes(file, p.fileOffset);
    expect(placed!.bytes.startsWith('cc') ? want.slice(0, 2) + placed!.bytes.slice(2) : placed!.bytes).toBe(want);
  }
  expect(events.filter((e) => e.type === 'error' || e.type === 'gdb-error')).toEqual([]);
}

/** SSL_write entries and positive SSL_read returns of one SSL*, in order. */
function sslStreams(events: GdbEvent[], ssl: number): { out: Buffer; in: Buffer } {
  const writes = events.filter((e) => e.type === 'entry' && e.kind === 'SSL_write' && e.rdi === ssl);
  for (const w of writes) expect(hex(w.data).length).toBe(w.rdx! & 0xffffffff); // rdx is the length, rsi the bytes
  const reads = events.filter((e) => e.type === 'return' && e.kind === 'SSL_read' && e.rdi === ssl && (e.ret ?? 0) > 0);
  return { out: Buffer.concat(writes.map((w) => hex(w.data))), in: Buffer.concat(reads.map((r) => hex(r.data))) };
}

describe.runIf(!!bins.bun)('bun (BoringSSL in a stripped non-PIE binary without .eh_frame_hdr)', () => {
  let r: TlsDiscovery;
  beforeAll(() => {
    r = discover(bins.bun);
  });

  it('finds SSL_write, SSL_read and SSL_do_handshake by ssl_lib.cc error sites, verified by call sites', () => {
    expect(r.stack).toBe('boringssl');
    expect(r.probes.map((p) => p.kind)).toEqual(['SSL_write', 'SSL_read', 'SSL_do_handshake']);
    expect(r.probes[0].vaddr).not.toBe(r.probes[1].vaddr);
    for (const p of r.probes) expect(p.method).toMatch(/int3-padding|eh_frame/);
    expect(r.detail).toMatch(/SSL_write check: .*direct call site/);
  });

  describe.runIf(GDB && OPENSSL)('under gdb, against a local HTTPS server', () => {
    let pki: TestPki;
    let server: FakeLlmServer;
    beforeAll(async () => {
      pki = makePki();
      server = await startFakeLlmServer(pki);
    });
    afterAll(async () => {
      await server?.close();
    });

    it('SSL_write: rsi holds "POST /v1/messages…", rdx its length; SSL_read returns the response; one SSL* for both', async () => {
      const marker = `agentsight-marker-${process.pid}-${Date.now()}`;
      const body = JSON.stringify({ marker, pad: 'x'.repeat(3000) });
      const script = path.join(pki.dir, 'client.mjs');
      fs.writeFileSync(
        script,
        `const r = await fetch('https://127.0.0.1:${server.port}/v1/messages', { method: 'POST', body: ${JSON.stringify(body)},
           headers: { 'content-type': 'application/json' }, tls: { rejectUnauthorized: false } });
         console.log(r.status, await r.text());`,
      );
      const { events, log } = await runUnderGdb({ argv: [bins.bun, script], env: { ...process.env }, probes: r.probes, cap: 65536 });
      expect(log).toContain('200 event: message_start');
      expectPlacedAtFileBytes(events, bins.bun, r);
      const first = events.find((e) => e.type === 'entry' && e.kind === 'SSL_write' && hex(e.data).toString('latin1').startsWith('POST /v1/messages HTTP/1.1'));
      expect(first, 'an SSL_write carrying the request line').toBeDefined();
      expect(first!.thread).toBe('HTTP Client');
      const s = sslStreams(events, first!.rdi!);
      const received = server.requests.find((q) => q.body.toString().includes(marker))!;
      expect(received.body.toString()).toBe(body);
      // The captured plaintext is the full HTTP/1.1 request: header block then exactly the body the server got.
      const text = s.out.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      expect(text.slice(split + 4)).toBe(body);
      expect(s.in.toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\ncontent-type: text\/event-stream[\s\S]*hello from agentsight test/);
    });

    itBpf('real kernel uprobes at the file offsets: SSL_write entry sees the request, SSL_read return its length', async () => {
      const script = path.join(pki.dir, 'client-uprobe.mjs');
      fs.writeFileSync(
        script,
        `const r = await fetch('https://127.0.0.1:${server.port}/v1/messages', { method: 'POST', body: 'uprobe-check',
           tls: { rejectUnauthorized: false } });
         console.log(r.status, (await r.text()).length);`,
      );
      const w = r.probes.find((p) => p.kind === 'SSL_write')!;
      const rd = r.probes.find((p) => p.kind === 'SSL_read')!;
      let out = '';
      const lines = await withKernelUprobes(
        {
          w: `p ${bins.bun}:0x${w.fileOffset.toString(16)} len=%dx:s32 buf=+0(%si):string`,
          r: `r ${bins.bun}:0x${rd.fileOffset.toString(16)} ret=%ax:s32`,
        },
        async () => {
          out = await runProgram([bins.bun, script]);
        },
      );
      expect(out).toMatch(/^200 \d+/);
      const write = lines.find((l) => / w: .*buf="POST \/v1\/messages HTTP\/1\.1/.test(l));
      expect(write, lines.join('\n')).toBeDefined();
      expect(write).toMatch(/HTTP Client/);
      expect(lines.some((l) => / r: .* ret=[1-9]\d*$/.test(l))).toBe(true);
    }, { unavailable: UPROBES });
  });
});

describe.runIf(AGENT_TESTS && !!bins.claude)('Claude Code native build (Bun single-file, BoringSSL)', () => {
  let r: TlsDiscovery;
  beforeAll(() => {
    r = discover(bins.claude);
  });

  it('finds SSL_write, SSL_read and SSL_do_handshake', () => {
    expect(r.stack).toBe('boringssl');
    expect(r.probes.map((p) => p.kind)).toEqual(['SSL_write', 'SSL_read', 'SSL_do_handshake']);
  });

  it('`record -- claude` through node_modules/.bin resolves to the native binary (same inode as the platform package)', () => {
    const binDir = path.join(path.dirname(bins.claude), '..', '..', '.bin');
    const rc = resolveCommand('claude', { PATH: `${binDir}:/usr/bin:/bin` });
    expect(rc.program).not.toBeNull();
    expect(fs.statSync(rc.program!).ino).toBe(fs.statSync(bins.claude).ino);
  });

  it.runIf(GDB && OPENSSL)('a real `claude -p` request is seen whole at SSL_write (16 KB chunks), the SSE reply at SSL_read', async () => {
    const pki = makePki();
    const server = await startFakeLlmServer(pki);
    try {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-claude-home-'));
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        HOME: home,
        ANTHROPIC_BASE_URL: `https://127.0.0.1:${server.port}`,
        NODE_EXTRA_CA_CERTS: pki.caPem,
        ANTHROPIC_API_KEY: 'sk-ant-agentsight-test',
        DISABLE_TELEMETRY: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        ...(process.getuid?.() === 0 ? { IS_SANDBOX: '1' } : {}),
      };
      const { events, log } = await runUnderGdb({ argv: [bins.claude, '-p', 'hi', '--dangerously-skip-permissions'], env, probes: r.probes, cap: 1 << 20, cwd: home });
      expect(log).toContain('hello from agentsight test');
      expectPlacedAtFileBytes(events, bins.claude, r);
      const first = events.find((e) => e.type === 'entry' && e.kind === 'SSL_write' && hex(e.data).toString('latin1').startsWith('POST /v1/messages'));
      expect(first).toBeDefined();
      const s = sslStreams(events, first!.rdi!);
      const received = server.requests.find((q) => q.url.startsWith('/v1/messages') && q.method === 'POST')!;
      const text = s.out.toString('latin1');
      expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe(received.body.toString('latin1'));
      expect(s.in.toString('latin1')).toContain('hello from agentsight test');
      const chunks = events.filter((e) => e.type === 'entry' && e.kind === 'SSL_write' && e.rdi === first!.rdi);
      console.log(`claude: request ${received.body.length} B body in ${chunks.length} SSL_write calls (${chunks.map((c) => c.len).join(',')}) on thread ${first!.thread}`);
    } finally {
      await server.close();
    }
  });
});

/** HTTP/2 frames of a byte stream: type, stream, payload. */
function h2Frames(buf: Buffer): { type: number; flags: number; stream: number; payload: Buffer }[] {
  const frames: { type: number; flags: number; stream: number; payload: Buffer }[] = [];
  let p = 0;
  while (p + 9 <= buf.length) {
    const len = buf.readUIntBE(p, 3);
    if (p + 9 + len > buf.length) break;
    frames.push({ type: buf[p + 3], flags: buf[p + 4], stream: buf.readUInt32BE(p + 5) & 0x7fffffff, payload: buf.subarray(p + 9, p + 9 + len) });
    p += 9 + len;
  }
  return frames;
}

describe.runIf(AGENT_TESTS && !!bins.codex)('Codex (rustls + aws-lc in a stripped static-pie musl binary)', () => {
  let r: TlsDiscovery;
  beforeAll(() => {
    r = discover(bins.codex);
  });

  it('finds EVP_AEAD_CTX_seal and EVP_AEAD_CTX_open, and says ring is linked too (provider chosen at run time)', () => {
    expect(r.stack).toBe('rustls-aws-lc');
    expect(r.probes.map((p) => p.kind)).toEqual(['EVP_AEAD_CTX_seal', 'EVP_AEAD_CTX_open']);
    expect(r.unprobed).toContain('rustls-ring');
    expect(r.detail).toMatch(/both the ring and the aws-lc-rs providers are linked/);
  });

  it.runIf(GDB && OPENSSL)('seal sees the HTTP/2 request (inner plaintext + 0x17), open the response; ctx↔fd via the adjacent socket syscalls', async () => {
    const pki = makePki();
    const server = await startFakeLlmServer(pki);
    try {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-codex-home-'));
      fs.writeFileSync(
        path.join(home, 'config.toml'),
        `model = "gpt-5"\nmodel_provider = "local"\n[model_providers.local]\nname = "local"\nbase_url = "https://127.0.0.1:${server.port}/v1"\nwire_api = "responses"\nenv_key = "AGENTSIGHT_TEST_KEY"\n`,
      );
      const env = { ...process.env, CODEX_HOME: home, SSL_CERT_FILE: pki.caPem, AGENTSIGHT_TEST_KEY: 'sk-agentsight-test' };
      // gdb lifts its breakpoints while a vfork child shares the address space, and Codex vforks helpers while
      // other threads keep talking TLS: about 1 run in 25 saw no AEAD call at all (kernel uprobes, tested below,
      // have no such gap). Such a run is retried; any run with calls is checked in full.
      let run = await runUnderGdb({
        argv: [bins.codex, 'exec', '--skip-git-repo-check', 'say hi'],
        env,
        cwd: home,
        probes: r.probes,
        cap: 20000,
        syscalls: ['sendto', 'recvfrom', 'writev', 'sendmsg', 'recvmsg'],
      });
      for (let attempt = 1; attempt < 3 && !run.events.some((e) => e.type === 'entry'); attempt++) {
        console.warn(`codex under gdb: no AEAD call seen (vfork window), retry ${attempt}`);
        run = await runUnderGdb({
          argv: [bins.codex, 'exec', '--skip-git-repo-check', 'say hi'],
          env,
          cwd: home,
          probes: r.probes,
          cap: 20000,
          syscalls: ['sendto', 'recvfrom', 'writev', 'sendmsg', 'recvmsg'],
        });
      }
      const { events, log } = run;
      expect(log).toContain('hello from agentsight test');
      expectPlacedAtFileBytes(events, bins.codex, r);

      // TLS records only (the AD is the 5-byte record header); the last plaintext byte is the content type.
      const seals = events.filter((e) => e.type === 'entry' && e.kind === 'EVP_AEAD_CTX_seal' && e.ad_len === 5);
      const opens = events.filter((e) => e.type === 'return' && e.kind === 'EVP_AEAD_CTX_open' && e.ret === 1);
      expect(seals.every((e) => hex(e.data).length === e.len)).toBe(true);
      const appSeals = seals.filter((e) => e.last === '17');
      const appOpens = opens.filter((e) => e.last === '17');
      expect(opens.some((e) => e.last === '16'), 'handshake records (0x16) appear and must be filtered').toBe(true);
      const sealCtx = appSeals[0].rdi!;
      const openCtx = appOpens[0].rdi!;
      expect(sealCtx).not.toBe(openCtx); // one AEAD context per direction

      const out = Buffer.concat(appSeals.filter((e) => e.rdi === sealCtx).map((e) => hex(e.data).subarray(0, -1)));
      const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
      expect(out.subarray(0, preface.length).toString('latin1')).toBe(preface);
      const reqData = new Map<number, Buffer[]>();
      for (const f of h2Frames(out.subarray(preface.length))) if (f.type === 0) reqData.set(f.stream, [...(reqData.get(f.stream) ?? []), f.payload]);
      const received = server.requests.find((q) => q.url.endsWith('/responses'))!;
      expect(received.httpVersion).toBe('2.0');
      const bodies = [...reqData.values()].map((b) => Buffer.concat(b).toString('latin1'));
      expect(bodies).toContain(received.body.toString('latin1'));

      const inb = Buffer.concat(appOpens.filter((e) => e.rdi === openCtx).map((e) => hex(e.data).subarray(0, -1)));
      const respData = h2Frames(inb).filter((f) => f.type === 0).map((f) => f.payload.toString('latin1')).join('');
      expect(respData).toContain('response.completed');

      // Connection identity evidence: a seal is followed, on the same thread, by a socket write on the TLS fd;
      // an open is preceded, on the same thread, by a socket read on that fd.
      const sys = (e: GdbEvent): boolean => e.type === 'syscall-entry' || e.type === 'syscall-exit';
      const ctxFds = new Map<number, Set<number>>();
      const bind = (ctx: number, fd: number): void => {
        ctxFds.set(ctx, (ctxFds.get(ctx) ?? new Set()).add(fd));
      };
      events.forEach((e, i) => {
        if (e.type === 'entry' && e.kind === 'EVP_AEAD_CTX_seal' && e.ad_len === 5) {
          const next = events.slice(i + 1).find((x) => sys(x) && x.lwp === e.lwp);
          expect(next?.name).toMatch(/^(writev|sendto|sendmsg)$/);
          bind(e.rdi!, next!.fd!);
        }
        if (e.type === 'entry' && e.kind === 'EVP_AEAD_CTX_open' && e.ad_len === 5) {
          const prev = events.slice(0, i).reverse().find((x) => sys(x) && x.lwp === e.lwp);
          expect(prev?.name).toMatch(/^(recvfrom|recvmsg)$/);
          bind(e.rdi!, prev!.fd!);
        }
      });
      // Each AEAD context belongs to exactly one socket, and both directions of the API connection meet there.
      for (const [ctx, set] of ctxFds) expect(set.size, `ctx 0x${ctx.toString(16)}`).toBe(1);
      const fd = [...ctxFds.get(sealCtx)!][0];
      expect([...ctxFds.get(openCtx)!][0]).toBe(fd);
      const fds = new Set([fd]);
      const sealThreads = new Set(appSeals.map((e) => e.lwp));
      console.log(`codex: ${appSeals.length} app-data seals, ${appOpens.length} app-data opens, fd ${[...fds][0]}, seal ctx on ${sealThreads.size} thread(s)`);
    } finally {
      await server.close();
    }
  });

  itBpf('real kernel uprobes: seal sees 5-byte record ADs and a full 16385-byte record, open returns 1', async () => {
    const pki = makePki();
    const server = await startFakeLlmServer(pki);
    try {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-codex-home-'));
      fs.writeFileSync(
        path.join(home, 'config.toml'),
        `model = "gpt-5"\nmodel_provider = "local"\n[model_providers.local]\nname = "local"\nbase_url = "https://127.0.0.1:${server.port}/v1"\nwire_api = "responses"\nenv_key = "AGENTSIGHT_TEST_KEY"\n`,
      );
      const seal = r.probes.find((p) => p.kind === 'EVP_AEAD_CTX_seal')!;
      const open = r.probes.find((p) => p.kind === 'EVP_AEAD_CTX_open')!;
      let out = '';
      const lines = await withKernelUprobes(
        {
          // Stack arguments at entry: in_len is the 8th argument ([rsp+16]), ad_len the 10th ([rsp+32]).
          s: `p ${bins.codex}:0x${seal.fileOffset.toString(16)} in_len=+16(%sp):u64 ad_len=+32(%sp):u64`,
          o: `r ${bins.codex}:0x${open.fileOffset.toString(16)} ret=%ax:s32`,
        },
        async () => {
          out = await runProgram([bins.codex, 'exec', '--skip-git-repo-check', 'say hi'], {
            cwd: home,
            env: { ...process.env, CODEX_HOME: home, SSL_CERT_FILE: pki.caPem, AGENTSIGHT_TEST_KEY: 'sk-agentsight-test' },
          });
        },
      );
      expect(out).toContain('hello from agentsight test');
      const seals = lines.filter((l) => / s: /.test(l));
      expect(seals.length, lines.join('\n')).toBeGreaterThan(3);
      expect(seals.every((l) => /ad_len=5\b/.test(l))).toBe(true);
      expect(seals.some((l) => /in_len=16385\b/.test(l))).toBe(true); // 16 KiB of the 39 KB request + type byte
      expect(lines.filter((l) => / o: .* ret=1$/.test(l)).length).toBeGreaterThan(3);
    } finally {
      await server.close();
    }
  }, { unavailable: UPROBES, skip: GDB && OPENSSL ? null : 'gdb or openssl is not installed' });
});
