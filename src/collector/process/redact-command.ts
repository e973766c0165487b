/**
 * Secret redaction for command lines: argv of every exec (stored, failed, or read from /proc), the recorded command
 * and session titles. The same rules as headers (redact.ts), and the same marker, so a key passed with `--api-key`
 * and later sent as `x-api-key` carries the same fingerprint within a recording:
 *
 * - a flag whose name says secret: `--api-key V`, `--token=V`, `--password V`, `-secret V` (isSecretName);
 * - a header argument: `-H 'Authorization: …'`, `--header=x-api-key: …`, an argument `Cookie: …` (SECRET_HEADERS);
 * - an assignment `NAME=V` whose NAME says secret (`env ANTHROPIC_API_KEY=…`, `GITHUB_TOKEN=… make`);
 * - a URL: secret query parameters (redactUrl) and the password of `scheme://user:password@host`;
 * - a known key shape anywhere in an argument: `sk-ant-…`, `sk-…`, `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_…`,
 *   `github_pat_…`, `glpat-…`, `npm_…`, `hf_…`, `AIza…`, `xoxb-`/`xoxa-`/`xoxp-…`, `AKIA…`/`ASIA…`, JWTs
 *   (`eyJ….….…`), Stripe, Groq, xAI, Perplexity, Replicate, Google OAuth, SendGrid and DigitalOcean tokens, PEM
 *   private keys, and the credential after `Bearer` or `Basic`.
 *
 * An argv keeps one element per element (readers search $PATH and match command lines on it), and redaction is
 * deterministic within a process and idempotent, so comparing redacted forms on both sides still matches (the causal
 * linker redacts a tool's command text with redactCommandText before comparing it with a stored argv).
 */
import { SECRET_HEADERS, isRedacted, redactUrl, redactValue } from '../../protocols/http/redact';

/** A word of a name that makes it a secret wherever it stands (`SECRET_KEY_BASE`, `--client-secret`). */
const SECRET_WORDS: ReadonlySet<string> = new Set([
  'KEY', 'APIKEY', 'TOKEN', 'SECRET', 'PASSWORD', 'PASSWD', 'PASSPHRASE', 'CREDENTIAL', 'CREDENTIALS',
]);
/** Words that name a secret only as the last word: `--auth`, `BASIC_AUTH`, `--cookie`, `-pass` (not `SSH_AUTH_SOCK`). */
const SECRET_LAST_WORDS: ReadonlySet<string> = new Set(['AUTH', 'COOKIE', 'COOKIES', 'PASS', 'PAT']);
/**
 * A last word that makes the value something about a secret rather than the secret: a limit (`--token-limit 5`), a
 * place (`GH_TOKEN_FILE`, `PASSWORD_STORE_DIR`), a kind or a name. AWS_ACCESS_KEY_ID's value is caught by its shape.
 */
const NOT_SECRET_LAST_WORDS: ReadonlySet<string> = new Set([
  'FILE', 'FILES', 'PATH', 'DIR', 'LIMIT', 'LIMITS', 'COUNT', 'SIZE', 'LEN', 'LENGTH', 'MAX', 'MIN', 'ID', 'IDS',
  'NAME', 'TYPE', 'URL', 'URI', 'ENDPOINT', 'HOST', 'PORT', 'TTL', 'TIMEOUT', 'HEADER', 'ENV', 'VAR', 'FORMAT',
  'BUDGET', 'FIELD', 'COMMAND', 'CMD', 'HELPER', 'STORE', 'PROMPT', 'MODE', 'STDIN', 'FD',
]);

/**
 * Does a flag or variable name say its value is a secret? By words (split at `-`, `_`, `.` and camelCase), so
 * `--max-tokens`, `MAX_TOKENS`, `KEYBOARD`, `TOKENIZERS_PARALLELISM` and `--token-limit` are not, while `--api-key`,
 * `ANTHROPIC_API_KEY`, `apiKey`, `--token`, `DB_PASSWORD` and `--client-secret` are. `--no-…` flags take no value.
 */
