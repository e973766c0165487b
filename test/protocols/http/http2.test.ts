import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chunk, collect, text } from './helpers';
import { data, END_HEADERS, END_STREAM, frame, headers, hpack, PADDED, PREFACE, PRIORITY, settings } from './h2-builder';

const REQ_H: Array<[string, string]> = [
  [':method', 'POST'],
  [':scheme', 'https'],
  [':authority', 'api.openai.com'],
  [':path', '/v1/responses'],
  ['authorization', 'Bearer sk-secret-123'],
  ['content-type', 'application/json'],
];
const RESP_H: Array<[string, string]> = [
  [':status', '200'],
  ['content-type', 'text/event-stream'],
];

function start(c: ReturnType<typeof collect>): void {
  c.decoder.push(chunk(0, Buffer.concat([PREFACE, settings([[1, 4096]])]), 1));
  c.decoder.push(chunk(1, settings(), 2));
}

describe('HTTP/2 decoder', () => {
  it('decodes a request/response with indexing, Huffman and redaction', () => {
    const c = collect();
    start(c);
    c.decoder.push(chunk(0, Buffer.concat([headers(1, hpack(REQ_H, { index: true, huff: true }), END_HEADERS), data(1, '{"a":1}', END_STREAM)]), 3));
    c.decoder.push(chunk(1, Buffer.concat([headers(1, hpack(RESP_H), END_HEADERS), data(1, 'data: x\n\n', 0)]), 4));
    expect(c.exchanges).toHaveLength(0);
    c.decoder.push(chunk(1, data(1, '', END_STREAM), 5));
    expect(c.decoder.protocol).toBe('h2');
    expect(c.exchanges).toHaveLength(1);
    const ex = c.exchanges[0]!;
    expect([ex.method, ex.host, ex.path, ex.status, ex.streamId, ex.complete]).toEqual(['POST', 'api.openai.com', '/v1/responses', 200, 1, true]);
    expect(text(ex.reqBody)).toBe('{"a":1}');
    expect(text(ex.respBody)).toBe('data: x\n\n');
    expect(ex.reqHeaders.find(([n]) => n === 'authorization')![1]).toMatch(/^\[REDACTED len=20 hmac:/);
    expect(ex.firstByteNs).toBe(4);
    expect(ex.endNs).toBe(5);
    expect(c.progress.map((p) => p.tsNs)).toEqual([4]);
  });

  it('a connection closed once content-length bytes arrived, before END_STREAM (curl does), is a whole response; one byte short is not', () => {
    const LEN_H: Array<[string, string]> = [[':status', '200'], ['content-type', 'application/json'], ['content-length', '7']];
    for (const [body, complete] of [['{"b":2}', true], ['{"b":2', false]] as const) {
      const c = collect();
      start(c);
      c.decoder.push(chunk(0, Buffer.concat([headers(1, hpack(REQ_H), END_HEADERS), data(1, '{"a":1}', END_STREAM)]), 3));
      c.decoder.push(chunk(1, Buffer.concat([headers(1, hpack(LEN_H), END_HEADERS), data(1, body, 0)]), 4));
      c.decoder.end(5);
      expect(c.exchanges).toHaveLength(1);
      expect(c.exchanges[0]!.complete).toBe(complete);
      expect(c.exchanges[0]!.error).toBe(complete ? null : 'connection closed before stream end');
      expect(text(c.exchanges[0]!.respBody)).toBe(body);
    }
  });

  it('reuses the dynamic table across requests (indexed fields refer to earlier inserts)', () => {
    const c = collect();
    start(c);
    c.decoder.push(chunk(0, headers(1, hpack(REQ_H, { index: true, huff: true }), END_HEADERS | END_STREAM)));
    // Second request: all six fields as indexed references 67..62 (newest first) — only valid with the table kept.
    c.decoder.push(chunk(0, headers(3, Buffer.from([0x80 | 67, 0x80 | 66, 0x80 | 65, 0x80 | 64, 0x80 | 63, 0x80 | 62]), END_HEADERS | END_STREAM)));
    c.decoder.push(chunk(1, Buffer.concat([headers(3, hpack(RESP_H), END_HEADERS | END_STREAM), headers(1, hpack(RESP_H), END_HEADERS | END_STREAM)])));
    expect(c.exchanges.map((e) => [e.streamId, e.path, e.complete])).toEqual([
      [3, '/v1/responses', true],
      [1, '/v1/responses', true],
    ]);
  });

  it('handles CONTINUATION, padding, PRIORITY, 1xx, trailers and gzip', () => {
    const c = collect();
    start(c);
    const block = hpack(REQ_H);
    const padded = Buffer.concat([Buffer.from([3]), Buffer.alloc(5), block.subarray(0, 10), Buffer.alloc(3)]); // pad len 3, priority 5 bytes
    const body = gzipSync(Buffer.from('{"hello":"world"}'));
    c.decoder.push(
      chunk(
        0,
        Buffer.concat([
          frame(1, PADDED | PRIORITY, 5, padded),
          frame(9, 0, 5, block.subarray(10, 20)),
          frame(9, END_HEADERS, 5, block.subarray(20)),
          frame(2, 0, 5, Buffer.alloc(5)),
          frame(0, PADDED | END_STREAM, 5, Buffer.concat([Buffer.from([4]), Buffer.from('{"q":1}'), Buffer.alloc(4)])),
        ]),
      ),
    );
    c.decoder.push(
      chunk(
        1,
        Buffer.concat([
          headers(5, hpack([[':status', '100']]), END_HEADERS),
          headers(5, hpack([[':status', '200'], ['content-encoding', 'gzip']]), END_HEADERS),
          data(5, body.subarray(0, 7), 0),
          data(5, body.subarray(7), 0),
          headers(5, hpack([['grpc-status', '0']]), END_HEADERS | END_STREAM),
        ]),
      ),
    );
    expect(c.exchanges).toHaveLength(1);
    const ex = c.exchanges[0]!;
    expect(ex.path).toBe('/v1/responses');
    expect(ex.status).toBe(200);
    expect(text(ex.reqBody)).toBe('{"q":1}');
    expect(text(ex.respBody)).toBe('{"hello":"world"}');
    expect(ex.respHeaders).toContainEqual(['grpc-status', '0']);
    expect(ex.complete).toBe(true);
    expect(c.losses).toEqual([]);
  });

  it('marks RST_STREAM and GOAWAY-refused streams incomplete, keeps others', () => {
    const c = collect();
    start(c);
    for (const sid of [1, 3, 5]) c.decoder.push(chunk(0, headers(sid, hpack(REQ_H), END_HEADERS | END_STREAM)));
    const rst = Buffer.alloc(4);
    rst.writeUInt32BE(8);
    c.decoder.push(chunk(1, headers(1, hpack(RESP_H), END_HEADERS | END_STREAM)));
    c.decoder.push(chunk(0, frame(3, 0, 3, rst)));
    const goaway = Buffer.alloc(8);
    goaway.writeUInt32BE(3, 0);
    c.decoder.push(chunk(1, frame(7, 0, 0, goaway)));
    expect(c.exchanges.map((e) => [e.streamId, e.complete, e.error])).toEqual([
      [1, true, null],
      [3, false, 'RST_STREAM 8 from client'],
      [5, false, 'not processed: GOAWAY last stream 3 code 0'],
    ]);
  });

  it('follows SETTINGS_HEADER_TABLE_SIZE from the other side', () => {
    const c = collect();
    c.decoder.push(chunk(0, Buffer.concat([PREFACE, settings([[1, 256]])])));
    c.decoder.push(chunk(1, settings([[1, 8192]])));
    const dec = (c.decoder as unknown as { inner: { hpackOf(d: 0 | 1): { tableMaxSize: number } } }).inner;
    // Client announced 256: the server's encoder (our dir-1 decoder) may only go up to 256.
    c.decoder.push(chunk(0, headers(1, hpack(REQ_H), END_HEADERS | END_STREAM)));
    c.decoder.push(chunk(1, headers(1, Buffer.concat([Buffer.from([0x3f, 0xe1, 0x01]), hpack(RESP_H)]), END_HEADERS | END_STREAM)));
    expect(dec.hpackOf(1).tableMaxSize).toBe(256);
    expect(c.exchanges[0]!.status).toBe(200);
  });

  it('keeps framing when bytes are lost inside a DATA payload, marks that stream incomplete', () => {
    const c = collect();
    start(c);
    c.decoder.push(chunk(0, headers(1, hpack(REQ_H), END_HEADERS)));
    c.decoder.push(chunk(0, headers(3, hpack(REQ_H), END_HEADERS | END_STREAM)));
    const big = data(1, 'x'.repeat(1000), END_STREAM);
    c.decoder.push({ dir: 0, tsNs: 9, data: big.subarray(0, 300), origLen: big.length });
    c.decoder.push(chunk(1, Buffer.concat([headers(1, hpack(RESP_H), END_HEADERS | END_STREAM), headers(3, hpack(RESP_H), END_HEADERS | END_STREAM)])));
    const byId = new Map(c.exchanges.map((e) => [e.streamId, e]));
    expect(byId.get(1)!.complete).toBe(false);
    expect(byId.get(1)!.reqBody!.length).toBe(291);
    expect(byId.get(3)!.complete).toBe(true);
    expect(c.losses.find((l) => l.source === 'tls:clipped')!.bytes).toBe(1000 - 291);
  });

  it('loses sync when bytes are lost in a HEADERS frame: later headers are unknown, never guessed', () => {
    const c = collect();
    start(c);
    const h = headers(1, hpack(REQ_H), END_HEADERS | END_STREAM);
    c.decoder.push({ dir: 0, tsNs: 1, data: h.subarray(0, 20), origLen: h.length });
    c.decoder.push(chunk(0, headers(3, hpack(REQ_H), END_HEADERS | END_STREAM)));
    c.decoder.push(chunk(1, headers(3, hpack(RESP_H), END_HEADERS | END_STREAM)));
    c.decoder.end(10);
    const s3 = c.exchanges.find((e) => e.streamId === 3)!;
    expect(s3.method).toBeNull();
    expect(s3.error).toMatch(/headers unknown/);
    expect(s3.status).toBe(200);
    expect(s3.complete).toBe(false);
    expect(c.losses.map((l) => l.source)).toContain('h2:desync');
  });

  it('starts mid-connection without a preface: headers unknown, bodies kept, no throw', () => {
    const c = collect();
    c.decoder.push(chunk(0, data(7, '{"late":true}', END_STREAM)));
    c.decoder.push(chunk(1, Buffer.concat([headers(7, Buffer.from([0x88]), END_HEADERS), data(7, 'resp', END_STREAM)])));
    expect(c.decoder.protocol).toBe('h2');
    expect(c.decoder.midStream).toBe(true);
    expect(c.exchanges).toHaveLength(1);
    const ex = c.exchanges[0]!;
    expect(ex.method).toBeNull();
    expect(ex.status).toBeNull();
    expect(text(ex.reqBody)).toBe('{"late":true}');
    expect(text(ex.respBody)).toBe('resp');
    expect(ex.error).toMatch(/headers unknown/);
    expect(c.losses.some((l) => l.source === 'h2:headers-unknown')).toBe(true);
  });

  it('pairs 200 interleaved streams exactly, split at every 7 bytes', () => {
    const c = collect();
    start(c);
    const req: Buffer[] = [];
    const resp: Buffer[] = [];
    const N = 200;
    for (let i = 0; i < N; i++) {
      const sid = 1 + 2 * i;
      req.push(headers(sid, hpack([...REQ_H.slice(0, 3), [':path', `/s/${sid}`]], { index: true, huff: i % 2 === 0 }), END_HEADERS));
    }
    for (let i = 0; i < N; i++) req.push(data(1 + 2 * i, `req-${1 + 2 * i}`, END_STREAM));
    // Responses in reverse order, DATA interleaved in two halves.
    for (let i = N - 1; i >= 0; i--) resp.push(headers(1 + 2 * i, hpack([[':status', String(200 + (i % 3))]]), END_HEADERS));
    for (let i = 0; i < N; i++) resp.push(data(1 + 2 * i, `resp-${1 + 2 * i}-a|`, 0));
    for (let i = N - 1; i >= 0; i--) resp.push(data(1 + 2 * i, `resp-${1 + 2 * i}-b`, END_STREAM));
    const all0 = Buffer.concat(req);
    const all1 = Buffer.concat(resp);
    for (let i = 0; i < all0.length; i += 7) c.decoder.push(chunk(0, all0.subarray(i, i + 7)));
    for (let i = 0; i < all1.length; i += 7) c.decoder.push(chunk(1, all1.subarray(i, i + 7)));
    expect(c.exchanges).toHaveLength(N);
    for (const ex of c.exchanges) {
      const sid = ex.streamId!;
      expect(ex.path).toBe(`/s/${sid}`);
      expect(text(ex.reqBody)).toBe(`req-${sid}`);
      expect(text(ex.respBody)).toBe(`resp-${sid}-a|resp-${sid}-b`);
      expect(ex.status).toBe(200 + (((sid - 1) / 2) % 3));
      expect(ex.complete).toBe(true);
    }
    expect(c.losses).toEqual([]);
  });

  it('closes open streams as incomplete at connection end', () => {
    const c = collect();
    start(c);
    c.decoder.push(chunk(0, headers(1, hpack(REQ_H), END_HEADERS | END_STREAM)));
    c.decoder.push(chunk(1, Buffer.concat([headers(1, hpack(RESP_H), END_HEADERS), data(1, 'data: {"partial"', 0)])));
    c.decoder.end(99);
    expect(c.exchanges[0]!.complete).toBe(false);
    expect(c.exchanges[0]!.error).toMatch(/connection closed/);
    expect(text(c.exchanges[0]!.respBody)).toBe('data: {"partial"');
  });
});
