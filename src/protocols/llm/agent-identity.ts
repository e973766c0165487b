/**
 * Which agent made a request, and its own session id, from request headers. Verified header facts:
 * Claude Code sends `user-agent: claude-cli/<ver> (external, cli)` and `x-claude-code-session-id`; Codex sends
 * `user-agent: codex_cli_rs/<ver> …`, `originator: codex_cli_rs` and `session_id` (older builds `session-id`);
 * Gemini CLI sends `user-agent: GeminiCLI/<ver> …`.
 */
import type { HeaderList } from '../http/types';

export interface AgentIdentity {
  agent: string | null;
  sessionId: string | null;
  userAgent: string | null;
}

const UA_RULES: ReadonlyArray<[RegExp, string]> = [
  [/^claude-cli\/|claude-code/i, 'claude-code'],
  [/^codex_|codex[-_ ]?cli|\bcodex\//i, 'codex'],
  [/geminicli|gemini-cli/i, 'gemini-cli'],
  [/opencode/i, 'opencode'],
  [/aider/i, 'aider'],
  [/\bcline\b/i, 'cline'],
  [/roo-?code/i, 'roo-code'],
  [/cursor/i, 'cursor'],
  [/githubcopilot|copilot/i, 'copilot'],
  [/qwen-?code/i, 'qwen-code'],
  [/\bgoose\b/i, 'goose'],
];

const SESSION_HEADERS = ['x-claude-code-session-id', 'session_id', 'session-id', 'x-session-id', 'conversation_id', 'conversation-id'];

function get(headers: HeaderList, name: string): string | null {
  for (const [n, v] of headers) if (n === name) return v;
  return null;
}

export function agentFromHeaders(headers: HeaderList): string | null {
  const ua = get(headers, 'user-agent') ?? '';
  for (const [re, name] of UA_RULES) if (re.test(ua)) return name;
  if (get(headers, 'x-claude-code-session-id')) return 'claude-code';
  const originator = get(headers, 'originator') ?? '';
  if (/codex/i.test(originator)) return 'codex';
  return null;
}

export function identifyAgent(headers: HeaderList): AgentIdentity {
  let sessionId: string | null = null;
  for (const h of SESSION_HEADERS) {
    const v = get(headers, h);
    if (v) {
      sessionId = v;
      break;
    }
  }
  return { agent: agentFromHeaders(headers), sessionId, userAgent: get(headers, 'user-agent') };
}
