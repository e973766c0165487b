/**
 * MCP servers and calls as every surface names them: the server by the name it gave in `initialize` (else its
 * command), a call's outcome in words, a tools/call result as the text its content holds.
 */
import type { McpCallRow, McpServerRow } from '../store/types';

/** "secure-filesystem-server 0.2.0", or the command when the server never said its name. */
export function mcpServerLabel(s: Pick<McpServerRow, 'name' | 'version' | 'command' | 'channel'>): string {
  if (s.name) return s.version ? `${s.name} ${s.version}` : s.name;
  return s.command ?? s.channel;
}

/** 'ok', 'tool error' (a result with isError), 'error -32601 method not found', 'no reply', or 'notification'. */
export function mcpCallOutcome(c: Pick<McpCallRow, 'kind' | 'isError' | 'errorCode' | 'errorMessage' | 'endNs'>): string {
  if (c.kind === 'notification') return 'notification';
  if (c.errorCode !== null || c.errorMessage !== null) return `error${c.errorCode !== null ? ` ${c.errorCode}` : ''}${c.errorMessage ? ` ${c.errorMessage}` : ''}`;
  if (c.endNs === null) return 'no reply';
  return c.isError ? 'tool error' : 'ok';
}

/** A stored tools/call result as text: its text content parts joined, else its JSON ('' when there is none). */
export function mcpResultText(resultJson: string | null): string {
  if (resultJson === null) return '';
  try {
    const content = (JSON.parse(resultJson) as { content?: unknown }).content;
    if (Array.isArray(content)) {
      const texts = content.filter((p) => p && p.type === 'text' && typeof p.text === 'string').map((p) => p.text as string);
      if (texts.length) return texts.join('\n');
    }
  } catch {
    // not JSON (should not happen: the collector stores what it parsed)
  }
  return resultJson;
}

/** The arguments of a tools/call (its params' `arguments`), as compact JSON ('{}' when there are none). */
export function mcpArgumentsJson(paramsJson: string | null): string {
  if (paramsJson === null) return '{}';
  try {
    return JSON.stringify((JSON.parse(paramsJson) as { arguments?: unknown }).arguments ?? {});
  } catch {
    return paramsJson;
  }
}
