import { gzipSync, brotliCompressSync, deflateSync, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chunk, collect, feed, text } from './helpers';

const REQ = 'POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nx-api-key: sk-ant-secret\r\nContent-Length: 11\r\n\r\nhello world';
const RESP = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}';

describe('HTTP/1.1 decoder', () => {
  it('decodes one exchange and redacts secrets', () => {
    const c = collect();
    c.decoder.push(chunk(0, REQ, 10));
    c.decoder.push(chunk(1, RESP, 20));
    expect(c.exchanges).toHaveLength(1);
    const ex = c.exchanges[0]!;
    expect(ex.method).toBe('POST');
    expect(ex.path).toBe('/v1/messages');
    expect(ex.host).toBe('api.anthropic.com');
    expect(ex.status).toBe(200);
    expect(text(ex.reqBody)).toBe('hello world');
    expect(text(ex.respBody)).toBe('{"a":1}');
    expect(ex.complete).toBe(true);
    expect(ex.startNs).toBe(10);
    expect(ex.firstByteNs).toBe(20);
    const key = ex.reqHeaders.find(([n]) => n === 'x-api-key')![1];
    expect(key).toMatch(/^\[REDACTED len=13 hmac:[0-9a-f]{8}\]$/);
    expect(JSON.stringify(ex)).not.toContain('sk-ant-secret');
  });

  it('survives every split point, byte by byte', () => {
    for (const size of [1, 2, 3, 7, 64]) {
      const c = collect();
      feed(c, 0, Buffer.from(REQ), size);
      feed(c, 1, Buffer.from(RESP), size);
      expect(c.exchanges).toHaveLength(1);
      expect(text(c.exchanges[0]!.reqBody)).toBe('hello world');
      expect(text(c.exchanges[0]!.respBody)).toBe('{"a":1}');
      expect(c.exchanges[0]!.complete).toBe(true);
      expect(c.losses).toEqual([]);
    }
  });

  it('handles keep-alive pipelining, chunked, 1xx, HEAD, 204 and 304 in order', () => {
    const c = collect();
    const reqs =
      'GET /a HTTP/1.1\r\nHost: h\r\n\r\n' +
      'HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n' +
      'POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n' +
      'DELETE /d HTTP/1.1\r\nHost: h\r\n\r\n' +
      'GET /e HTTP/1.1\r\nHost: h\r\n\r\n';
    const resps =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n' +
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok' +
      'HTTP/1.1 204 No Content\r\n\r\n' +
      'HTTP/1.1 304 Not Modified\r\nContent-Length: 55\r\n\r\n';
    feed(c, 0, Buffer.from(reqs), 5);
    feed(c, 1, Buffer.from(resps), 3);
    expect(c.exchanges.map((e) => [e.method, e.path, e.status, text(e.respBody), e.complete])).toEqual([
      ['GET', '/a', 200, 'abc', true],
      ['HEAD', '/b', 200, null, true],
      ['POST', '/c', 201, 'ok', true],
      ['DELETE', '/d', 204, null, true],
      ['GET', '/e', 304, null, true],
    ]);
    expect(text(c.exchanges[2]!.reqBody)).toBe('hello world');
  });

  it('puts body bytes in the same chunk as the head and reads until close without length', () => {
    const c = collect();
    c.decoder.push(chunk(0, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    c.decoder.push(chunk(1, 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npart1'));
    c.decoder.push(chunk(1, 'part2'));
    expect(c.exchanges).toHaveLength(0);
    c.decoder.end(5000);
    expect(c.exchanges).toHaveLength(1);
    expect(text(c.exchanges[0]!.respBody)).toBe('part1part2');
    expect(c.exchanges[0]!.complete).toBe(true);
    expect(c.exchanges[0]!.endNs).toBe(5000);
  });

  it('decompresses gzip, deflate (zlib and raw), br as the body streams in', () => {
    const body = Buffer.from(Array.from({ length: 2000 }, (_, i) => `data: {"x":${(i * 7919) % 10007}}\n\n`).join(''));
    for (const [enc, comp] of [
      ['gzip', gzipSync(body)],
      ['deflate', deflateSync(body)],
      ['deflate', deflateRawSync(body)],
      ['br', brotliCompressSync(body)],
    ] as const) {
      const c = collect();
      c.decoder.push(chunk(0, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      feed(c, 1, Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: ${enc}\r\nContent-Length: ${comp.length}\r\n\r\n`), comp]), 50);
      expect(c.exchanges).toHaveLength(1);
      expect(c.exchanges[0]!.error).toBeNull();
      expect(Buffer.from(c.exchanges[0]!.respBody!).equals(body)).toBe(true);
      // Progress arrived in more than one piece: the body was decoded while streaming.
      expect(c.progress.length).toBeGreaterThan(1);
      expect(c.progress.reduce((n, p) => n + p.bytes, 0)).toBe(body.length);
    }
  });

  it('records a corrupt compressed body as an error, without throwing', () => {
    const c = collect();
    c.decoder.push(chunk(0, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    c.decoder.push(chunk(1, 'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\nnot gzip!!'));
    expect(c.exchanges[0]!.error).toMatch(/decompress/);
    expect(c.exchanges[0]!.complete).toBe(false);
    expect(c.losses.some((l) => l.source === 'http:body')).toBe(true);
  });

  it('recognises a WebSocket upgrade and stops parsing', () => {
    const c = collect();
    c.decoder.push(chunk(0, 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'));
    c.decoder.push(chunk(1, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello'));
    c.decoder.push(chunk(0, '\x81\x85garbage-frames'));
    c.decoder.end(9);
    expect(c.exchanges).toHaveLength(1);
    expect(c.exchanges[0]!.upgrade).toBe('websocket');
    expect(c.exchanges[0]!.status).toBe(101);
    expect(c.losses).toEqual([]);
  });

  it('marks an exchange incomplete when bytes are lost inside a known-length body, and stays in sync', () => {
    const c = collect();
    const body = 'x'.repeat(100);
    const head = `POST /v1/messages HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n`;
    // The SSL_write carried head + 100 body bytes but only head + 40 were copied.
    const full = Buffer.from(head + body);
    c.decoder.push({ dir: 0, tsNs: 1, data: full.subarray(0, head.length + 40), origLen: full.length });
    c.decoder.push(chunk(0, 'GET /next HTTP/1.1\r\nHost: h\r\n\r\n', 2));
    c.decoder.push(chunk(1, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes', 3));
    expect(c.exchanges).toHaveLength(2);
    expect(c.exchanges[0]!.complete).toBe(false);
    expect(c.exchanges[0]!.error).toMatch(/lost 60/);
    expect(c.exchanges[1]!.complete).toBe(true);
    expect(text(c.exchanges[1]!.respBody)).toBe('yes');
    expect(c.losses.reduce((n, l) => n + l.bytes, 0)).toBe(60);
  });

  it('loses sync when head bytes are lost, counts it, and resyncs at the next message start', () => {
    const c = collect();
    const head = 'POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello';
    c.decoder.push({ dir: 0, tsNs: 1, data: Buffer.from(head.slice(0, 10)), origLen: head.length });
    c.decoder.push(chunk(0, 'GET /after HTTP/1.1\r\nHost: h\r\n\r\n', 2));
    c.decoder.push(chunk(1, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 3));
    c.decoder.end(4);
    const after = c.exchanges.find((e) => e.path === '/after');
    expect(after?.status).toBe(200);
    expect(c.losses.length).toBeGreaterThan(0);
  });

  it('joins mid-stream: skips a body tail, then decodes the next full exchange', () => {
    const c = collect();
    c.decoder.push(chunk(1, '... tail of an earlier response ...', 1));
    c.decoder.push(chunk(0, 'GET /n HTTP/1.1\r\nHost: h\r\n\r\n', 2));
    c.decoder.push(chunk(1, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 3));
    expect(c.exchanges).toHaveLength(1);
    expect(c.exchanges[0]!.path).toBe('/n');
    expect(c.losses[0]!.source).toBe('http:unrecognised');
  });

  it('handles a 10 MB request body split in 16 KB writes', () => {
    const c = collect();
    const body = Buffer.alloc(10 * 1024 * 1024, 0x61);
    const msg = Buffer.concat([Buffer.from(`POST /v1/messages HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    feed(c, 0, msg, 16384);
    c.decoder.push(chunk(1, RESP));
    expect(c.exchanges[0]!.reqBody!.length).toBe(body.length);
    expect(c.exchanges[0]!.complete).toBe(true);
  });

  it('redacts key= query parameters in the path', () => {
    const c = collect();
    c.decoder.push(chunk(0, 'GET /v1beta/models?key=AIzaSECRET&alt=sse HTTP/1.1\r\nHost: h\r\n\r\n'));
    c.decoder.push(chunk(1, RESP));
    expect(c.exchanges[0]!.path).toMatch(/^\/v1beta\/models\?key=\[REDACTED len=10 hmac:[0-9a-f]{8}\]&alt=sse$/);
  });

  it('emits unanswered requests as incomplete on close', () => {
    const c = collect();
    c.decoder.push(chunk(0, 'GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n'));
    c.decoder.push(chunk(1, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    c.decoder.end(7);
    expect(c.exchanges.map((e) => [e.path, e.complete, e.error])).toEqual([
      ['/1', false, 'connection closed before response end'],
      ['/2', false, 'connection closed before response end'],
    ]);
  });

  it('bounds requests waiting for responses (one-sided capture)', () => {
    const c = collect();
    for (let i = 0; i < 1001; i++) c.decoder.push(chunk(0, `GET /${i} HTTP/1.1\r\nHost: h\r\n\r\n`));
    expect(c.exchanges.map((e) => [e.path, e.error])).toEqual([['/0', 'no response seen']]);
    expect(c.losses.map((l) => l.source)).toEqual(['http:unanswered']);
  });

  it('parses a 100 KB head delivered byte by byte', () => {
    const c = collect();
    const big = `GET /x HTTP/1.1\r\nHost: h\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`;
    feed(c, 0, Buffer.from(big), 1);
    c.decoder.push(chunk(1, RESP));
    expect(c.exchanges[0]!.reqHeaders.find(([n]) => n === 'x-big')![1].length).toBe(100_000);
    expect(c.exchanges[0]!.complete).toBe(true);
  });
});
