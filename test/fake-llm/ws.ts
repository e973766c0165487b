/**
 * Minimal WebSocket server side (RFC 6455) for the OpenAI Responses WebSocket mode that Codex tries first:
 * GET …/responses with Upgrade: websocket; client sends {"type":"response.create", …}; server answers with the
 * response.* events as text messages. permessage-deflate is accepted when offered, without context takeover
 * in either direction (the server may impose that, RFC 7692 §7.1.1), so every message inflates on its own.
 */
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface WsPeer {
  send(text: string): void;
  close(): void;
}

export function acceptWebSocket(
  headers: Record<string, string | string[] | undefined>,
  socket: Duplex,
  head: Buffer,
  onText: (text: string, peer: WsPeer) => void,
): void {
  const key = String(headers['sec-websocket-key'] ?? '');
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  const offered = String(headers['sec-websocket-extensions'] ?? '').includes('permessage-deflate');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n` +
      (offered ? 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n' : '') +
      '\r\n',
  );
  const frame = (opcode: number, payload: Buffer, rsv1: boolean): Buffer => {
    const len = payload.length;
    const hdr = len < 126 ? Buffer.from([0, len]) : len < 65536 ? Buffer.from([0, 126, len >> 8, len & 255]) : Buffer.concat([Buffer.from([0, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b; })()]);
    hdr[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
    return Buffer.concat([hdr, payload]);
  };
  const peer: WsPeer = {
    send(text) {
      let payload = Buffer.from(text);
      if (offered) {
        payload = zlib.deflateRawSync(payload, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
        payload = payload.subarray(0, payload.length - 4); // drop 00 00 ff ff (RFC 7692 §7.2.1)
      }
      socket.write(frame(1, payload, offered));
    },
    close() {
      socket.write(frame(8, Buffer.from([0x03, 0xe8]), false));
      socket.end();
    },
  };
  let buf = Buffer.from(head);
  let parts: Buffer[] = [];
  let compressed = false;
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      if (buf.length < 2) return;
      const fin = (buf[0]! & 0x80) !== 0;
      const rsv1 = (buf[0]! & 0x40) !== 0;
      const opcode = buf[0]! & 0x0f;
      const masked = (buf[1]! & 0x80) !== 0;
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
      const maskAt = p;
      if (masked) p += 4;
      if (buf.length < p + len) return;
      const payload = Buffer.from(buf.subarray(p, p + len));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buf[maskAt + (i & 3)]!;
      buf = buf.subarray(p + len);
      if (opcode === 8) {
        peer.close();
        return;
      }
      if (opcode === 9) {
        socket.write(frame(10, payload, false));
        continue;
      }
      if (opcode === 1 || opcode === 2) {
        parts = [];
        compressed = rsv1;
      }
      if (opcode <= 2) {
        parts.push(payload);
        if (fin) {
          let msg = Buffer.concat(parts);
          if (compressed) msg = zlib.inflateRawSync(Buffer.concat([msg, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
          onText(msg.toString('utf8'), peer);
        }
      }
    }
  });
}
