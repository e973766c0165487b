import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HttpConnectionDecoder } from '../../../src/protocols/http/http-connection-decoder';
import { WebSocketDirection, parseWsExtensions, type WsMessage } from '../../../src/protocols/http/websocket-decoder';
import { chunk, collect } from './helpers';

function frame(opcode: number, payload: Buffer, opts: { fin?: boolean; rsv1?: boolean; mask?: boolean } = {}): Buffer {
  const len = payload.length;
  const hdr = len < 126 ? Buffer.from([0, len]) : Buffer.from([0, 126, len >> 8, len & 255]);
  hdr[0] = ((opts.fin ?? true) ? 0x80 : 0) | (opts.rsv1 ? 0x40 : 0) | opcode;
  if (!opts.mask) return Buffer.concat([hdr, payload]);
  hdr[1]! |= 0x80;
  const key = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i & 3]!));
  return Buffer.concat([hdr, key, masked]);
}

/** Compresses messages with one deflate context kept across them (permessage-deflate with context takeover). */
async function deflateWithContext(msgs: string[]): Promise<Buffer[]> {
  const d = zlib.createDeflateRaw();
  const out: Buffer[] = [];
  for (const m of msgs) {
    const parts: Buffer[] = [];
    const onData = (c: Buffer): number => parts.push(c);
    d.on('data', onData);
    d.write(m);
    await new Promise<void>((resolve) => d.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    d.off('data', onData);
    const all = Buffer.concat(parts);
    out.push(all.subarray(0, all.length - 4));
  }
  return out;
}

describe('WebSocket decoder', () => {
  it('reassembles fragmented, masked messages around control frames, split byte by byte', () => {
    const msgs: WsMessage[] = [];
    const errors: string[] = [];
    const d = new WebSocketDirection(0, { enabled: false, noContextTakeover: false }, (m) => msgs.push(m), (e) => errors.push(e));
    const bytes = Buffer.concat([
      frame(1, Buffer.from('{"type":"resp'), { fin: false, mask: true }),
      frame(9, Buffer.from('ping'), { mask: true }),
      frame(0, Buffer.from('onse.create"}'), { mask: true }),
      frame(1, Buffer.from('x'.repeat(300)), { mask: true }),
    ]);
    for (const b of bytes) d.push(Uint8Array.of(b), 5);
    expect(errors).toEqual([]);
    expect(msgs.map((m) => Buffer.from(m.data).toString())).toEqual(['{"type":"response.create"}', 'x'.repeat(300)]);
  });

  it('inflates permessage-deflate messages that share one compression context', async () => {
    const texts = ['{"type":"response.output_text.delta","delta":"hello"}', '{"type":"response.output_text.delta","delta":"hello"}', '{"type":"response.completed"}'];
    const comp = await deflateWithContext(texts);
    expect(comp[1]!.length).toBeLessThan(comp[0]!.length); // the second one refers back to the first
    const msgs: WsMessage[] = [];
    const d = new WebSocketDirection(1, parseWsExtensions('permessage-deflate; client_max_window_bits=15').server, (m) => msgs.push(m), () => undefined);
    for (const c of comp) d.push(frame(1, c, { rsv1: true }), 1);
    expect(msgs.map((m) => Buffer.from(m.data).toString())).toEqual(texts);
  });

  it('reads negotiated extension parameters', () => {
    expect(parseWsExtensions('permessage-deflate; server_no_context_takeover; client_no_context_takeover')).toEqual({
      client: { enabled: true, noContextTakeover: true },
      server: { enabled: true, noContextTakeover: true },
    });
    expect(parseWsExtensions(null).client.enabled).toBe(false);
  });

  it('after a 101 on HTTP/1.1, decodes frames that arrive in the same chunk as the 101 head, and reports lost bytes', () => {
    const c = collect();
    const ws: string[] = [];
    const losses: string[] = [];
    const d = new HttpConnectionDecoder({
      onExchange: (ex) => c.exchanges.push(ex),
      onWebSocketMessage: (_ex, m) => ws.push(`${m.dir}:${Buffer.from(m.data).toString()}`),
      onLoss: (l) => losses.push(l.source),
    });
    d.push(chunk(0, 'GET /v1/responses HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'));
    d.push(chunk(1, Buffer.concat([Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), frame(1, Buffer.from('hi'))])));
    d.push(chunk(0, frame(1, Buffer.from('{"a":1}'), { mask: true })));
    const f = frame(1, Buffer.from('y'.repeat(50)));
    d.push({ dir: 1, tsNs: 9, data: f.subarray(0, 10), origLen: f.length });
    d.push(chunk(1, frame(1, Buffer.from('after loss'))));
    d.end(10);
    expect(c.exchanges[0]!.upgrade).toBe('websocket');
    expect(ws).toEqual(['1:hi', '0:{"a":1}']);
    expect(losses).toContain('ws:decode');
  });
});
