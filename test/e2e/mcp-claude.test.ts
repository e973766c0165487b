// A real Claude Code starts a real MCP server from npm (@modelcontextprotocol/server-filesystem) over stdio; the fake
// provider asks for the MCP tool twice: a write inside the allowed directory, then one outside it, which the server
// refuses (isError). Under `record`: both tools/call requests with their arguments and results are in the recording,
// each linked to the model's tool call, the file the server wrote is linked to the first, the refused call is a
// failed tool call, and the server is named from its initialize reply. Set AGENTSIGHT_AGENT_TESTS=0 to skip.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRecording } from '../../src/store';
import { llmCallView } from '../../src/tui/app/detail-views';
import { buildSpans } from '../../src/export/otel/span-model';
import { tree } from '../../src/web/api';
import { sampleFromSchema } from '../fake-llm/replies';
import { startFakeLlmServer, type FakeLlmServer } from '../fake-llm/server';
import { agentLaunch } from '../helpers/agent-launch';
import { agentBinaries } from '../helpers/agents';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { ALL } from '../helpers/capture';
import { mcpServers } from '../helpers/mcp-servers';
import { agentsight } from '../helpers/run';
import { schemaErrors } from '../report/helpers';

const skipAgents = process.env['AGENTSIGHT_AGENT_TESTS'] === '0';
const TOOL = 'mcp__fs__write_file';
const ENV_TOOL = 'mcp__everything__get-env';
const ECHO_TOOL = 'mcp__web__echo';
const SUM_TOOL = 'mcp__web__get-sum';

let srv: FakeLlmServer;
let dir: string;
let allowed: string;
let bins: Record<string, string>;
let servers: Record<string, string>;

/** MCP tool calls the model already made in this conversation (tool_use blocks of earlier turns). */
function callsSoFar(body: unknown, name: string): number {
  const msgs = (body as { messages?: Array<{ content?: unknown }> })?.messages ?? [];
  return msgs.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((b) => b?.type === 'tool_use' && b?.name === name).length;
}

