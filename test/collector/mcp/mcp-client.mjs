// A stdio MCP client: spawns the server given as argv (node's child_process gives it unix socketpairs as stdio, or
// pipes with PIPES=1 through a shell), and sends the requests of the JSON array in REQUESTS one at a time, each after
// the previous reply. Prints each reply's id and size.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

const reqs = JSON.parse(process.env.REQUESTS);
const [cmd, ...args] = process.argv.slice(2);
const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
let id = 0;
child.stdin.write(JSON.stringify({ method: 'initialize', params: { protocolVersion: '2025-06-18', clientInfo: { name: 'test-client', version: '1.0' }, capabilities: {} }, jsonrpc: '2.0', id: id++ }) + '\n');
console.log('init', (await lines.next()).value.length);
child.stdin.write(JSON.stringify({ method: 'notifications/initialized', jsonrpc: '2.0' }) + '\n');
for (const r of reqs) {
  child.stdin.write(JSON.stringify({ ...r, jsonrpc: '2.0', id: id++ }) + '\n');
  const reply = (await lines.next()).value;
  console.log(r.method, reply.length);
}
child.stdin.end();
await new Promise((res) => child.on('exit', res));
