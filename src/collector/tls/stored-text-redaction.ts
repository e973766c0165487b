/**
 * Secrets inside the bodies an agent exchanges with its model, before they are stored. Headers and URLs are redacted
 * by the HTTP layer, but the same keys travel in bodies too: an agent hands its whole environment to the tools and
 * MCP servers it starts (Claude Code passes ANTHROPIC_API_KEY on), and a tool result holding `env` output or a config
 * file goes back to the model inside the next request — into llm_calls, tool_calls and http_exchanges. Two rules,
 * both precise enough for prose and code: every value the HTTP layer redacted in this process (the agent's own API
 * key, cookies) wherever it appears, and the key shapes command lines use (redact-command.ts). Each becomes the same
 * fingerprint a header gets, so equal keys still look equal within the recording.
 */
import { onSecretSeen, redactValue } from '../../protocols/http/redact';
import { keyShapeSpans, redactKeyShapes } from '../process/redact-command';

/** Shorter values would match ordinary text by accident (the TLS scrubber uses the same bound). */
const MIN_KNOWN = 8;
const known = new Set<string>();
onSecretSeen((v) => {
  const values = [v];
  const scheme = /^(?:bearer|basic|token)\s+(.+)$/i.exec(v);
  if (scheme) values.push(scheme[1]!);
  for (const x of values) if (x.length >= MIN_KNOWN) known.add(x);
});

export function redactStoredText(text: string): string;
export function redactStoredText(text: string | null): string | null;
export function redactStoredText(text: string | null): string | null {
  if (text === null || text === '') return text;
  let s = text;
  for (const v of known) if (s.includes(v)) s = s.split(v).join(redactValue(v));
  return redactKeyShapes(s);
}

/** A decoded body: redacted as UTF-8 text when it holds a secret; bytes that are not text are left as they are. */
export function redactStoredBody(body: Uint8Array | null): Uint8Array | null {
  if (body === null || body.length === 0) return body;
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const latin = buf.toString('latin1');
  let hit = keyShapeSpans(latin).length > 0;
  if (!hit) for (const v of known) if (latin.includes(v)) hit = true;
  if (!hit) return body;
  const text = buf.toString('utf8');
  // Not UTF-8 (a binary body): mask the spans in place instead, keeping every other byte.
  if (!Buffer.from(text, 'utf8').equals(buf)) return maskBytes(buf);
  return Buffer.from(redactStoredText(text), 'utf8');
}

function maskBytes(buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  const latin = out.toString('latin1');
  for (const [at, len] of keyShapeSpans(latin)) out.fill(0x2a, at, at + len);
  for (const v of known) {
    for (let at = latin.indexOf(v); at >= 0; at = latin.indexOf(v, at + v.length)) out.fill(0x2a, at, at + v.length);
  }
  return out;
}