describeBpf('MCP tools of a real agent', ['process', 'file', 'pipe'], () => {
  beforeAll(async () => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'as-mcp-')));
    allowed = path.join(dir, 'allowed');
    fs.mkdirSync(allowed);
    bins = agentBinaries();
    servers = mcpServers();
    srv = await startFakeLlmServer({
      script: ({ api, body, seq }) => {
        const offered = (body as { tools?: Array<{ name?: string; input_schema?: unknown }> })?.tools ?? [];
        const tools = offered.map((t) => t.name);
        if (api !== 'anthropic') return null;
        const usage = { input: 100, output: 10, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
        const callId = `toolu_mcp${String(seq).padStart(6, '0')}`;
        // Claude Code may send its first requests before the MCP server is connected (no mcp__ tools yet, and a
        // WaitForMcpServers tool instead): ask it to wait, as a model would (under record on a busy machine the
        // server's start can take seconds).
        const wait = offered.find((t) => t.name === 'WaitForMcpServers');
        if (tools.includes(ECHO_TOOL)) {
          // streamable HTTP: one good call, then one with arguments the tool rejects (a failed tool call)
          if (callsSoFar(body, ECHO_TOOL) === 0) return { kind: 'tool', callId, name: ECHO_TOOL, input: { message: 'hello over http' }, text: 'Echo.', usage };
          if (callsSoFar(body, SUM_TOOL) === 0) return { kind: 'tool', callId, name: SUM_TOOL, input: { a: 'not a number', b: 2 }, text: 'Sum.', usage };
          return null;
        }
        if (tools.includes(ENV_TOOL)) {
          return callsSoFar(body, ENV_TOOL) === 0 ? { kind: 'tool', callId, name: ENV_TOOL, input: {}, text: 'Looking.', usage } : null;
        }
        if (!tools.includes(TOOL)) {
          if (wait && callsSoFar(body, 'WaitForMcpServers') < 5) return { kind: 'tool', callId, name: 'WaitForMcpServers', input: sampleFromSchema(wait.input_schema) as Record<string, unknown>, text: null, usage };
          return null;
        }
        const n = callsSoFar(body, TOOL);
        if (n === 0) return { kind: 'tool', callId, name: TOOL, input: { path: path.join(allowed, 'via-mcp.txt'), content: 'written through MCP' }, text: 'Writing.', usage };
        if (n === 1) return { kind: 'tool', callId, name: TOOL, input: { path: path.join(dir, 'outside.txt'), content: 'refused' }, text: 'Again.', usage };
        return null; // the default script answers with text once tool results came back
      },
    });
  }, 900_000);
  afterAll(async () => {
    await srv?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Claude Code + server-filesystem: tools/call recorded, linked, errors failed', { timeout: 300_000 }, async () => {
    const secret = 'sk-ant-mcp-' + crypto.randomBytes(12).toString('hex');
    const home = fs.mkdtempSync(path.join(dir, 'home-'));
    const cfg = path.join(dir, 'mcp.json');
    fs.writeFileSync(cfg, JSON.stringify({ mcpServers: { fs: { command: process.execPath, args: [servers['server-filesystem']!, allowed] } } }));
    const a = agentLaunch('claude', bins, srv, home, secret);
    const db = path.join(dir, 'claude-mcp.db');
    const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', ...a.argv, '--mcp-config', cfg, '--strict-mcp-config'], { cwd: allowed, env: { ...process.env, ...a.env } }, 240_000);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const seen = srv.requests.map((q) => `${q.api} mcpTools=${q.body.includes(TOOL)} mcpCalls=${(q.body.toString().match(/"tool_use"/g) ?? []).length}`);
    expect(fs.existsSync(path.join(allowed, 'via-mcp.txt')), `${r.stdout}\n${seen.join('\n')}`).toBe(true);
    expect(fs.readFileSync(path.join(allowed, 'via-mcp.txt'), 'utf8')).toBe('written through MCP');
    expect(fs.existsSync(path.join(dir, 'outside.txt'))).toBe(false);

    const st = openRecording(db);
    try {
      const [server, ...more] = st.mcpServers(ALL);
      expect(more).toEqual([]);
      expect(server).toMatchObject({ name: 'secure-filesystem-server', transport: 'stdio', lostBytes: 0 });
      expect(server!.command).toContain('server-filesystem');
      const calls = st.mcpCalls({ ...ALL, method: 'tools/call' });
      expect(calls.map((c) => [c.target, c.isError])).toEqual([['write_file', false], ['write_file', true]]);
      const [ok, refused] = calls;
      expect(JSON.parse(ok!.paramsJson!).arguments).toEqual({ path: path.join(allowed, 'via-mcp.txt'), content: 'written through MCP' });
      expect(JSON.parse(ok!.resultJson!).content[0].text).toMatch(/Successfully wrote/);
      expect(JSON.parse(refused!.resultJson!).content[0].text).toMatch(/denied|outside/i);

      // the model's tool calls ↔ the MCP calls, and the file the server wrote ↔ the first
      const tools = st.toolCalls(ALL).filter((t) => t.name === TOOL);
      expect(tools).toHaveLength(2);
      expect(ok!.toolCallId).toBe(tools[0]!.id);
      expect(refused!.toolCallId).toBe(tools[1]!.id);
      expect(tools[1]!.resultIsError).toBe(true);
      expect(tools[0]!.resultIsError).toBe(false);
      const written = st.fileOps({ ...ALL, processId: server!.processId!, changesOnly: true }).filter((f) => f.path?.endsWith('via-mcp.txt'));
      expect(written.length).toBeGreaterThan(0);
      const links = st.causalLinks({ toolCallId: tools[0]!.id });
      expect(links).toEqual(expect.arrayContaining([
        expect.objectContaining({ targetKind: 'mcp_call', targetId: ok!.id, method: 'mcp-name+arguments' }),
        expect.objectContaining({ targetKind: 'file_op', targetId: written[0]!.id, method: 'mcp-server+window' }),
      ]));
      // top's LLM call detail: each MCP tool call names its server and shows the MCP call and its result
      const detail = (id: number) => llmCallView(st, id, ALL.atNs, { ascii: false, utc: true })!.render(160).map((l) => l.map((x) => x.t).join('')).join('\n');
      const d0 = detail(tools[0]!.llmCallId);
      expect(d0).toMatch(/MCP secure-filesystem-server \S+ +tools\/call write_file +\[ok\]/);
      expect(d0).toMatch(/MCP result: Successfully wrote/);
      expect(d0).toContain('server-filesystem');
      expect(detail(tools[1]!.llmCallId)).toMatch(/tools\/call write_file +\[tool error\][\s\S]*MCP result: .*(denied|outside)/i);

      // OpenTelemetry: the execute_tool spans carry the MCP conventions' attributes; the refused call is a tool_error
      const spans = buildSpans(st, { key: 'mcp-test', content: false }).filter((x) => x.subject === 'tool_call');
      const span = (id: number) => spans.find((x) => x.rowId === id)!;
      expect(span(tools[0]!.id).attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'network.transport': 'pipe', 'jsonrpc.request.id': ok!.rpcId, 'agentsight.mcp.server.name': 'secure-filesystem-server', 'gen_ai.tool.name': TOOL });
      expect(span(tools[0]!.id).errorType).toBeNull();
      expect(span(tools[1]!.id).errorType).toBe('tool_error');

      // the web UI's /api/v1/tree: each MCP tool call with its server, call and result
      const webTools = tree(st, new URLSearchParams()).llmCalls.flatMap((c) => c.tools);
      expect(webTools.find((t) => t.id === tools[0]!.id)!.mcp).toMatchObject({ method: 'tools/call', target: 'write_file', outcome: 'ok', failed: false });
      expect(webTools.find((t) => t.id === tools[0]!.id)!.mcp!.server).toMatch(/^secure-filesystem-server/);
      expect(webTools.find((t) => t.id === tools[0]!.id)!.mcp!.result).toMatch(/Successfully wrote/);
      expect(webTools.find((t) => t.id === tools[1]!.id)!.mcp).toMatchObject({ outcome: 'tool error', failed: true });

      // report audit: each tools/call is an mcp event caused by its tool call; the server's write is caused by it too
      const audit = JSON.parse(agentsight(['report', 'audit', '--json', '--db', db]).stdout);
      const mcp = audit.events.filter((e: { kind: string }) => e.kind === 'mcp' && e.detail.method === 'tools/call');
      expect(mcp.map((e: { ok: boolean; causedBy: { toolCallId: number } | null }) => [e.ok, e.causedBy?.toolCallId])).toEqual([[true, tools[0]!.id], [false, tools[1]!.id]]);
      const write = audit.events.find((e: { kind: string; detail: { path?: string } }) => e.kind === 'file' && e.detail.path === path.join(allowed, 'via-mcp.txt') && e.causedBy);
      expect(write?.causedBy).toMatchObject({ toolCallId: tools[0]!.id, name: TOOL, method: 'mcp-server+window' });
      // report export: the MCP rows and the tool call → tools/call links, valid against the snapshot schema
      const snap = JSON.parse(agentsight(['report', 'export', '-o', '-', '--db', db]).stdout);
      expect(schemaErrors('snapshot', snap)).toBeNull();
      const exported = snap.mcpCalls.filter((c: { method: string }) => c.method === 'tools/call');
      expect(exported.map((c: { toolCallId: number; isError: boolean }) => [c.toolCallId, c.isError])).toEqual([[tools[0]!.id, false], [tools[1]!.id, true]]);
      expect(snap.causalLinks.filter((l: { targetKind: string }) => l.targetKind === 'mcp_call').map((l: { toolCallId: number }) => l.toolCallId)).toEqual(expect.arrayContaining([tools[0]!.id, tools[1]!.id]));
      const text = agentsight(['report', 'mcp', '--db', db]).stdout;
      expect(text).toMatch(/secure-filesystem-server/);
      expect(text).toMatch(new RegExp(`tools/call write_file\\s+tool error.*${TOOL}#${tools[1]!.id}`));
    } finally {
      st.close();
    }
    expect(fs.readFileSync(db).includes(Buffer.from(secret))).toBe(false);
  });

  it('Claude Code + server-everything: a tool result holding the environment is stored with its secrets redacted', { timeout: 300_000 }, async () => {
    const secret = 'sk-ant-mcp-' + crypto.randomBytes(12).toString('hex');
    const token = 'ghp_' + crypto.randomBytes(18).toString('hex');
    const home = fs.mkdtempSync(path.join(dir, 'home-'));
    const cfg = path.join(dir, 'mcp-everything.json');
    fs.writeFileSync(cfg, JSON.stringify({ mcpServers: { everything: { command: process.execPath, args: [servers['server-everything']!, 'stdio'], env: { DEMO_GITHUB_TOKEN: token } } } }));
    const a = agentLaunch('claude', bins, srv, home, secret);
    const db = path.join(dir, 'claude-everything.db');
    const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', ...a.argv, '--mcp-config', cfg, '--strict-mcp-config'], { cwd: allowed, env: { ...process.env, ...a.env } }, 240_000);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const st = openRecording(db);
    try {
      const [server] = st.mcpServers(ALL);
      expect(server?.name).toMatch(/everything/);
      const [call, ...more] = st.mcpCalls({ ...ALL, method: 'tools/call' });
      expect(more).toEqual([]);
      expect(call).toMatchObject({ target: 'get-env', isError: false });
      const text = JSON.parse(call!.resultJson!).content[0].text as string;
      // the environment came back (PATH is in it) and the token in it is redacted
      expect(text).toContain('PATH');
      expect(text, text).toMatch(/"DEMO_GITHUB_TOKEN": "\[REDACTED len=40 hmac:[0-9a-f]{8}\]"/);
      expect(call!.toolCallId).toBe(st.toolCalls(ALL).find((t) => t.name === ENV_TOOL)!.id);
      // nothing of MCP's rows holds either secret (the model's own request, which carries the tool result back to the
      // provider, is the LLM layer's: not checked here)
      const rows = JSON.stringify([st.mcpServers(ALL), st.mcpCalls(ALL)]);
      expect(rows.includes(token)).toBe(false);
      expect(rows.includes(secret)).toBe(false);
    } finally {
      st.close();
    }
  });

  it('Claude Code + server-everything over streamable HTTP: tools/call recorded, linked, errors failed', { timeout: 300_000 }, async () => {
    const secret = 'sk-ant-mcp-' + crypto.randomBytes(12).toString('hex');
    const home = fs.mkdtempSync(path.join(dir, 'home-'));
    const port = 20000 + crypto.randomInt(20000);
    const cfg = path.join(dir, 'mcp-http.json');
    fs.writeFileSync(cfg, JSON.stringify({ mcpServers: { web: { type: 'http', url: `http://127.0.0.1:${port}/mcp` } } }));
    const a = agentLaunch('claude', bins, srv, home, secret);
    const db = path.join(dir, 'claude-http.db');
    // The server runs inside the recorded tree (a local server the user started next to the agent): each end's writes
    // are captured, the agent's requests and the server's responses.
    const waitPort = `const n=require('net');(function t(i){const s=n.connect(${port},'127.0.0.1',()=>{s.end();process.exit(0)});s.on('error',()=>i>200?process.exit(1):setTimeout(()=>t(i+1),100))})(0)`;
    const script = `PORT=${port} "$0" "$1" streamableHttp & S=$!; "$0" -e "$2" || exit 9; shift 3; "$@"; R=$?; kill $S; wait $S; exit $R`;
    const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', 'sh', '-c', script, process.execPath, servers['server-everything']!, waitPort, 'x', ...a.argv, '--mcp-config', cfg, '--strict-mcp-config'], { cwd: allowed, env: { ...process.env, ...a.env } }, 240_000);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expectHttpConversation(db, `http://127.0.0.1:${port}/mcp`, (command) => expect(command).toContain('server-everything'));
    expect(fs.readFileSync(db).includes(Buffer.from(secret))).toBe(false);
  });

  it('Claude Code + a remote server-everything over HTTPS: the agent\'s side decrypted, recorded and linked', { timeout: 300_000 }, async () => {
    const secret = 'sk-ant-mcp-' + crypto.randomBytes(12).toString('hex');
    const bearer = 'mcp-bearer-' + crypto.randomBytes(12).toString('hex');
    const home = fs.mkdtempSync(path.join(dir, 'home-'));
    // A "remote" server: server-everything outside the recorded tree, behind an HTTPS front the agent trusts (the fake
    // provider's CA). Only the agent's TLS plaintext can show the conversation.
    const port = 20000 + crypto.randomInt(20000);
    const server = spawn(process.execPath, [servers['server-everything']!, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
    const front = https.createServer({ key: srv.tls.key, cert: srv.tls.cert }, (req, res) => {
      const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (u) => {
        res.writeHead(u.statusCode ?? 502, u.headers);
        u.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    try {
      await waitForPort(port);
      await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
      const url = `https://127.0.0.1:${(front.address() as AddressInfo).port}/mcp`;
      const cfg = path.join(dir, 'mcp-https.json');
      // the agent's header to the server: redacted before storage like a model API key
      fs.writeFileSync(cfg, JSON.stringify({ mcpServers: { web: { type: 'http', url, headers: { Authorization: `Bearer ${bearer}` } } } }));
      const a = agentLaunch('claude', bins, srv, home, secret);
      const db = path.join(dir, 'claude-https.db');
      const r = await runAsync(process.execPath, [CLI, 'record', '--db', db, '--', ...a.argv, '--mcp-config', cfg, '--strict-mcp-config'], { cwd: allowed, env: { ...process.env, ...a.env } }, 240_000);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expectHttpConversation(db, url, (command) => expect(command).toBeNull());
      const bytes = fs.readFileSync(db);
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(bearer))).toBe(false);
    } finally {
      front.close();
      server.kill();
    }
  });
}, { skip: skipAgents ? 'AGENTSIGHT_AGENT_TESTS=0' : null });

function waitForPort(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = (n: number) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.end();
        resolve();
      });
      c.on('error', () => (n > 300 ? reject(new Error(`nothing listens on ${port}`)) : setTimeout(() => attempt(n + 1), 100)));
    };
    attempt(0);
  });
}

