// A small stdio MCP server (newline-delimited JSON-RPC 2.0), enough to be a real peer for capture tests: initialize,
// tools/list, tools/call of echo / big (a result of BIG_BYTES bytes) / fail (isError) / write_file, and a JSON-RPC error
// for any other method. Replies are written with process.stdout.write, as the MCP SDK's stdio transport does.
import fs from 'node:fs';
import readline from 'node:readline';

const BIG_BYTES = Number(process.env.BIG_BYTES ?? 1 << 20);
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\n');
const text = (t, isError = false) => ({ content: [{ type: 'text', text: t }], ...(isError ? { isError: true } : {}) });

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.id === undefined) return; // notifications
  const p = m.params ?? {};
  switch (m.method) {
    case 'initialize':
      return send({ id: m.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'tiny-mcp', version: '0.1.0' } } });
    case 'tools/list':
      return send({ id: m.id, result: { tools: ['echo', 'big', 'fail', 'write_file'].map((name) => ({ name, inputSchema: { type: 'object' } })) } });
    case 'tools/call': {
      const a = p.arguments ?? {};
      if (p.name === 'echo') return send({ id: m.id, result: text(String(a.text)) });
      if (p.name === 'big') return send({ id: m.id, result: text('x'.repeat(BIG_BYTES - 1) + 'y') });
      if (p.name === 'fail') return send({ id: m.id, result: text('it failed on purpose', true) });
      if (p.name === 'write_file') {
        fs.writeFileSync(a.path, a.content);
        return send({ id: m.id, result: text(`wrote ${a.path}`) });
      }
      return send({ id: m.id, error: { code: -32602, message: `unknown tool ${p.name}` } });
    }
    default:
      return send({ id: m.id, error: { code: -32601, message: `method not found: ${m.method}` } });
  }
});
