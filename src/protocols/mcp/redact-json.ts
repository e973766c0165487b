/**
 * Secrets out of JSON-RPC messages before they are stored: the value of every member whose name says it holds a
 * secret (`apiKey`, `password`, `Authorization`, an `env` entry such as `GITHUB_TOKEN` …) is replaced by the same
 * fingerprint headers get (redactValue: length and a keyed HMAC, and the value is handed to the TLS scrubber).
 * Which names are secret is the caller's predicate (the collector passes the one command lines use), so this stays
 * free of collector imports; so is `redactText`, applied to every other string (a tool's text result can hold an
 * environment dump or a config file: `"GITHUB_TOKEN": "ghp_…"` inside one string, `sk-…` shapes, `--password x`).
 */
import { isRedacted, isSecretHeader, redactValue } from '../http/redact';

export function redactJsonSecrets(v: unknown, isSecretName: (name: string) => boolean, redactText: (s: string) => string = (s) => s): unknown {
  if (typeof v === 'string') return redactText(v);
  if (Array.isArray(v)) return v.map((x) => redactJsonSecrets(x, isSecretName, redactText));
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if ((isSecretHeader(k) || isSecretName(k)) && x !== null && typeof x !== 'object') {
      const s = String(x);
      out[k] = s === '' || isRedacted(s) ? x : redactValue(s);
    } else out[k] = redactJsonSecrets(x, isSecretName, redactText);
  }
  return out;
}
