/** Real TLS servers, certificates, agent binaries and the gdb harness for the TLS discovery tests. */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http2 from 'http2';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';

export const REPO = path.resolve(__dirname, '..', '..', '..', '..');
/**
 * The Claude Code and Codex gdb cross-checks are opt-in (AGENTSIGHT_AGENT_TESTS=1): gdb's breakpoint on a function
 * that a kernel uprobe also covers never traps (the uprobe takes the int3), and other tests' captures of the same
 * binaries — still attached while their detached hand-off releases them — make that happen in a full run.
 */
export const AGENT_TESTS = process.env.AGENTSIGHT_AGENT_TESTS === '1';

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function loudSkip(reason: string): void {
  // vitest shows skipped tests quietly; say why in the output so a green run is not mistaken for coverage.
  console.warn(`\n*** SKIPPED: ${reason} ***\n`);
}

/**
 * Paths of the agent binaries from scripts/install-agents.sh. bun (~40 MB from the npm registry, a few
 * seconds) is installed when missing so the BoringSSL plaintext check runs by default; AGENTSIGHT_NO_INSTALL=1
 * prevents that. Claude Code and Codex only with AGENTSIGHT_AGENT_TESTS=1.
 */
export function agentBinaries(): Record<string, string> {
  const dir = process.env.AGENTSIGHT_AGENTS_DIR ?? path.join(REPO, '.cache', 'agents');
  const has = (pkg: string): boolean => fs.existsSync(path.join(dir, 'node_modules', pkg, 'package.json'));
  const selected = AGENT_TESTS
    ? 'bun claude codex gemini'
    : ['bun', has('@anthropic-ai/claude-code') ? 'claude' : '', has('@openai/codex') ? 'codex' : ''].filter(Boolean).join(' ');
  if (!AGENT_TESTS && !has('bun') && process.env.AGENTSIGHT_NO_INSTALL === '1') return {};
  let out: string;
  try {
    out = execFileSync(path.join(REPO, 'scripts', 'install-agents.sh'), [dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
      env: { ...process.env, AGENTSIGHT_AGENTS: selected },
    });
  } catch (err) {
    // Partial installs (or no network) still print what they found; the rest is skipped loudly by the tests.
    out = String((err as { stdout?: string }).stdout ?? '');
  }
  return Object.fromEntries(out.trim().split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]));
}

export interface TestPki {
  readonly dir: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** A throwaway CA and a 127.0.0.1 server certificate made with the openssl CLI (rustls rejects a self-signed leaf). */
export function makePki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-tls-'));
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=agentsight-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'leaf.csr', '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  run('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'ext.cnf');
  return { dir, caPem: path.join(dir, 'ca.pem'), certPem: path.join(dir, 'cert.pem'), keyPem: path.join(dir, 'key.pem') };
}

export interface ReceivedRequest {
  readonly httpVersion: string;
  readonly method: string;
  readonly url: string;
  readonly body: Buffer;
}

export interface FakeLlmServer {
  readonly port: number;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

const sse = (events: [string, unknown][]): string => events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join('');

/**
 * HTTPS on 127.0.0.1 speaking HTTP/2 and HTTP/1.1 (ALPN), answering like the Anthropic Messages API and the
 * OpenAI Responses API with one short streamed text, and anything else with `ok <body length>`.
 */
export async function startFakeLlmServer(pki: TestPki): Promise<FakeLlmServer> {
  const requests: ReceivedRequest[] = [];
  const server = http2.createSecureServer(
    { key: fs.readFileSync(pki.keyPem), cert: fs.readFileSync(pki.certPem), allowHTTP1: true },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        requests.push({ httpVersion: req.httpVersion, method: req.method, url: req.url, body });
        if (req.method === 'POST' && req.url.endsWith('/responses')) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(
            sse([
              ['response.created', { type: 'response.created', response: { id: 'resp_1' } }],
              ['response.output_item.done', { type: 'response.output_item.done', output_index: 0,
                item: { type: 'message', role: 'assistant', id: 'msg_1', content: [{ type: 'output_text', text: 'hello from agentsight test' }] } }],
              ['response.completed', { type: 'response.completed', response: { id: 'resp_1',
                usage: { input_tokens: 1, input_tokens_details: null, output_tokens: 1, output_tokens_details: null, total_tokens: 2 } } }],
            ]),
          );
        } else if (req.method === 'POST' && req.url.startsWith('/v1/messages') && !req.url.includes('count_tokens')) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(
            sse([
              ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5',
                content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } }],
              ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
              ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hello from agentsight test' } }],
              ['content_block_stop', { type: 'content_block_stop', index: 0 }],
              ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } }],
              ['message_stop', { type: 'message_stop' }],
            ]),
          );
        } else {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(`ok ${body.length}`);
        }
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive HTTP/1.1 sockets of exited clients would hold close() open otherwise.
        setTimeout(resolve, 2000).unref();
      }),
  };
}

