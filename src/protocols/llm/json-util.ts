/** Small helpers for reading untrusted JSON without throwing. */

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function tryParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Text of a content value that is either a string or an array of {type:'text', text} blocks. */
export function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) return null;
  const texts = v.map((b) => (isObj(b) && typeof b.text === 'string' ? b.text : null)).filter((t): t is string => t !== null);
  return texts.length > 0 ? texts.join('\n') : null;
}

export function sumOrNull(...xs: Array<number | null>): number | null {
  if (xs.every((x) => x === null)) return null;
  return xs.reduce<number>((a, x) => a + (x ?? 0), 0);
}

/** Describes an error body: the provider's message when there is one, else the start of the text. */
export function errorMessage(body: unknown, raw: string): string {
  const b = obj(body);
  const e = b.error;
  if (isObj(e)) {
    const msg = str(e.message) ?? '';
    const type = str(e.type) ?? str(e.status) ?? (num(e.code) !== null ? String(e.code) : null);
    return type ? `${type}: ${msg}` : msg;
  }
  if (typeof e === 'string') return e;
  if (typeof b.message === 'string') return b.message;
  return raw.slice(0, 2000);
}
