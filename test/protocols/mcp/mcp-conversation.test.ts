// JSON-RPC framing over newline-delimited stdio and MCP request/response pairing: pure code, edge cases.
import { describe, expect, it } from 'vitest';
import { LineSplitter, parseJsonRpcLine, readJsonRpc } from '../../../src/protocols/mcp/json-rpc';
import { McpConversation, toolResultText, type McpCall, type McpNotification, type McpServerInfo } from '../../../src/protocols/mcp/mcp-conversation';
import { redactJsonSecrets } from '../../../src/protocols/mcp/redact-json';

const enc = (s: string) => Buffer.from(s);

describe('LineSplitter', () => {
  it('joins a line split across writes and splits several lines in one', () => {
    const s = new LineSplitter();
    expect(s.push(enc('{"a":')).lines).toEqual([]);
    expect(s.pending).toBe(5);
    expect(s.push(enc('1}\n{"b":2}\n{"c"')).lines).toEqual(['{"a":1}', '{"b":2}']);
    expect(s.push(enc(':3}\n')).lines).toEqual(['{"c":3}']);
    expect(s.pending).toBe(0);
  });

  it('a gap drops the line it falls in, counted, and reading resumes after the next newline', () => {
    const s = new LineSplitter();
    s.push(enc('{"a":1'));
    expect(s.gap()).toBe(6);
    const r = s.push(enc('23}\n{"b":2}\n'));
    expect(r).toEqual({ lines: ['{"b":2}'], dropped: 3 });
  });

  it('a line longer than the cap is dropped and counted, not kept growing', () => {
    const s = new LineSplitter(8);
    expect(s.push(enc('0123456789')).dropped).toBe(10);
    expect(s.push(enc('abc\n{"ok":1}\n'))).toEqual({ lines: ['{"ok":1}'], dropped: 3 });
  });

  it('keeps multi-byte characters split across writes', () => {
    const s = new LineSplitter();
    const b = enc('{"t":"é€"}\n');
    s.push(b.subarray(0, 8));
    expect(s.push(b.subarray(8)).lines).toEqual(['{"t":"é€"}']);
  });
});

describe('JSON-RPC reading', () => {
  it('tells requests, notifications, responses and errors apart, whatever the key order', () => {
    expect(parseJsonRpcLine('{"method":"tools/list","params":{},"jsonrpc":"2.0","id":3}')).toEqual([{ kind: 'request', id: 3, method: 'tools/list', params: {} }]);
    expect(parseJsonRpcLine('{"jsonrpc":"2.0","method":"notifications/initialized"}')).toEqual([{ kind: 'notification', method: 'notifications/initialized', params: undefined }]);
    expect(parseJsonRpcLine('{"result":{"x":1},"jsonrpc":"2.0","id":"a"}')).toEqual([{ kind: 'response', id: 'a', result: { x: 1 } }]);
    expect(parseJsonRpcLine('{"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"no"}}')).toEqual([{ kind: 'response', id: 4, error: { code: -32601, message: 'no', data: undefined } }]);
  });

  it('reports malformed input instead of throwing', () => {
    expect(parseJsonRpcLine('{"jsonrpc":"2.0",')).toEqual([{ kind: 'malformed', reason: 'invalid JSON' }]);
    expect(parseJsonRpcLine('[]')[0]!.kind).toBe('malformed');
    expect(readJsonRpc({ id: 1, method: 'x' })).toEqual({ kind: 'malformed', reason: 'no jsonrpc "2.0"' });
    expect(readJsonRpc({ jsonrpc: '2.0', id: {}, method: 'x' }).kind).toBe('malformed');
    expect(readJsonRpc({ jsonrpc: '2.0', id: 1 }).kind).toBe('malformed');
    expect(readJsonRpc('text').kind).toBe('malformed');
  });

  it('reads a batch element by element', () => {
    expect(parseJsonRpcLine('[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"}]').map((m) => m.kind)).toEqual(['request', 'notification']);
  });
});

function conversation() {
  const calls: McpCall[] = [];
  const notes: McpNotification[] = [];
  const servers: McpServerInfo[] = [];
  const malformed: string[] = [];
  const conv = new McpConversation({ call: (c) => calls.push(c), notification: (n) => notes.push(n), server: (s) => servers.push(s), malformed: (r) => malformed.push(r) });
  const send = (from: 'client' | 'server', o: object, ts: number) => {
    for (const m of parseJsonRpcLine(JSON.stringify({ jsonrpc: '2.0', ...o }))) conv.message(from, m, ts, 10);
  };
  return { conv, calls, notes, servers, malformed, send };
}

