// A scripted two-turn tool-use conversation with the Anthropic Messages API, runnable by node and by bun (their
// fetch goes through OpenSSL and BoringSSL respectively). Turn 1 asks; the model answers with a Bash tool call; the
// client runs it as a child process and sends the result back in turn 2. The API key comes from the environment.
import { execSync } from 'node:child_process';

const base = process.env.LLM_BASE_URL;
const headers = { 'content-type': 'application/json', 'x-api-key': process.env.LLM_API_KEY, 'anthropic-version': '2023-06-01' };
const tools = [{ name: 'Bash', description: 'Run a shell command', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }];
const messages = [{ role: 'user', content: [{ type: 'text', text: 'Write hello to /tmp/x' }] }];

async function turn(stream) {
  const r = await fetch(`${base}/v1/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 256, stream, tools, messages }),
  });
  if (!stream) return r.json();
  // Reassemble the streamed message from its SSE events.
  const text = await r.text();
  const msg = { content: [] };
  for (const block of text.split('\n\n')) {
    const data = block.split('\n').find((l) => l.startsWith('data: '));
    if (!data) continue;
    const ev = JSON.parse(data.slice(6));
    if (ev.type === 'content_block_start') msg.content[ev.index] = { ...ev.content_block, partial: '' };
    if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') msg.content[ev.index].text += ev.delta.text;
    if (ev.type === 'content_block_delta' && ev.delta.type === 'input_json_delta') msg.content[ev.index].partial += ev.delta.partial_json;
  }
  for (const b of msg.content) {
    if (b.type === 'tool_use' && b.partial) b.input = JSON.parse(b.partial);
    delete b.partial;
  }
  return msg;
}

const first = await turn(true);
const call = first.content.find((b) => b.type === 'tool_use');
const output = execSync(call.input.command, { shell: '/bin/sh', encoding: 'utf8' });
messages.push({ role: 'assistant', content: first.content });
messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: output || '(no output)' }] });
const second = await turn(false);
console.log(second.content.filter((b) => b.type === 'text').map((b) => b.text).join(''));
