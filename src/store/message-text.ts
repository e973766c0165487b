/**
 * Readable text of an LLM request: the prompt of a call is its last *user* turn (the user's words, or the tool
 * results the agent sends back, marked as such), never the system or developer messages an agent appends, nor the
 * provider's JSON. Works for every provider shape (Anthropic and Chat messages, Responses input items, Gemini
 * contents). Shared by the TUI's search and call detail view and `report prompts`.
 */

/** Marks a tool result in prompt text. */
export const TOOL_RESULT_MARK = '[tool result]';

type Obj = Record<string, unknown>;

/** The turn list of a request body: messages, Responses input, or Gemini contents. */
function turns(req: Obj): unknown {
  return req['messages'] ?? req['input'] ?? req['contents'];
}

/** A turn the user side sent: a user message, a Chat `tool` message, a Responses tool output; not system/developer. */
export function isUserTurn(t: unknown): boolean {
  if (!t || typeof t !== 'object') return typeof t === 'string';
  const o = t as Obj;
  const role = o['role'] ?? 'user';
  const type = o['type'] ?? 'message';
  return (role === 'user' || role === 'tool') && (type === 'message' || type === 'function_call_output');
}

/**
 * A block that is only agent plumbing wrapped in one tag (`<system-reminder>…</system-reminder>`,
 * `<environment_context>…`, `<session_context>…`): shown only when a turn has nothing else.
 */
function isPlumbing(text: string): boolean {
  return /^<([A-Za-z_][\w-]*)>[\s\S]*<\/\1>$/.test(text.trim());
}

/** Text of a tool result's content (a string, text blocks, or a Gemini functionResponse's response). */
function plainText(x: unknown): string {
  if (typeof x === 'string') return x;
  if (Array.isArray(x)) return x.map(plainText).filter(Boolean).join(' ');
  if (x && typeof x === 'object') {
    const o = x as Obj;
    if (typeof o['text'] === 'string') return o['text'];
    if (typeof o['output'] === 'string') return o['output'];
    if (o['content'] !== undefined) return plainText(o['content']);
    return JSON.stringify(o);
  }
  return x === undefined || x === null ? '' : String(x);
}

/** One user turn as text: its words (plumbing dropped when there are words), tool results marked. */
export function turnText(turn: unknown): string | null {
  if (typeof turn === 'string') return turn;
  if (!turn || typeof turn !== 'object') return null;
  const o = turn as Obj;
  if (o['role'] === 'tool' || o['type'] === 'function_call_output') return `${TOOL_RESULT_MARK} ${plainText(o['content'] ?? o['output'])}`.trim();
  const blocks = o['content'] ?? o['parts'];
  if (typeof blocks === 'string') return blocks;
  if (!Array.isArray(blocks)) return null;
  const words: string[] = [];
  const plumbing: string[] = [];
  const results: string[] = [];
  for (const b of blocks as unknown[]) {
    if (typeof b === 'string') { words.push(b); continue; }
    if (!b || typeof b !== 'object') continue;
    const x = b as Obj;
    if (x['type'] === 'tool_result') results.push(`${TOOL_RESULT_MARK} ${plainText(x['content'])}`.trim());
    else if (x['functionResponse'] !== undefined) results.push(`${TOOL_RESULT_MARK} ${plainText((x['functionResponse'] as Obj)['response'])}`.trim());
    else if (typeof x['text'] === 'string') (isPlumbing(x['text']) ? plumbing : words).push(x['text']);
  }
  const shown = [...results, ...words];
  return (shown.length > 0 ? shown : plumbing).join('\n') || null;
}

/** The prompt of a call from its request body: the last user turn's text. */
export function promptText(requestJson: string | null): string | null {
  if (!requestJson) return null;
  let req: unknown;
  try {
    req = JSON.parse(requestJson);
  } catch {
    return null;
  }
  if (!req || typeof req !== 'object') return null;
  const list = turns(req as Obj);
  if (typeof list === 'string') return list;
  if (!Array.isArray(list)) return null;
  for (let i = list.length - 1; i >= 0; i--) if (isUserTurn(list[i])) return turnText(list[i]);
  return null;
}

/**
 * The prompt from what the store's text query returns (sqlite/llm-text-query.ts): the last user turn's JSON, or
 * only its tail when it is long (the user's words come last, after an agent's reminders). A whole turn is read as
 * JSON; a tail is read for its "text"/"output" strings.
 */
