import type { WsMessage } from './websocket-decoder';

/**
 * What the HTTP layer receives from the TLS capture layer and what it hands on.
 * `HttpExchange` maps onto `HttpExchangeRow` (src/store/types.ts) minus the ids the caller assigns.
 */

/** One captured plaintext buffer of a TLS connection, in capture order. */
export interface PlaintextChunk {
  /** 0 = written by the traced process (request side), 1 = read by it (response side). */
  readonly dir: 0 | 1;
  /** Unix-epoch nanoseconds. */
  readonly tsNs: number;
  readonly data: Uint8Array;
  /** Bytes the SSL call carried; origLen > data.length means the tail was lost. */
  readonly origLen: number;
}

/** Header list in wire order; names lower-cased, secrets already redacted. */
export type HeaderList = Array<[string, string]>;

export type HttpProtocol = 'http/1.1' | 'h2';

export interface HttpExchange {
  /** Per-decoder sequence, in the order requests started. */
  readonly seq: number;
  readonly protocol: HttpProtocol;
  /** HTTP/2 stream id, null for HTTP/1.1. */
  readonly streamId: number | null;
  method: string | null;
  host: string | null;
  /** Request target with secret query parameters redacted. */
  path: string | null;
  status: number | null;
  reqHeaders: HeaderList;
  respHeaders: HeaderList;
  /** Decoded (decompressed) bodies; null when the message had none or it was never seen. */
  reqBody: Uint8Array | null;
  respBody: Uint8Array | null;
  startNs: number;
  /** Time of the chunk carrying the first response byte. */
  firstByteNs: number | null;
  endNs: number | null;
  complete: boolean;
  error: string | null;
  /** Set when the request switched protocols (101) or opened a tunnel: later bytes are not parsed. */
  upgrade: string | null;
  /** true once the whole request (headers and body) has been seen. */
  requestDone: boolean;
  /** true once the whole response has been seen. */
  responseDone: boolean;
}

/** Something the decoder could not keep; mirrors LossRow minus ids. */
export interface HttpLoss {
  /** 'tls:clipped' | 'http:parse' | 'http:desync' | 'http:body-cap' | 'http:decompress' | 'h2:headers-unknown' … */
  readonly source: string;
  readonly count: number;
  readonly bytes: number;
  readonly detail: string;
  readonly tsNs: number;
}

export interface HttpDecoderEvents {
  /** The whole request has been seen (headers and body). */
  onRequest?(ex: HttpExchange): void;
  /** Response headers arrived (final, non-1xx). */
  onResponseHeaders?(ex: HttpExchange): void;
  /** A piece of decoded response body arrived: lets a live view follow a streaming response. */
  onResponseData?(ex: HttpExchange, data: Uint8Array, tsNs: number): void;
  /** The exchange is finished, completely or not. Called exactly once per exchange. */
  onExchange(ex: HttpExchange): void;
  onLoss?(loss: HttpLoss): void;
  /** A complete WebSocket message on an upgraded HTTP/1.1 connection (ex is the upgrade exchange). */
  onWebSocketMessage?(ex: HttpExchange, msg: WsMessage): void;
}
