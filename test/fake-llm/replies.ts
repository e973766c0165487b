/**
 * What the fake provider answers, decided from the request alone so any client (and any process) gets the
 * same script: an error when the model name asks for one, a tool call when tools are offered and no tool
 * result is present yet, and a text answer once a tool result comes back (or when no tools were offered).
 * Token counts are exact and derived from the request bytes, so tests can predict them.
 */

export type ApiKind = 'anthropic' | 'openai-chat' | 'openai-responses' | 'gemini';

export interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

export type Reply =
  | { kind: 'text'; text: string; thinking: string | null; usage: Usage }
  | { kind: 'tool'; callId: string; name: string; input: Record<string, unknown>; text: string | null; usage: Usage }
  | { kind: 'error'; status: number; message: string };

export const TOOL_COMMAND = 'echo hello > /tmp/x';
export const FINAL_TEXT = 'Done. The command wrote hello to /tmp/x.';
export const PLAIN_TEXT = 'Hello from fake-llm. This answer is deterministic.';
export const THINKING_TEXT = 'The user wants a file written; a shell command does that.';

/** Splits text into the pieces a stream sends, keeping it deterministic. */
export function pieces(text: string, size = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Arguments in the shape each agent's shell tool expects, so real agents actually run the command. */
export function toolInput(name: string): Record<string, unknown> {
  if (name === 'shell') return { command: ['bash', '-lc', TOOL_COMMAND] }; // Codex
  if (name === 'exec_command') return { cmd: TOOL_COMMAND }; // newer Codex
  return { command: TOOL_COMMAND }; // Claude Code Bash, Gemini CLI run_shell_command
}

function words(s: string): number {
  return s.split(/\s+/).filter(Boolean).length;
}

interface Inspect {
  model: string;
  hasToolResult: boolean;
  toolNames: string[];
  wantsThinking: boolean;
}

function inspect(api: ApiKind, body: any, pathModel: string | null): Inspect {
  const s = JSON.stringify(body ?? {});
  const model = String(pathModel ?? body?.model ?? 'unknown-model');
  let hasToolResult = false;
  let toolNames: string[] = [];
  switch (api) {
    case 'anthropic':
      hasToolResult = s.includes('"tool_result"');
      toolNames = (body?.tools ?? []).map((t: any) => String(t?.name));
      break;
    case 'openai-chat':
      hasToolResult = Array.isArray(body?.messages) && body.messages.some((m: any) => m?.role === 'tool');
      toolNames = (body?.tools ?? []).map((t: any) => String(t?.function?.name ?? t?.name));
      break;
    case 'openai-responses':
      hasToolResult = s.includes('"function_call_output"');
      toolNames = (body?.tools ?? []).map((t: any) => String(t?.name ?? t?.function?.name));
      break;
    case 'gemini': {
      const req = body?.request ?? body;
      hasToolResult = JSON.stringify(req?.contents ?? []).includes('"functionResponse"');
      toolNames = (req?.tools ?? []).flatMap((t: any) => (t?.functionDeclarations ?? []).map((f: any) => String(f?.name)));
      break;
    }
  }
  const wantsThinking = body?.thinking?.type === 'enabled' || body?.reasoning != null || body?.generationConfig?.thinkingConfig != null;
  return { model, hasToolResult, toolNames, wantsThinking };
}

/** A minimal value matching a JSON schema (first enum value, empty strings, zeros): for JSON-mode requests. */
export function sampleFromSchema(schema: any): unknown {
  if (!schema || typeof schema !== 'object') return null;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (String(schema.type ?? '').toLowerCase()) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(schema.properties ?? {})) o[k] = sampleFromSchema(v);
      return o;
    }
    case 'array':
      return [];
    case 'string':
      return 'fake';
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

export function decide(api: ApiKind, rawBody: Buffer, body: any, pathModel: string | null, seq: number): Reply {
  const info = inspect(api, body, pathModel);
  // Gemini JSON mode (Gemini CLI's routing classifier): answer with JSON matching the requested schema.
  const gc = (body?.request ?? body)?.generationConfig;
  if (api === 'gemini' && gc?.responseMimeType === 'application/json' && !/error-\d{3}/.test(info.model)) {
    const text = JSON.stringify(sampleFromSchema(gc.responseJsonSchema ?? gc.responseSchema ?? {}));
    return { kind: 'text', text, thinking: null, usage: { input: Math.ceil(rawBody.length / 4), output: 5, cacheRead: 0, cacheWrite: 0, reasoning: 0 } };
  }
  const m = /error-(\d{3})/.exec(info.model);
  if (m) {
    const status = Number(m[1]);
    return { kind: 'error', status, message: status === 429 ? 'Rate limited by fake-llm (scripted).' : 'Internal error in fake-llm (scripted).' };
  }
  const input = Math.ceil(rawBody.length / 4);
  const usage = (output: number): Usage => ({
    input,
    output,
    // A second turn "hits the cache" for half the prompt, a first one writes it: exact, predictable figures.
    cacheRead: info.hasToolResult ? Math.floor(input / 2) : 0,
    cacheWrite: info.hasToolResult ? 0 : Math.min(input, 100),
    reasoning: info.wantsThinking ? words(THINKING_TEXT) : 0,
  });
  if (info.toolNames.length > 0 && !info.hasToolResult) {
    const name = info.toolNames.find((n) => /^(bash|shell|run_shell_command|exec_command)$/i.test(n)) ?? info.toolNames[0]!;
    const callId = api === 'anthropic' ? `toolu_fake${String(seq).padStart(6, '0')}` : api === 'gemini' ? `${name}-${seq}` : `call_fake${String(seq).padStart(6, '0')}`;
    return { kind: 'tool', callId, name, input: toolInput(name), text: 'I will run a command.', usage: usage(12) };
  }
  const text = info.hasToolResult ? FINAL_TEXT : PLAIN_TEXT;
  return { kind: 'text', text, thinking: info.wantsThinking ? THINKING_TEXT : null, usage: usage(words(text)) };
}