export function storedPromptText(turnJson: string | null, isToolResult = false): string | null {
  if (turnJson === null) return null;
  try {
    return turnText(JSON.parse(turnJson));
  } catch {
    // A cut turn: the complete strings of its text fields.
  }
  const strings: string[] = [];
  for (const m of turnJson.matchAll(/"(?:text|output|content)"\s*:\s*("(?:[^"\\]|\\.)*")/g)) {
    try {
      const s = JSON.parse(m[1]!) as string;
      if (!isPlumbing(s)) strings.push(s);
    } catch {
      // not a whole string
    }
  }
  // A tail cut inside one long string (a big tool output): that string's end.
  const head = /^((?:[^"\\]|\\.)*)"/.exec(turnJson);
  if (strings.length === 0 && head && head[1]) {
    try {
      strings.push('…' + (JSON.parse(`"${head[1]}"`) as string));
    } catch {
      // an escape cut in half
    }
  }
  const text = strings.join('\n');
  if (!text) return null;
  return isToolResult ? `${TOOL_RESULT_MARK} ${text}` : text;
}

/** One message of a request's conversation, as text: who said it and what (tool calls and results marked). */
export interface ConversationTurn {
  role: string;
  text: string;
}

/** Text of any block: words, a tool call (`[tool call] NAME {input}`), a tool result, or compact JSON. */
function blockText(b: unknown): string {
  if (typeof b === 'string') return b;
  if (!b || typeof b !== 'object') return b === undefined || b === null ? '' : String(b);
  const x = b as Obj;
  if (x['type'] === 'tool_use') return `[tool call] ${String(x['name'])} ${JSON.stringify(x['input'] ?? {})}`;
  if (x['type'] === 'function_call') return `[tool call] ${String(x['name'])} ${String(x['arguments'] ?? '')}`;
  if (x['functionCall'] !== undefined) {
    const f = x['functionCall'] as Obj;
    return `[tool call] ${String(f['name'])} ${JSON.stringify(f['args'] ?? {})}`;
  }
  if (x['type'] === 'tool_result' || x['type'] === 'function_call_output') return `${TOOL_RESULT_MARK} ${plainText(x['content'] ?? x['output'])}`.trim();
  if (x['functionResponse'] !== undefined) return `${TOOL_RESULT_MARK} ${plainText((x['functionResponse'] as Obj)['response'])}`.trim();
  if (x['type'] === 'thinking' && typeof x['thinking'] === 'string') return `[thinking] ${x['thinking']}`;
  if (typeof x['text'] === 'string') return x['text'];
  if (Array.isArray(x['content']) || typeof x['content'] === 'string') return plainText(x['content']);
  if (Array.isArray(x['tool_calls'])) return (x['tool_calls'] as Obj[]).map((c) => `[tool call] ${String((c['function'] as Obj)?.['name'])} ${String((c['function'] as Obj)?.['arguments'] ?? '')}`).join('\n');
  return JSON.stringify(x);
}

/**
 * Every message of a request in order (Anthropic and Chat messages, Responses input items, Gemini contents), each as
 * text; [] when the body is not captured or not JSON. The system prompt is the call's own field, not repeated here.
 */
export function conversationText(requestJson: string | null): ConversationTurn[] {
  if (!requestJson) return [];
  let req: unknown;
  try {
    req = JSON.parse(requestJson);
  } catch {
    return [];
  }
  if (!req || typeof req !== 'object') return [];
  const list = turns(req as Obj);
  if (typeof list === 'string') return [{ role: 'user', text: list }];
  if (!Array.isArray(list)) return [];
  return list.map((t): ConversationTurn => {
    if (typeof t === 'string') return { role: 'user', text: t };
    const o = (t ?? {}) as Obj;
    const role = String(o['role'] ?? o['type'] ?? 'user');
    const blocks = o['content'] ?? o['parts'];
    const calls = Array.isArray(o['tool_calls']) ? [blockText({ tool_calls: o['tool_calls'] })] : [];
    // A Responses item (function_call, function_call_output) is its own block; a Chat tool call lives in tool_calls.
    const parts = Array.isArray(blocks) ? (blocks as unknown[]).map(blockText) : blocks !== undefined ? [blockText(blocks)] : calls.length > 0 ? [] : [blockText(o)];
    parts.push(...calls);
    return { role, text: parts.filter(Boolean).join('\n') };
  });
}

/** Names of the tools a request offered the model (Anthropic, Chat/Responses functions, Gemini declarations). */
export function toolsOffered(requestJson: string | null): string[] {
  if (!requestJson) return [];
  let req: Obj;
  try {
    req = JSON.parse(requestJson) as Obj;
  } catch {
    return [];
  }
  const tools = req && typeof req === 'object' ? req['tools'] : undefined;
  if (!Array.isArray(tools)) return [];
  const names: string[] = [];
  for (const t of tools as Obj[]) {
    if (!t || typeof t !== 'object') continue;
    if (Array.isArray(t['functionDeclarations'])) for (const f of t['functionDeclarations'] as Obj[]) names.push(String(f['name']));
    else if (t['function'] && typeof t['function'] === 'object') names.push(String((t['function'] as Obj)['name']));
    else if (t['name'] !== undefined) names.push(String(t['name']));
    else if (t['type'] !== undefined) names.push(String(t['type']));
  }
  return names;
}