/** The echo and get-sum calls of the HTTP tests, as recorded: one server at url, both calls linked, the second failed. */
function expectHttpConversation(db: string, url: string, expectCommand: (command: string | null) => void): void {
  const st = openRecording(db);
  try {
    const servs = st.mcpServers(ALL);
    expect(servs.map((x) => [x.transport, x.channel]), JSON.stringify(servs)).toEqual([['http', url]]);
    const server = servs[0]!;
    expect(server.name).toMatch(/everything/);
    expectCommand(server.command);
    expect(server.lostBytes).toBe(0);
    const calls = st.mcpCalls({ ...ALL, method: 'tools/call' });
    expect(calls.map((c) => [c.target, c.isError])).toEqual([['echo', false], ['get-sum', true]]);
    const [echo, sum] = calls;
    expect(JSON.parse(echo!.paramsJson!).arguments).toEqual({ message: 'hello over http' });
    expect(JSON.parse(echo!.resultJson!).content[0].text).toContain('hello over http');
    expect(JSON.parse(sum!.paramsJson!).arguments).toEqual({ a: 'not a number', b: 2 });
    const tools = st.toolCalls(ALL);
    const echoTool = tools.find((t) => t.name === ECHO_TOOL)!;
    const sumTool = tools.find((t) => t.name === SUM_TOOL)!;
    expect(echo!.toolCallId).toBe(echoTool.id);
    expect(sum!.toolCallId).toBe(sumTool.id);
    expect(echoTool.resultIsError).toBe(false);
    expect(sumTool.resultIsError).toBe(true);
    // the model's requests to the fake provider are not MCP: no server row, no call, for them
    expect(st.mcpCalls(ALL).every((c) => c.serverId === server.id)).toBe(true);
    const spans = buildSpans(st, { key: 'mcp-http', content: false }).filter((x) => x.subject === 'tool_call');
    expect(spans.find((x) => x.rowId === echoTool.id)!.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'network.transport': 'tcp' });
    expect(spans.find((x) => x.rowId === sumTool.id)!.errorType).toBe('tool_error');
  } finally {
    st.close();
  }
}
