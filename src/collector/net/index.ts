/** Network activity: the record handler, host naming for the TLS/HTTP layers, DNS parsing. */
import type { BpfCapture } from '../bpf-capture';
import type { RecordHandler } from '../collector';
import { NetHandler, registerNetHandler } from './net-handler';

export { NetHandler, nameHost, nameRecentConnection, type SockBytesReader } from './net-handler';
export { HostNames, type HostSource } from './host-names';
export { parseDnsAnswers } from './dns';

/** The network handler, when the net group is loaded; registered so nameHost(collector, …) reaches it. */
export function netHandlers(capture: BpfCapture, collector: object): RecordHandler[] {
  if (!capture.loadedGroups.includes('net')) return [];
  const key = Buffer.alloc(8);
  const h = new NetHandler((sockId) => {
    key.writeBigUInt64LE(sockId);
    const v = capture.host.mapLookup('sock_bytes', key, 16);
    return v ? { sent: Number(v.readBigUInt64LE(0)), recv: Number(v.readBigUInt64LE(8)) } : null;
  });
  registerNetHandler(collector, h);
  return [h];
}