export interface GdbEvent {
  type: string;
  kind?: string;
  lwp?: number;
  thread?: string;
  rdi?: number;
  rsi?: number;
  rdx?: number;
  len?: number;
  ret?: number;
  data?: string;
  last?: string;
  ad?: string;
  ad_len?: number;
  fileOffset?: number;
  addr?: number;
  bytes?: string;
  name?: string;
  fd?: number;
  why?: string;
}

/** Runs `argv` under gdb with breakpoints at the given file offsets (see gdb-capture.py); resolves with the events. */
export function runUnderGdb(opts: {
  argv: string[];
  env: NodeJS.ProcessEnv;
  probes: { kind: string; fileOffset: number }[];
  cap?: number;
  syscalls?: string[];
  cwd?: string;
  timeoutMs?: number;
}): Promise<{ events: GdbEvent[]; log: string; code: number | null }> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-gdb-')), 'events.jsonl');
  const env = {
    ...opts.env,
    GDB_PROBES: JSON.stringify(opts.probes),
    GDB_OUT: out,
    GDB_CAP: String(opts.cap ?? 256),
    GDB_SYSCALLS: (opts.syscalls ?? []).join(','),
    GDB_MAX: '20000',
  };
  const child = spawn('gdb', ['-batch', '-nx', '-x', path.join(__dirname, 'gdb-capture.py'), '--args', ...opts.argv], {
    env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
      const events = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as GdbEvent);
      resolve({ events, log, code });
    });
  });
}

/**
 * Runs a program to completion without blocking the event loop (the test servers live in this process),
 * stdin closed (Codex waits for stdin EOF otherwise), killed after `timeoutMs`. Resolves with stdout.
 */
export function runProgram(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

export function hex(s: string | undefined): Buffer {
  return Buffer.from(s ?? '', 'hex');
}

const TRACEFS = '/sys/kernel/tracing';

/** Whether kernel uprobes can be defined through tracefs here (root, tracefs mounted). */
export function tracefsUprobesAvailable(): boolean {
  try {
    fs.accessSync(path.join(TRACEFS, 'uprobe_events'), fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Real kernel uprobes (the mechanism the product uses, unlike gdb breakpoints) defined through tracefs in a
 * private trace instance: `defs` are uprobe_events lines without the event name, e.g.
 * `p /path:0x1234 len=%dx:s32`. Runs `fn`, returns the trace lines, and always removes what it created.
 */
export async function withKernelUprobes(defs: Record<string, string>, fn: () => Promise<void>): Promise<string[]> {
  const group = `agentsight_test_${process.pid}`;
  const inst = path.join(TRACEFS, 'instances', group);
  const events = path.join(TRACEFS, 'uprobe_events');
  const created: string[] = [];
  try {
    for (const [name, def] of Object.entries(defs)) {
      const [kind, ...rest] = def.split(' ');
      fs.appendFileSync(events, `${kind}:${group}/${name} ${rest.join(' ')}\n`);
      created.push(name);
    }
    fs.mkdirSync(inst);
    fs.writeFileSync(path.join(inst, 'events', group, 'enable'), '1');
    await fn();
    return fs
      .readFileSync(path.join(inst, 'trace'), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0 && !l.startsWith('#'));
  } finally {
    try {
      fs.writeFileSync(path.join(inst, 'events', group, 'enable'), '0');
    } catch {
      /* not enabled */
    }
    try {
      fs.rmdirSync(inst);
    } catch {
      /* not created */
    }
    for (const name of created) {
      try {
        fs.appendFileSync(events, `-:${group}/${name}\n`);
      } catch {
        /* already gone */
      }
    }
  }
}