describe('McpConversation', () => {
  it('pairs by id per direction, names the server, times each call, and marks tool errors', () => {
    const c = conversation();
    c.send('client', { id: 0, method: 'initialize', params: { clientInfo: { name: 'claude-code', version: '2.1' } } }, 100);
    c.send('server', { id: 0, result: { protocolVersion: '2025-06-18', serverInfo: { name: 'fs', version: '1.2' } } }, 150);
    c.send('client', { method: 'notifications/initialized' }, 160);
    c.send('client', { id: 1, method: 'tools/call', params: { name: 'write_file', arguments: { path: '/a' } } }, 200);
    c.send('client', { id: 2, method: 'tools/call', params: { name: 'read_file', arguments: { path: '/b' } } }, 210);
    // the server asks the client something with the same id as a pending client request: another direction
    c.send('server', { id: 1, method: 'roots/list' }, 215);
    c.send('client', { id: 1, result: { roots: [] } }, 216);
    c.send('server', { id: 2, result: { content: [{ type: 'text', text: 'denied' }], isError: true } }, 230);
    c.send('server', { id: 1, result: { content: [{ type: 'text', text: 'ok' }, { type: 'text', text: 'done' }] } }, 260);
    c.send('server', { id: 9, result: {} }, 270);
    expect(c.servers).toEqual([{ name: 'fs', version: '1.2', protocolVersion: '2025-06-18', clientName: 'claude-code', clientVersion: '2.1' }]);
    expect(c.notes.map((n) => [n.from, n.method])).toEqual([['client', 'notifications/initialized']]);
    expect(c.calls.map((x) => [x.from, x.method, x.target, x.failed, x.startNs, x.endNs])).toEqual([
      ['client', 'initialize', null, false, 100, 150],
      ['server', 'roots/list', null, false, 215, 216],
      ['client', 'tools/call', 'read_file', true, 210, 230],
      ['client', 'tools/call', 'write_file', false, 200, 260],
    ]);
    expect(toolResultText(c.calls[3]!.result)).toBe('ok\ndone');
    expect(c.malformed).toEqual(['response to no request seen']);
  });

  it('a JSON-RPC error fails the call; requests never answered come out at finish', () => {
    const c = conversation();
    c.send('client', { id: 'x', method: 'tools/call', params: { name: 'slow' } }, 1);
    c.send('client', { id: 'y', method: 'prompts/get', params: { name: 'p' } }, 2);
    c.send('server', { id: 'y', error: { code: -32602, message: 'unknown prompt' } }, 3);
    expect(c.conv.pending).toBe(1);
    c.conv.finish();
    expect(c.calls.map((x) => [x.id, x.failed, x.error?.code ?? null, x.endNs])).toEqual([['y', true, -32602, 3], ['x', false, null, null]]);
  });
});

describe('redactJsonSecrets', () => {
  it('redacts secret-named members at any depth and leaves the rest as it is', () => {
    const isSecret = (k: string) => /key|token|password/i.test(k);
    const out = redactJsonSecrets({ arguments: { apiKey: 'sk-1234', path: '/a', env: { GITHUB_TOKEN: 'ghp_x' }, list: [{ password: 'p' }], n: 3 }, Authorization: 'Bearer z' }, isSecret) as any;
    expect(out.arguments.path).toBe('/a');
    expect(out.arguments.n).toBe(3);
    expect(out.arguments.apiKey).toMatch(/^\[REDACTED len=7 hmac:[0-9a-f]{8}\]$/);
    expect(out.arguments.env.GITHUB_TOKEN).toMatch(/^\[REDACTED len=5/);
    expect(out.arguments.list[0].password).toMatch(/^\[REDACTED len=1/);
    expect(out.Authorization).toMatch(/^\[REDACTED len=8/);
    expect(redactJsonSecrets(out, isSecret)).toEqual(out);
  });

  it('passes every other string through the text rule', () => {
    const out = redactJsonSecrets({ content: [{ type: 'text', text: 'A=1 TOKEN=abc' }], n: 1 }, () => false, (t) => t.replace(/TOKEN=\S+/, 'TOKEN=x')) as any;
    expect(out).toEqual({ content: [{ type: 'text', text: 'A=1 TOKEN=x' }], n: 1 });
  });
});
