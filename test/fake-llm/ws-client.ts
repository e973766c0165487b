/**
 * A small WebSocket client over node:tls (Node 20 has no WebSocket client): enough to drive the fake server's
 * Responses WebSocket like Codex does — one upgrade, then response.create messages, masked, optionally
 * offering permessage-deflate.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import * as zlib from 'node:zlib';
import type { FakeLlmServer } from './server';

export interface WsClient {
  /** Sends a text message and collects server messages until `until` returns true for one. */
  request(text: string, until: (msg: string) => boolean): Promise<string[]>;
  close(): Promise<void>;
}

export async function connectWs(srv: FakeLlmServer, path: string, headers: Record<string, string>, deflate: boolean): Promise<WsClient> {
  const sock = tls.connect({ host: '127.0.0.1', port: srv.port, ca: readFileSync(srv.caCertPath), ALPNProtocols: ['http/1.1'], servername: 'localhost' });
  await new Promise<void>((resolve, reject) => {
    sock.once('secureConnect', () => resolve());
    sock.once('error', reject);
  });
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  sock.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n${deflate ? 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n' : ''}${extra}\r\n`,
  );
  let buf = Buffer.alloc(0);
  let waiting: ((m: string) => void) | null = null;
  const queue: string[] = [];
  let upgraded = false;
  let negotiated = false;
  const upgradedP = new Promise<void>((resolve, reject) => {
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head));
        negotiated = /permessage-deflate/i.test(head);
        buf = buf.subarray(end + 4);
        upgraded = true;
        resolve();
      }
      for (;;) {
        if (buf.length < 2) return;
        let len = buf[1]! & 0x7f;
        let p = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          p = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          p = 10;
        }
        if (buf.length < p + len) return;
        const rsv1 = (buf[0]! & 0x40) !== 0;
        const opcode = buf[0]! & 0x0f;
        let payload = buf.subarray(p, p + len);
        buf = buf.subarray(p + len);
        if (opcode !== 1) continue;
        if (rsv1) payload = zlib.inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
        const text = payload.toString();
        if (waiting) waiting(text);
        else queue.push(text);
      }
    });
  });
  await upgradedP;
  const sendText = (text: string): void => {
    let payload = Buffer.from(text);
    const compress = deflate && negotiated;
    if (compress) {
      payload = zlib.deflateRawSync(payload, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      payload = payload.subarray(0, payload.length - 4);
    }
    const mask = randomBytes(4);
    const len = payload.length;
    const hdr = len < 126 ? Buffer.from([0, 0x80 | len]) : len < 65536 ? Buffer.from([0, 0x80 | 126, len >> 8, len & 255]) : Buffer.concat([Buffer.from([0, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b; })()]);
    hdr[0] = 0x80 | (compress ? 0x40 : 0) | 1;
    const masked = Buffer.from(payload);
    for (let i = 0; i < masked.length; i++) masked[i]! ^= mask[i & 3]!;
    sock.write(Buffer.concat([hdr, mask, masked]));
  };
  const next = (): Promise<string> => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve) => (waiting = (m) => { waiting = null; resolve(m); })));
  return {
    async request(text, until) {
      sendText(text);
      const got: string[] = [];
      for (;;) {
        const m = await next();
        got.push(m);
        if (until(m)) return got;
      }
    },
    async close() {
      const mask = randomBytes(4);
      sock.write(Buffer.concat([Buffer.from([0x88, 0x80]), mask]));
      await new Promise<void>((resolve) => {
        sock.once('close', () => resolve());
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 500);
      });
    },
  };
}
