import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactHeaders, redactUrl, redactValue } from '../../../src/protocols/http/redact';

describe('redaction', () => {
  it('redacts every secret header, keeping length and a short hash', () => {
    const names = ['Authorization', 'proxy-authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'cookie', 'set-cookie'];
    const out = redactHeaders(names.map((n) => [n, 'secret-value']));
    for (const [, v] of out) expect(v).toBe(redactValue('secret-value'));
    expect(redactValue('secret-value')).toMatch(/^\[REDACTED len=12 hmac:[0-9a-f]{8}\]$/);
    expect(redactValue('a')).not.toBe(redactValue('b'));
    expect(redactHeaders([['content-type', 'application/json']])).toEqual([['content-type', 'application/json']]);
  });

  it('redacts key, api_key and access_token query parameters, also in :path and referer', () => {
    expect(redactUrl('/v1/x?alt=sse&key=SECRET&access_token=T0K&api_key=A#frag')).toBe(
      `/v1/x?alt=sse&key=${redactValue('SECRET')}&access_token=${redactValue('T0K')}&api_key=${redactValue('A')}#frag`,
    );
    expect(redactUrl('/plain/path')).toBe('/plain/path');
    expect(redactUrl('/p?monkey=1')).toBe('/p?monkey=1');
    expect(redactHeaders([[':path', '/m?key=K']])[0]![1]).toBe(`/m?key=${redactValue('K')}`);
    expect(redactHeaders([['referer', 'https://x/?key=K']])[0]![1]).toBe(`https://x/?key=${redactValue('K')}`);
  });

  it('fingerprints with a key of its own process: the same value matches within a run, never across runs or a plain hash', () => {
    const v = 'hunter2-guessable';
    expect(redactValue(v)).toBe(redactValue(v));
    expect(redactValue(v)).not.toContain(createHash('sha256').update(v).digest('hex').slice(0, 8));
    // Two more processes (two recordings): each draws its own key, so a fingerprint from one file confirms nothing.
    const root = path.join(__dirname, '..', '..', '..');
    const inChild = () => execFileSync(path.join(root, 'node_modules', '.bin', 'tsx'), ['-e', `import { redactValue } from './src/protocols/http/redact'; process.stdout.write(redactValue(${JSON.stringify(v)}))`], { cwd: root, encoding: 'utf8' });
    const [a, b] = [inChild(), inChild()];
    expect(a).toMatch(/^\[REDACTED len=17 hmac:[0-9a-f]{8}\]$/);
    expect(new Set([a, b, redactValue(v)]).size).toBe(3);
  });
});