export function isSecretName(name: string): boolean {
  // Every secret word holds one of these; most flags and variables hold none (one test, no split).
  if (!SECRET_WORD_PARTS.test(name)) return false;
  let known = nameCache.get(name);
  if (known === undefined) {
    if (nameCache.size >= 4096) nameCache.clear(); // flag names repeat; a bound keeps odd inputs from growing it
    known = classifyName(name);
    nameCache.set(name, known);
  }
  return known;
}

const SECRET_WORD_PARTS = /key|token|secret|pass|credential|auth|cookie|pat/i;
const nameCache = new Map<string, boolean>();

function classifyName(name: string): boolean {
  const bare = name.replace(/^-+/, '');
  if (bare === '' || /^no[-_]/i.test(bare)) return false;
  const words = bare
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[-_.]+/)
    .filter(Boolean)
    .map((w) => w.toUpperCase());
  const last = words[words.length - 1];
  if (last === undefined || NOT_SECRET_LAST_WORDS.has(last)) return false;
  return words.some((w) => SECRET_WORDS.has(w)) || SECRET_LAST_WORDS.has(last);
}

/** A value that is itself an option (`--password --verbose`: a flag that prompts), not the secret. */
function looksLikeFlag(v: string): boolean {
  return /^--?[A-Za-z]/.test(v);
}

function redactIfValue(v: string): string {
  return v === '' || isRedacted(v) ? v : redactValue(v);
}

/**
 * A header argument: at the start of an argument (curl's `-H` value, httpie's `Authorization:…`), after `-H` /
 * `--header` in a command string, or as the value of a setting (`git -c http.extraheader="AUTHORIZATION: basic …"`,
 * as CI checkouts run it). Secret when its name is in SECRET_HEADERS or says secret (`PRIVATE-TOKEN`,
 * `X-Auth-Token`). The value runs to the end of the argument or its closing quote.
 */
