/**
 * Command-line redaction rules (src/collector/process/redact-command.ts): every secret form, the ordinary words that must
 * stay, one element per element, idempotence, and the same marker as header redaction.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSecretName, redactArgv, redactCommandText } from '../../../src/collector/process/redact-command';
import { onSecretSeen, redactValue } from '../../../src/protocols/http/redact';
import { SecretScrubber } from '../../../src/collector/tls/secret-scrubber';

const rnd = (n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') =>
  [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Fake values of every known shape, fresh per run (never real keys). */
const KEYS = {
  anthropic: `sk-ant-api03-${rnd(80)}`,
  openai: `sk-proj-${rnd(40)}7`,
  ghp: `ghp_${rnd(36)}`,
  gho: `gho_${rnd(36)}`,
  ghs: `ghs_${rnd(36)}`,
  pat: `github_pat_11${rnd(20, UPPER)}_${rnd(59)}`,
  google: `AIza${rnd(35)}`,
  slackBot: `xoxb-${rnd(12, '0123456789')}-${rnd(24)}`,
  slackUser: `xoxp-${rnd(12, '0123456789')}-${rnd(24)}`,
  aws: `AKIA${rnd(16, UPPER)}`,
  jwt: `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: rnd(10), iat: 1700000000 })}.${rnd(43)}`,
  gitlab: `glpat-${rnd(20)}`,
  stripe: `sk_live_${rnd(24)}`,
  groq: `gsk_${rnd(52)}`,
  xai: `xai-${rnd(80)}`,
  perplexity: `pplx-${rnd(48)}`,
  replicate: `r8_${rnd(37)}`,
  googleOauth: `ya29.${rnd(60)}`,
  sendgrid: `SG.${rnd(22)}.${rnd(43)}`,
  digitalocean: `dop_v1_${rnd(64, '0123456789abcdef')}`,
};

/** The secret is gone from the output and the argument count is kept. */
function expectGone(argv: string[], secret: string): string[] {
  expect(argv.join('\0')).toContain(secret); // the input really carries it: the check below can fail
  const out = redactArgv(argv);
  expect(out).toHaveLength(argv.length);
  expect(out.join('\0')).not.toContain(secret);
  expect(out.join('\0')).toContain('[REDACTED len=');
  return out;
}

