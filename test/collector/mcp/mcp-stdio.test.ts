// MCP over stdio, captured by the pipe probe group: a real client spawns a real (small) MCP server; every JSON-RPC
// message between them must be in the recording, paired, with the server's name, arguments, results and errors, the
// 1 MiB result whole, secrets in arguments redacted, and the file the server wrote attributed to the server process.
// Over node's socketpairs (child_process) and over pipes (Python's subprocess).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { describeBpf, itBpf } from '../../helpers/bpf-env';
import { ALL, captureCommand, PYTHON, tempDir } from '../../helpers/capture';
import { agentsight } from '../../helpers/run';
import { schemaErrors } from '../../report/helpers';

const HERE = __dirname;
const SECRET = 'sk-mcp-secret-4242424242';
let dir: string;

beforeAll(() => {
  dir = tempDir('mcp-stdio-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function requests(target: string) {
  return [
    { method: 'tools/list' },
    { method: 'tools/call', params: { name: 'echo', arguments: { text: `hi there API_KEY=${SECRET}`, apiKey: SECRET } } },
    { method: 'tools/call', params: { name: 'fail', arguments: {} } },
    { method: 'no/such/method' },
    { method: 'tools/call', params: { name: 'write_file', arguments: { path: target, content: 'written by the server' } } },
    { method: 'tools/call', params: { name: 'big', arguments: {} } },
  ];
}

async function run(client: string[], name: string) {
  const target = path.join(dir, `${name}-out.txt`);
  process.env['REQUESTS'] = JSON.stringify(requests(target));
  const cap = await captureCommand(dir, client[0]!, [...client.slice(1), process.execPath, path.join(HERE, 'tiny-mcp-server.mjs')], { groups: ['process', 'file', 'pipe'] });
  delete process.env['REQUESTS'];
  return { ...cap, target };
}

function expectConversation(r: Awaited<ReturnType<typeof run>>, channel: RegExp, clientName: string) {
  expect(r.exitCode, r.stderr).toBe(0);
  const st = r.store;
  const servers = st.mcpServers(ALL);
  expect(servers).toHaveLength(1);
  const s = servers[0]!;
  expect(s).toMatchObject({ name: 'tiny-mcp', version: '0.1.0', protocolVersion: '2025-06-18', transport: 'stdio', calls: 7, errors: 2, malformed: 0, lostBytes: 0 });
  expect(s.channel).toMatch(channel);
  const procs = st.processes(ALL);
  const server = procs.find((p) => p.id === s.processId)!;
  expect(server.argv.join(' ')).toContain('tiny-mcp-server.mjs');
  expect(procs.find((p) => p.id === s.clientProcessId)!.argv.join(' ')).toMatch(clientName);
  expect(s.command).toContain('tiny-mcp-server.mjs');

  const calls = st.mcpCalls({ ...ALL, serverId: s.id, kind: 'request' });
  expect(calls.map((c) => `${c.kind} ${c.method} ${c.target ?? ''}`.trim())).toEqual([
    'request initialize', 'request tools/list', 'request tools/call echo', 'request tools/call fail',
    'request no/such/method', 'request tools/call write_file', 'request tools/call big',
  ]);
  for (const c of calls) {
    expect(c.endNs, c.method).not.toBeNull();
    expect(c.endNs!).toBeGreaterThanOrEqual(c.startNs);
    expect(c.fromSide).toBe('client');
  }
  const notes = st.mcpCalls({ ...ALL, serverId: s.id, kind: 'notification' });
  expect(notes.map((n) => `${n.fromSide} ${n.method}`)).toEqual(clientName === 'mcp-client.mjs' ? ['client notifications/initialized'] : []);
  const [init, list, echo, fail, missing, write, big] = calls;
  expect(JSON.parse(init!.resultJson!).serverInfo.name).toBe('tiny-mcp');
  expect(JSON.parse(list!.resultJson!).tools.map((t: { name: string }) => t.name)).toEqual(['echo', 'big', 'fail', 'write_file']);
  // secrets inside strings too (an echoed environment): in the arguments and in the result
  expect(JSON.parse(echo!.paramsJson!).arguments.text).toMatch(/^hi there API_KEY=\[REDACTED len=24 hmac:[0-9a-f]{8}\]$/);
  expect(JSON.parse(echo!.paramsJson!).arguments.apiKey).toMatch(/^\[REDACTED len=24 hmac:/);
  expect(JSON.parse(echo!.resultJson!).content[0].text).toBe(JSON.parse(echo!.paramsJson!).arguments.text);
  expect(echo!.isError).toBe(false);
  expect(fail!).toMatchObject({ isError: true, errorCode: null });
  expect(JSON.parse(fail!.resultJson!).isError).toBe(true);
  expect(missing!).toMatchObject({ isError: true, errorCode: -32601, resultJson: null });
  expect(missing!.errorMessage).toContain('method not found');
  expect(write!.isError).toBe(false);
  // 1 MiB of text, whole: 'x' * (2^20 - 1) + 'y'
  const text = JSON.parse(big!.resultJson!).content[0].text as string;
  expect(text.length).toBe(1 << 20);
  expect(text.endsWith('xy')).toBe(true);
  expect(big!.responseBytes).toBeGreaterThan(1 << 20);

  // the file the server wrote is the server process's
  expect(fs.readFileSync(r.target, 'utf8')).toBe('written by the server');
  const op = st.fileOps({ ...ALL, changesOnly: true }).find((f) => f.path === r.target);
  expect(op?.processId).toBe(s.processId);

  expect(st.lossTotals(ALL).filter((l) => l.source.startsWith('pipe') || l.source.includes('pipe'))).toEqual([]);
  st.close();
  expect(fs.readFileSync(st.path).includes(Buffer.from(SECRET))).toBe(false);
}

describeBpf('MCP over stdio', ['process', 'file', 'pipe'], () => {
  itBpf('node client (unix socketpairs): every message paired, 1 MiB result whole, secrets redacted', async () => {
    const r = await run([process.execPath, path.join(HERE, 'mcp-client.mjs')], 'node');
    expectConversation(r, /^unix:\d+$/, 'mcp-client.mjs');

    // report mcp: the server and each request with its outcome; audit: one mcp event per request
    const text = agentsight(['report', 'mcp', '--db', r.store.path]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/tiny-mcp 0\.1\.0\s+stdio\s+\d+\s+7\s+2 /);
    expect(text.stdout).toMatch(/tools\/call fail\s+tool error/);
    expect(text.stdout).toMatch(/no\/such\/method\s+error -32601 method not found/);
    expect(text.stdout).toContain('[REDACTED len=24');
    expect(text.stdout).not.toContain(SECRET);
    const json = JSON.parse(agentsight(['report', 'mcp', '--json', '--db', r.store.path]).stdout);
    expect(json.schema).toBe('agentsight.report.mcp/1');
    expect(schemaErrors('report-mcp', json)).toBeNull();
    const big = json.calls.find((c: { target: string }) => c.target === 'big');
    expect(big.result.content[0].text).toHaveLength(1 << 20);
    expect(big.outcome).toBe('ok');
    expect(big.latencyNs).toBeGreaterThanOrEqual(0);
    const audit = JSON.parse(agentsight(['report', 'audit', '--json', '--db', r.store.path]).stdout);
    expect(schemaErrors('report-audit', audit)).toBeNull();
    // report export carries the same servers and calls, and validates
    const snap = JSON.parse(agentsight(['report', 'export', '-o', '-', '--db', r.store.path]).stdout);
    expect(schemaErrors('snapshot', snap)).toBeNull();
    expect(snap.mcpServers.map((x: { name: string; transport: string }) => [x.name, x.transport])).toEqual([['tiny-mcp', 'stdio']]);
    expect(snap.mcpCalls.map((c: { method: string; target: string | null }) => [c.method, c.target])).toEqual(json.calls.map((c: { method: string; target: string | null }) => [c.method, c.target]));
    expect(snap.mcpCalls.find((c: { target: string }) => c.target === 'big').result.content[0].text).toHaveLength(1 << 20);
    const mcp = audit.events.filter((e: { kind: string }) => e.kind === 'mcp');
    expect(mcp.map((e: { what: string; ok: boolean }) => [e.what.replace(/ \{.*$/, ''), e.ok])).toEqual([
      ['tiny-mcp 0.1.0: initialize', true], ['tiny-mcp 0.1.0: tools/list', true], ['tiny-mcp 0.1.0: tools/call echo', true],
      ['tiny-mcp 0.1.0: tools/call fail', false], ['tiny-mcp 0.1.0: no/such/method', false],
      ['tiny-mcp 0.1.0: tools/call write_file', true], ['tiny-mcp 0.1.0: tools/call big', true],
    ]);
  }, { timeout: 60_000 });

  itBpf('python client (pipes): the same over pipe2', async () => {
    const r = await run([PYTHON, path.join(HERE, 'pipe-client.py')], 'py');
    expectConversation(r, /^pipe:\d+$/, 'pipe-client.py');
  }, { timeout: 60_000 });
});
