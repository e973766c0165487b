/**
 * Realistic request bodies and headers (shapes as sent by Claude Code, Codex and Gemini CLI) used by the
 * fixture maker and the end-to-end tests. Secrets here are fake and exist to prove redaction.
 */
import { TOOL_COMMAND } from './replies';

export const SECRETS = {
  anthropicKey: 'sk-ant-api03-FAKEFAKEFAKE',
  openaiKey: 'Bearer sk-proj-FAKEFAKEFAKE',
  googleKey: 'AIzaFAKEFAKEFAKE',
};

export const CLAUDE_SESSION = '8a4c9a4e-1111-4222-8333-944445555666';
export const CODEX_SESSION = '0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000';

export const claudeHeaders = (): Record<string, string> => ({
  'user-agent': 'claude-cli/2.0.14 (external, cli)',
  'x-app': 'cli',
  'x-api-key': SECRETS.anthropicKey,
  'anthropic-version': '2023-06-01',
  'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14',
  'x-claude-code-session-id': CLAUDE_SESSION,
});

export const codexHeaders = (): Record<string, string> => ({
  'user-agent': 'codex_cli_rs/0.46.0 (Debian 12.0.0; x86_64) xterm-256color',
  originator: 'codex_cli_rs',
  authorization: SECRETS.openaiKey,
  session_id: CODEX_SESSION,
});

export const geminiHeaders = (): Record<string, string> => ({
  'user-agent': 'GeminiCLI/0.9.0 (linux; x64)',
  'x-goog-api-key': SECRETS.googleKey,
});

const SYSTEM = 'You are a coding agent. Use tools when needed.';

export function anthropicTurn1(stream: boolean, thinking = false): unknown {
  return {
    model: 'claude-sonnet-4-5-20250929',
    max_tokens: 1024,
    stream,
    system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }],
    ...(thinking ? { thinking: { type: 'enabled', budget_tokens: 1024 } } : {}),
    tools: [{ name: 'Bash', description: 'Run a shell command', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Write hello to /tmp/x' }] }],
  };
}

export function anthropicTurn2(stream: boolean, callId: string): unknown {
  const t1 = anthropicTurn1(stream) as { messages: unknown[] };
  return {
    ...t1,
    messages: [
      ...t1.messages,
      { role: 'assistant', content: [{ type: 'text', text: 'I will run a command.' }, { type: 'tool_use', id: callId, name: 'Bash', input: { command: TOOL_COMMAND } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: callId, content: [{ type: 'text', text: '(no output)' }], is_error: false }] },
    ],
  };
}

export function chatTurn1(stream: boolean): unknown {
  return {
    model: 'gpt-4o-mini',
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: 'Write hello to /tmp/x' },
    ],
    tools: [{ type: 'function', function: { name: 'shell', parameters: { type: 'object', properties: { command: { type: 'string' } } } } }],
  };
}

export function chatTurn2(stream: boolean, callId: string): unknown {
  const t1 = chatTurn1(stream) as { messages: unknown[] };
  return {
    ...t1,
    messages: [
      ...t1.messages,
      { role: 'assistant', content: null, tool_calls: [{ id: callId, type: 'function', function: { name: 'shell', arguments: JSON.stringify({ command: TOOL_COMMAND }) } }] },
      { role: 'tool', tool_call_id: callId, content: 'exit code 0' },
    ],
  };
}

export function responsesTurn1(stream: boolean): unknown {
  return {
    model: 'gpt-5-codex',
    instructions: SYSTEM,
    stream,
    reasoning: { effort: 'medium', summary: 'auto' },
    tools: [{ type: 'function', name: 'shell', parameters: { type: 'object', properties: { command: { type: 'array' } } } }],
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Write hello to /tmp/x' }] }],
  };
}

export function responsesTurn2(stream: boolean, callId: string): unknown {
  const t1 = responsesTurn1(stream) as { input: unknown[] };
  return {
    ...t1,
    input: [
      ...t1.input,
      { type: 'function_call', call_id: callId, name: 'shell', arguments: JSON.stringify({ command: TOOL_COMMAND }) },
      { type: 'function_call_output', call_id: callId, output: '{"output":"","metadata":{"exit_code":0}}' },
    ],
  };
}

export function geminiTurn1(): unknown {
  return {
    systemInstruction: { parts: [{ text: SYSTEM }] },
    contents: [{ role: 'user', parts: [{ text: 'Write hello to /tmp/x' }] }],
    tools: [{ functionDeclarations: [{ name: 'run_shell_command', parameters: { type: 'object', properties: { command: { type: 'string' } } } }] }],
    generationConfig: { temperature: 0 },
  };
}

export function geminiTurn2(): unknown {
  const t1 = geminiTurn1() as { contents: unknown[] };
  return {
    ...t1,
    contents: [
      ...t1.contents,
      { role: 'model', parts: [{ text: 'I will run a command.' }, { functionCall: { name: 'run_shell_command', args: { command: TOOL_COMMAND } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'run_shell_command', response: { output: 'Exit Code: 0' } } }] },
    ],
  };
}