describe('command-line redaction', () => {
  it('redacts every known key shape wherever it stands in an argument', () => {
    for (const [name, key] of Object.entries(KEYS)) {
      expect(redactArgv([key]), name).toEqual([redactValue(key)]);
      expectGone(['tool', `--opt=${key}`], key);
      expectGone(['echo', `prefix:${key},suffix`], key);
      expectGone(['sh', '-c', `curl -d "${key}" https://example.com`], key);
    }
  });

  it('redacts a PEM private key given in an argument, whole', () => {
    const body = rnd(64);
    const pem = `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n${rnd(40)}\n-----END OPENSSH PRIVATE KEY-----`;
    expect(redactArgv(['ssh-add', '-', pem])).toEqual(['ssh-add', '-', redactValue(pem)]);
    expectGone(['tool', `--data=prefix ${pem} suffix`], body);
    // Cut off by a clipped argv: everything from BEGIN on.
    expect(redactArgv(['x', pem.slice(0, 60)], true)[1]).not.toContain(body.slice(0, 20));
  });

  it('redacts the value of secret flags, as --flag value and --flag=value, keeping the flag', () => {
    const v = `v${rnd(20)}`;
    for (const flag of ['--api-key', '--apikey', '--apiKey', '--token', '--auth-token', '--password', '--passwd', '--secret', '--client-secret', '--access-key', '-token', '--pass', '--auth', '--cookie']) {
      expect(redactArgv(['x', flag, v]), flag).toEqual(['x', flag, redactValue(v)]);
      expect(redactArgv(['x', `${flag}=${v}`]), flag).toEqual(['x', `${flag}=${redactValue(v)}`]);
    }
    expect(expectGone(['mysql', '--password', 'hunter2'], 'hunter2')).toEqual(['mysql', '--password', redactValue('hunter2')]);
  });

  it('redacts secret header arguments (-H, --header, httpie style) and Bearer credentials', () => {
    const t = rnd(32);
    expect(redactArgv(['curl', '-H', `Authorization: Bearer ${t}`, 'http://127.0.0.1:9/'])).toEqual(['curl', '-H', `Authorization: ${redactValue(`Bearer ${t}`)}`, 'http://127.0.0.1:9/']);
    expectGone(['curl', '-H', `x-api-key: ${t}`], t);
    expectGone(['curl', '-H', `Cookie: session=${t}`], t);
    expectGone(['wget', `--header=Authorization: Basic ${t}`], t);
    expectGone(['http', 'GET', 'example.com', `x-goog-api-key:${t}`], t);
    expectGone(['curl', '--header', `PRIVATE-TOKEN: ${t}`], t);
    expectGone(['curl', '-H', `X-Auth-Token:${t}`], t);
    expectGone(['git', '-c', `http.https://github.com/.extraheader=AUTHORIZATION: basic ${t}`, 'fetch'], t);
    expectGone(['sh', '-c', `curl -u x -H "Proxy-Authorization: Basic ${t}" u`], t);
    expectGone(['python3', '-c', `requests.get(u, headers={"Authorization": "Bearer ${t}"})`], t);
    expectGone(['sh', '-c', `curl -sS -H 'Authorization: Bearer ${t}' https://api.example.com/v1`], t);
    // The header value in an argument gets the fingerprint the HTTP layer gives the same header on the wire.
    expect(redactArgv(['curl', '-H', `x-api-key: ${t}`])[2]).toBe(`x-api-key: ${redactValue(t)}`);
  });

  it('redacts NAME=value assignments whose name says secret (env, shells, make)', () => {
    const v = rnd(24);
    for (const name of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GITHUB_TOKEN', 'GH_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'DB_PASSWORD', 'SECRET_KEY_BASE', 'apiKey', 'KEY', 'my_secret']) {
      expect(redactArgv(['env', `${name}=${v}`, 'sh', '-c', 'true']), name).toEqual(['env', `${name}=${redactValue(v)}`, 'sh', '-c', 'true']);
      expectGone(['sh', '-c', `${name}=${v} make deploy`], v);
      expectGone(['sh', '-c', `export ${name}="${v}"; run`], v);
    }
    // Inside a setting's value: kubectl, helm, npm.
    expectGone(['kubectl', 'create', 'secret', 'generic', 'db', `--from-literal=password=${v}`], v);
    expectGone(['helm', 'install', 'x', '--set', `image.tag=1,auth.password=${v}`], v);
    expectGone(['npm', 'config', 'set', `//registry.example.com/:_authToken=${v}`], v);
  });

  it('redacts URL query secrets and URL passwords', () => {
    const k = rnd(20);
    expect(redactArgv(['curl', `https://h.example/v1/models?key=${k}&alt=sse`])).toEqual(['curl', `https://h.example/v1/models?key=${redactValue(k)}&alt=sse`]);
    expectGone(['curl', `https://h.example/cb?code=1&access_token=${k}`], k);
    expectGone(['git', 'clone', `https://user:${k}@git.example.com/r.git`], k);
    expectGone(['psql', `postgres://app:${k}@db:5432/app`], k);
    expectGone(['curl', '-u', `me:${k}`, 'https://h.example/'], k);
    expectGone(['curl', '-d', `{"api_key":"${k}","model":"m"}`, 'https://h.example/'], k);
  });

  it('redacts inside shell command strings (sh -c, a tool\'s command text) the way it redacts argv', () => {
    const k = KEYS.anthropic;
    const text = `curl --api-key ${k} --token=${KEYS.ghp} https://h.example/?key=${KEYS.google}`;
    const out = redactCommandText(text);
    for (const s of [k, KEYS.ghp, KEYS.google]) expect(out).not.toContain(s);
    // Word by word as an argv, or as one string: the same text, so the causal linker's command match still holds.
    expect(redactArgv(text.split(' ')).join(' ')).toBe(out);
    expect(redactArgv(['sh', '-c', text])[2]).toBe(out);
  });

  it('leaves ordinary arguments alone (false positives)', () => {
    const plain = [
      ['claude', '--max-tokens', '5', '--token-limit', '5', '--tokenizer', 'cl100k', '--keyboard', 'us'],
      ['env', 'MAX_TOKENS=5', 'KEYBOARD=us', 'MONKEY=1', 'TOKENIZERS_PARALLELISM=false', 'SSH_AUTH_SOCK=/tmp/agent.sock', 'PASSWORD_STORE_DIR=/home/u/.pw', 'GH_TOKEN_FILE=/run/t', 'AWS_ACCESS_KEY_ID=', 'PWD=/home/u'],
      ['git', 'commit', '-m', 'fix cookie: handle expiry; parse a=b pairs', '--no-verify'],
      ['npm', 'install', 'sk-learn-helper', 'task-management-service', 'eyJ-not-a-jwt', 'AKIA'],
      ['gh', 'auth', 'status', '--show-token'],
      ['mysql', '--password', '--host', 'db'],
      ['ssh-keygen', '-t', 'ed25519', '-f', '/home/u/.ssh/id_ed25519'],
      ['docker', 'login', '--password-stdin', 'registry.example.com'],
      ['curl', 'https://example.com/search?q=tokens&page=2', '-o', 'out.html'],
      ['docker', 'run', '-u', '1000:1000', 'img'],
      ['ls', '-la', '/tmp/api-key-rotation'],
      ['echo', 'Bearer', 'tokens', 'are', 'short'],
      ['git', 'commit', '-m', 'Use Bearer authentication for the proxy', '-m', 'Content-Type: application/json'],
      ['curl', '-H', 'Accept: text/event-stream', '-H', 'anthropic-version: 2023-06-01'],
      ['git', 'log', '--pretty=format:%H %s', '-c', 'core.editor=vim', '--author=me'],
      ['sed', '-i', 's/key=old/key=new/', 'f'],
      ['helm', 'install', 'x', '--set', 'image.tag=1,replicas=2'],
      ['echo', 'Basic authentication is off'],
    ];
    for (const argv of plain) expect(redactArgv(argv), argv.join(' ')).toEqual(argv);
    expect(isSecretName('--token-limit')).toBe(false);
    expect(isSecretName('--no-password')).toBe(false);
    expect(isSecretName('--api-key-file')).toBe(false);
  });

  it('is idempotent and deterministic, and keeps one element per element', () => {
    const argv = ['env', `ANTHROPIC_API_KEY=${KEYS.anthropic}`, 'claude', '--api-key', KEYS.anthropic, '-H', `Authorization: Bearer ${KEYS.jwt}`, `https://h/?key=${KEYS.google}`];
    const once = redactArgv(argv);
    expect(once).toHaveLength(argv.length);
    expect(redactArgv(once)).toEqual(once);
    expect(redactArgv(argv)).toEqual(once);
    expect(redactCommandText(once.join(' '))).toBe(once.join(' '));
    // The same key in two places has one fingerprint within a recording.
    expect(once[1]).toBe(`ANTHROPIC_API_KEY=${once[4]}`);
  });

  it('redacts the start of a key cut off at the end of a clipped argv', () => {
    const cut = KEYS.anthropic.slice(0, 12);
    expect(redactArgv(['x', cut])).toEqual(['x', cut]); // too short to be a key when whole
    expect(redactArgv(['x', `--x=${cut}`], true)).toEqual(['x', `--x=${redactValue(cut)}`]);
  });

  it('hands what it redacts to the TLS scrubber, which then masks it in raw chunks', () => {
    const scrubber = new SecretScrubber();
    const off = onSecretSeen((v) => scrubber.learn(v));
    try {
      redactArgv(['claude', '--api-key', KEYS.anthropic]);
      // The key later sent in a request body (not a header the scrubber would know by name).
      const chunk = Buffer.from(`POST /v1/messages HTTP/1.1\r\n\r\n{"note":"${KEYS.anthropic}"}`, 'latin1');
      expect(scrubber.scrub(chunk)).toBeGreaterThan(0);
      expect(chunk.toString('latin1')).not.toContain(KEYS.anthropic);
    } finally {
      off();
    }
  });
});