const HEADER = /(^\s*|-H\s*['"]?|--header[=\s]\s*['"]?|=['"]?)([A-Za-z][A-Za-z0-9-]*)(\s*:\s*)([^'"\r\n]*)/g;
function isSecretHeaderName(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase()) || isSecretName(name);
}
/** `--name value`, `--name=value`, `-name value`, at the start or after a blank or a quote; the value follows. */
const FLAG = /(?<=^|[\s'"])(--?[A-Za-z][A-Za-z0-9_.-]*)(=|\s+)/g;
/**
 * `NAME=value` (shell assignments, env(1) arguments, `make` variables), also inside a setting's value
 * (`--from-literal=password=…`, helm's `--set a=1,auth.password=…`, npm's `//host/:_authToken=…`); the value follows.
 */
const ASSIGNMENT = /(?<=^|[\s'"(;&|`=:,])([A-Za-z_][A-Za-z0-9_.]*)(=)/g;
/** `"password": "…"` in JSON given on a command line (`curl -d '{"api_key":"…"}'`). */
const JSON_FIELD = /"([A-Za-z_][A-Za-z0-9_.-]*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;
/** A word (a URL or request target when it holds `?` or `://`; tested per word, a pattern would backtrack). */
const WORD = /[^\s'"<>]+/g;
/** The password of `scheme://user:password@host`. */
const USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/@:?#]*:)([^\s/@?#]+)(@)/;

/** Key shapes, after gitleaks' rules; each must stand at a word start (`task-…` is not `sk-…`). */
const KEY_SHAPES: readonly RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{16,}/,
  // OpenAI keys (sk-…, sk-proj-…) are random base62: a digit keeps kebab-case words like sk-learn-… out. The digit
  // is looked for within a key's length (≤ 256), so a long run of `sk-sk-…` costs linear time, not quadratic.
  /sk-(?=[A-Za-z0-9_-]{0,256}[0-9])[A-Za-z0-9_-]{20,}/,
  /gh[pousr]_[A-Za-z0-9]{20,}/,
  /github_pat_[A-Za-z0-9_]{20,}/,
  /glpat-[A-Za-z0-9_-]{20,}/,
  /npm_[A-Za-z0-9]{36,}/,
  /hf_[A-Za-z0-9]{30,}/,
  /AIza[0-9A-Za-z_-]{30,}/,
  /xox[abposre]-[0-9A-Za-z-]{10,}/,
  /(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16,}/,
  /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/,
  // Other providers an agent may be given a key for, and common service tokens.
  /(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/, // Stripe secret and restricted keys
  /gsk_[A-Za-z0-9]{40,}/, // Groq
  /xai-[A-Za-z0-9]{40,}/, // xAI
  /pplx-[A-Za-z0-9]{40,}/, // Perplexity
  /r8_[A-Za-z0-9]{30,}/, // Replicate
  /ya29\.[A-Za-z0-9_-]{20,}/, // Google OAuth access token
  /SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/, // SendGrid
  /do[por]_v1_[a-f0-9]{64}/, // DigitalOcean
  // A PEM private key pasted into an argument (`--key "$(cat key.pem)"`): all of it, to its END line or the end.
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/,
];
/** Cheap test before SHAPES: every shape starts with one of these. */
const SHAPE_STARTS = /sk-|gh[pousr]_|github_pat_|glpat-|npm_|hf_|AIza|xox[abposre]-|A(?:KIA|SIA|BIA|CCA|3T)|eyJ|[sr]k_(?:live|test)_|gsk_|xai-|pplx-|r8_|ya29\.|SG\.|do[por]_v1_|-----BEGIN /;
/**
 * What every rule but the key shapes needs inside one string: a blank (`--flag value`, `Bearer x`), `=`, `:` (headers,
 * URLs), `?` or `"` (JSON). A lone `--flag` has its value in the next argument, which redactArgv handles.
 */
const MAYBE_SECRET = /[\s=:?"]/;
const SHAPES = new RegExp(`(?<![A-Za-z0-9])(?:${KEY_SHAPES.map((r) => r.source).join('|')})`, 'g');
const BEARER = /(\b(?:bearer|basic)\s+)([A-Za-z0-9._~+/=-]{8,})/gi;
/** The start of a key shape cut off at the end of a clipped argv (only its first characters were read). */
const SHAPE_PREFIX_AT_END = /(?<![A-Za-z0-9])(?:sk-|gh[pousr]_|github_pat_|glpat-|npm_|hf_|AIza|xox[abposre]-|AKIA|ASIA|eyJ|[sr]k_(?:live|test)_|gsk_|xai-|pplx-|r8_|ya29\.|SG\.|do[por]_v1_)[A-Za-z0-9_.-]*$|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*$/;

/**
 * Redact the value after each match of `re` (group 1 the name, group 2 the separator) whose name says secret. The
 * value is quoted ('…' or "…", kept quoted) or runs to the next blank or quote. Scanning resumes right after a
 * name that is not secret, so `sh -c "curl --api-key …"` reaches the flag inside the quotes.
 */
function redactNamedValues(s: string, re: RegExp, isFlag: boolean): string {
  let out = '';
  let copied = 0;
  re.lastIndex = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const name = m[1]!;
    const sep = m[2]!;
    if (!isSecretName(name)) {
      re.lastIndex = m.index + name.length;
      continue;
    }
    const at = m.index + m[0].length;
    const q = s[at];
    let start = at;
    let end: number;
    let next: number;
    if (q === "'" || q === '"') {
      start = at + 1;
      const close = s.indexOf(q, start);
      end = close < 0 ? s.length : close;
      next = close < 0 ? s.length : close + 1;
    } else {
      end = at;
      while (end < s.length && !/[\s'"]/.test(s[end]!)) end++;
      next = end;
    }
    const value = s.slice(start, end);
    // `--password --verbose`: a flag that prompts, followed by another option.
    if (value !== '' && !(isFlag && sep !== '=' && q !== "'" && q !== '"' && looksLikeFlag(value))) {
      out += s.slice(copied, start) + redactIfValue(value);
      copied = end;
    }
    re.lastIndex = Math.max(next, m.index + m[0].length);
  }
  return copied === 0 ? s : out + s.slice(copied);
}

/** Only the key shapes (sk-ant-…, ghp_…, AIza…, JWTs, PEM private keys …): for text that is not a command line. */
export function redactKeyShapes(text: string): string {
  return SHAPE_STARTS.test(text) ? text.replace(SHAPES, (m) => redactValue(m)) : text;
}

/** Each key shape in latin1 text, as [start, length] (for masking raw bytes in place). */
export function keyShapeSpans(text: string): Array<[number, number]> {
  if (!SHAPE_STARTS.test(text)) return [];
  return [...text.matchAll(SHAPES)].map((m) => [m.index!, m[0].length]);
}

/**
 * Redact secrets in one string: an argument, a command title, or a whole shell command (`sh -c '…'`, a tool's
 * command text). Rules in order; each leaves what an earlier one redacted alone.
 */
export function redactCommandText(text: string): string {
  // Most arguments (paths, words) hold none of what the rules look for: one cheap test each, exec rates are high.
  if (!MAYBE_SECRET.test(text) && !SHAPE_STARTS.test(text)) return text;
  let s = text;
  if (s.includes(':')) s = s.replace(HEADER, (m, pre: string, name: string, sep: string, v: string) => (isSecretHeaderName(name) ? `${pre}${name}${sep}${redactIfValue(v)}` : m));
  if (s.includes('-')) s = redactNamedValues(s, FLAG, true);
  if (s.includes('=')) s = redactNamedValues(s, ASSIGNMENT, false);
  if (s.includes('"')) s = s.replace(JSON_FIELD, (m, name: string, sep: string, v: string) => (isSecretName(name) ? `"${name}"${sep}"${redactIfValue(v)}"` : m));
  if (s.includes('?') || s.includes('://')) {
    s = s.replace(WORD, (w) => {
      if (!w.includes('?') && !w.includes('://')) return w;
      const u = w.replace(USERINFO, (_m, head: string, pw: string, at: string) => `${head}${redactIfValue(pw)}${at}`);
      return u.includes('?') ? redactUrl(u) : u;
    });
  }
  if (SHAPE_STARTS.test(s)) s = s.replace(SHAPES, (m) => redactValue(m));
  // A credential is random: a digit or a long run. Prose ("Bearer authentication") keeps its word.
  if (/bearer|basic/i.test(s)) s = s.replace(BEARER, (m, pre: string, v: string) => (/[0-9]/.test(v) || v.length >= 24 ? `${pre}${redactIfValue(v)}` : m));
  return s;
}

/** curl's `-u user:password` (only curl's: `docker run -u 1000:1000` names a user and group). */
const CURL_USER: ReadonlySet<string> = new Set(['-u', '--user', '-U', '--proxy-user']);
function isCurl(argv0: string | undefined): boolean {
  return argv0 !== undefined && /(^|\/)curl$/.test(argv0);
}

/**
 * Redact an argv element by element (the count never changes). An element after a secret flag (`--api-key`,
 * `--password`) is the secret as a whole; every element also goes through redactCommandText. With `clipped`, the
 * last element was cut short: a key shape cut off at its end is redacted too, though too short to be recognised.
 */
export function redactArgv(argv: readonly string[], clipped = false): string[] {
  const out = new Array<string>(argv.length);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const prev = i > 0 ? argv[i - 1]! : '';
    let r: string;
    if (prev.startsWith('-') && !prev.includes('=') && isSecretName(prev) && !looksLikeFlag(a)) r = redactIfValue(a);
    else if (CURL_USER.has(prev) && isCurl(argv[0]) && a.includes(':')) r = `${a.slice(0, a.indexOf(':') + 1)}${redactIfValue(a.slice(a.indexOf(':') + 1))}`;
    else r = redactCommandText(a);
    if (clipped && i === argv.length - 1) r = r.replace(SHAPE_PREFIX_AT_END, (m) => redactValue(m));
    out[i] = r;
  }
  return out;
}
