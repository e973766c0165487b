/**
 * A recording shaped like a real Claude Code run, written through the store the way the collector writes it:
 * createRecording + put and add + flush + finalize + close. Two sessions, a tool-use round trip with a Bash tool that
 * spawned processes and changed files, a failed exec, a failed tool, a rate-limited call, a call to a model without
 * a price, network connections, TLS targets found and not found, and losses.
 */
import { createRecording } from '../../src/store';

/** 2026-03-14 09:26:53.589 UTC in Unix ns (a fixed start keeps days and times predictable). */
export const T0 = 1_773_480_413_589_000_000;
const MS = 1_000_000;
const S = 1_000_000_000;

export interface FixtureFacts {
  path: string;
  llmCalls: number;
  processes: number;
  toolCalls: number;
}

export function writeFixtureRecording(file: string, opts: { command?: string[]; startNs?: number } = {}): FixtureFacts {
  const t0 = opts.startNs ?? T0;
  const st = createRecording(file);
  st.putMeta('command', JSON.stringify(opts.command ?? ['claude', '-p', 'fix the failing test']));
  st.putMeta('start_ns', String(t0));
  st.putMeta('end_ns', String(t0 + 95 * S));

  st.putSession({ id: 1, agent: 'claude-code', externalId: 'c0ffee00-1111-4222-8333-444455556666', rootProcessId: 1, title: "claude -p 'fix the failing test'", startNs: t0, endNs: t0 + 95 * S });
  st.putSession({ id: 2, agent: 'codex', externalId: null, rootProcessId: 6, title: 'codex exec', startNs: t0 + 60 * S, endNs: t0 + 90 * S });

  const proc = (id: number, pid: number, parentId: number | null, sessionId: number, startNs: number, comm: string, argv: string[], exit: { code?: number; signal?: number; ns: number }) =>
    st.putProcess({
      id, pid, ppid: parentId === null ? 1000 : 4000 + parentId, parentId, sessionId, startNs, kstartNs: startNs - t0 + 5 * S, uid: 1000, comm,
      exe: argv.length ? `/usr/bin/${comm}` : null, argv, argvClipped: false, cwd: '/home/dev/app', execNs: startNs + MS,
      exitNs: exit.ns, exitCode: exit.code ?? null, exitSignal: exit.signal ?? null, coreDumped: false, seeded: false, peakRssKb: 120_000, containerId: null, containerName: null, nsPid: null,
    });
  proc(1, 4001, null, 1, t0, 'claude', ['claude', '-p', 'fix the failing test'], { code: 0, ns: t0 + 95 * S });
  proc(2, 4002, 1, 1, t0 + 12 * S, 'bash', ['bash', '-c', 'npm test'], { code: 1, ns: t0 + 20 * S });
  proc(3, 4003, 2, 1, t0 + 12 * S + 5 * MS, 'node', ['node', 'node_modules/.bin/vitest', 'run'], { code: 1, ns: t0 + 19 * S });
  proc(4, 4004, 1, 1, t0 + 30 * S, 'bash', ['bash', '-c', 'rg TODO src'], { code: 127, ns: t0 + 30 * S + 50 * MS });
  proc(5, 4005, 1, 1, t0 + 40 * S, 'git', ['git', 'status'], { signal: 15, ns: t0 + 41 * S });
  proc(6, 4006, null, 2, t0 + 60 * S, 'codex', ['codex', 'exec', 'add a test'], { code: 0, ns: t0 + 90 * S });

  st.addExec({ id: 1, processId: 2, tsNs: t0 + 12 * S + MS, filename: '/usr/bin/bash', argv: ['bash', '-c', 'npm test'], cwd: '/home/dev/app', ret: 0, argvClipped: false });
  st.addExec({ id: 2, processId: 3, tsNs: t0 + 12 * S + 6 * MS, filename: '/usr/bin/node', argv: ['node', 'node_modules/.bin/vitest', 'run'], cwd: '/home/dev/app', ret: 0, argvClipped: false });
  st.addExec({ id: 3, processId: 4, tsNs: t0 + 30 * S + 2 * MS, filename: '/usr/local/bin/rg', argv: ['rg', 'TODO', 'src'], cwd: '/home/dev/app', ret: -2, argvClipped: false });

  const fileOp = (id: number, processId: number, sessionId: number, op: string, p: string, result: number, firstNs: number, path2: string | null = null) =>
    st.putFileOp({ id, processId, sessionId, op, path: p, path2, flags: null, result, count: op === 'write' ? 3 : 1, bytes: op === 'write' ? 2048 : 0, firstNs, lastNs: firstNs + 10 * MS, pathClipped: false });
  fileOp(1, 3, 1, 'open', '/home/dev/app/src/sum.ts', 0, t0 + 13 * S);
  fileOp(2, 3, 1, 'write', '/home/dev/app/coverage/index.html', 0, t0 + 18 * S);
  fileOp(3, 1, 1, 'write', '/home/dev/app/src/sum.ts', 0, t0 + 25 * S);
  fileOp(4, 1, 1, 'rename', '/home/dev/app/src/.sum.ts.tmp', 0, t0 + 25 * S + MS, '/home/dev/app/src/sum.ts');
  fileOp(5, 3, 1, 'open', '/home/dev/app/.env', -13, t0 + 14 * S);
  fileOp(6, 6, 2, 'create', '/home/dev/app/test/sum.test.ts', 0, t0 + 70 * S);

  st.putNetConn({ id: 1, processId: 1, sessionId: 1, op: 'connect', family: 'inet', proto: 'tcp', addr: '160.79.104.10', port: 443, host: 'api.anthropic.com', result: -115, count: 3, bytesSent: 150_000, bytesRecv: 48_000, firstNs: t0 + S, lastNs: t0 + 80 * S });
  st.putNetConn({ id: 2, processId: 3, sessionId: 1, op: 'connect', family: 'inet', proto: 'tcp', addr: '104.16.0.35', port: 443, host: 'registry.npmjs.org', result: -111, count: 1, bytesSent: 0, bytesRecv: 0, firstNs: t0 + 15 * S, lastNs: t0 + 15 * S });
  st.putNetConn({ id: 3, processId: 6, sessionId: 2, op: 'connect', family: 'inet6', proto: 'tcp', addr: '2606:4700::6810:84e5', port: 443, host: 'chatgpt.com', result: 0, count: 2, bytesSent: 80_000, bytesRecv: 20_000, firstNs: t0 + 61 * S, lastNs: t0 + 88 * S });

  st.putTlsTarget({ id: 1, path: '/home/dev/.local/share/claude/versions/2.1.197', buildId: 'ab12', sha256: null, stack: 'boringssl', status: 'attached', detail: 'SSL_write/SSL_read located from error-site strings', probes: JSON.stringify([{ name: 'SSL_write', offset: 4096, kind: 'uprobe' }]), tsNs: t0 + MS });
  st.putTlsTarget({ id: 2, path: '/usr/bin/git', buildId: null, sha256: null, stack: null, status: 'not-found', detail: 'no TLS library linked', probes: '[]', tsNs: t0 + 40 * S });
  st.putTlsConn({ id: 1, processId: 1, sessionId: 1, connPtr: '0x55d0c0de', stack: 'boringssl', protocol: 'http/1.1', host: 'api.anthropic.com', firstNs: t0 + S, lastNs: t0 + 80 * S, bytesOut: 150_000, bytesIn: 48_000, lostBytes: 0, lostEvents: 0 });

  const req1 = {
    model: 'claude-sonnet-4-5-20250929', max_tokens: 32000, stream: true,
    system: [{ type: 'text', text: 'You are Claude Code, an interactive CLI tool.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'fix the failing test' }] }],
    tools: [{ name: 'Bash', description: 'Run a command', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }],
  };
  const resp1 = { id: 'msg_01AbC', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [{ type: 'text', text: 'Let me run the tests.' }, { type: 'tool_use', id: 'toolu_01X', name: 'Bash', input: { command: 'npm test' } }], stop_reason: 'tool_use', usage: { input_tokens: 4, cache_creation_input_tokens: 2285, cache_read_input_tokens: 22137, output_tokens: 159 } };
  const llm = (id: number, sessionId: number, processId: number, startNs: number, o: Partial<Parameters<typeof st.putLlmCall>[0]>) =>
    st.putLlmCall({
      id, exchangeId: id, sessionId, processId, provider: 'anthropic', host: 'api.anthropic.com', endpoint: '/v1/messages', streaming: true,
      requestModel: 'claude-sonnet-4-5-20250929', responseModel: 'claude-sonnet-4-5-20250929', systemPrompt: 'You are Claude Code, an interactive CLI tool.',
      requestJson: null, responseJson: null, responseText: null, thinking: null, stopReason: 'end_turn',
      inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null, costUsd: null,
      httpStatus: 200, error: null, startNs, firstTokenNs: startNs + 800 * MS, endNs: startNs + 3 * S, incomplete: false, ...o,
    });
  // Usage in the collector's convention: inputTokens counts the cached parts too.
  llm(1, 1, 1, t0 + 2 * S, { requestJson: JSON.stringify(req1), responseJson: JSON.stringify(resp1), responseText: 'Let me run the tests.', stopReason: 'tool_use', inputTokens: 4 + 2285 + 22137, outputTokens: 159, cacheReadTokens: 22137, cacheWriteTokens: 2285, reasoningTokens: 0, costUsd: 0.02 });
  llm(2, 1, 1, t0 + 21 * S, { requestJson: JSON.stringify({ ...req1, messages: [...req1.messages, { role: 'assistant', content: resp1.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01X', content: 'FAIL src/sum.test.ts', is_error: true }] }] }), responseJson: '{"id":"msg_01DeF","content":[{"type":"text","text":"Fixed sum.ts"}', responseText: 'The test failed because sum() ignored negatives; fixed src/sum.ts.', inputTokens: 30_000, outputTokens: 400, cacheReadTokens: 24_000, cacheWriteTokens: 5_000, reasoningTokens: 0, costUsd: 0.05 });
  llm(3, 1, 1, t0 + 45 * S, { httpStatus: 529, error: 'overloaded_error: Overloaded', responseText: null, stopReason: null, firstTokenNs: null, endNs: t0 + 45 * S + 300 * MS });
  llm(4, 2, 6, t0 + 62 * S, { provider: 'openai-responses', host: 'chatgpt.com', endpoint: '/backend-api/codex/responses', requestModel: 'gpt-9-experimental', responseModel: null, systemPrompt: null, requestJson: JSON.stringify({ model: 'gpt-9-experimental', input: [{ role: 'user', content: 'add a test' }] }), responseText: 'Added test/sum.test.ts.', inputTokens: 12_000, outputTokens: 900, cacheReadTokens: 8_000, cacheWriteTokens: 0, reasoningTokens: 600, costUsd: null, incomplete: true });

  st.putToolCall({ id: 1, llmCallId: 1, sessionId: 1, callId: 'toolu_01X', name: 'Bash', inputJson: JSON.stringify({ command: 'npm test' }), tsNs: t0 + 5 * S, resultLlmCallId: 2, resultText: 'FAIL src/sum.test.ts', resultIsError: true, resultNs: t0 + 21 * S });
  st.putToolCall({ id: 2, llmCallId: 2, sessionId: 1, callId: 'toolu_02Y', name: 'Edit', inputJson: JSON.stringify({ file_path: '/home/dev/app/src/sum.ts' }), tsNs: t0 + 24 * S, resultLlmCallId: null, resultText: null, resultIsError: false, resultNs: t0 + 26 * S });
  st.addCausalLink({ id: 1, toolCallId: 1, targetKind: 'process', targetId: 2, method: 'lineage+window', confidence: 0.95 });
  st.addCausalLink({ id: 2, toolCallId: 2, targetKind: 'file_op', targetId: 3, method: 'path-match', confidence: 0.9 });

  st.addLoss({ id: 1, tsNs: t0 + 16 * S, source: 'ringbuf:events', processId: 3, connId: null, count: 12, bytes: 0, detail: 'ring full' });
  st.addLoss({ id: 2, tsNs: t0 + 22 * S, source: 'tls:clipped', processId: 1, connId: 1, count: 1, bytes: 512, detail: null });
  st.addActivity(t0 + 2 * S, { llmCalls: 1, tokens: 24_585 });
  st.flush();
  st.finalize();
  st.close();
  return { path: file, llmCalls: 4, processes: 6, toolCalls: 2 };
}
