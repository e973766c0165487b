/** Helpers shared by the HTTP/1.1 and HTTP/2 decoders for building and finishing exchanges. */
import type { HeaderList, HttpExchange, HttpProtocol } from './types';

export function newExchange(seq: number, protocol: HttpProtocol, streamId: number | null, startNs: number): HttpExchange {
  return {
    seq,
    protocol,
    streamId,
    method: null,
    host: null,
    path: null,
    status: null,
    reqHeaders: [],
    respHeaders: [],
    reqBody: null,
    respBody: null,
    startNs,
    firstByteNs: null,
    endNs: null,
    complete: false,
    error: null,
    upgrade: null,
    requestDone: false,
    responseDone: false,
  };
}

export function addError(ex: HttpExchange, msg: string): void {
  ex.error = ex.error ? `${ex.error}; ${msg}` : msg;
}

export function headerValue(headers: HeaderList, name: string): string | null {
  for (const [n, v] of headers) if (n === name) return v;
  return null;
}
