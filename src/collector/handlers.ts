/**
 * Every record handler beyond processes, in one list: each probe group (files, network, TLS) adds its handler here.
 * CaptureRunner builds them once the BPF capture and the collector exist.
 */
import type { BpfCapture } from './bpf-capture';
import type { Collector, RecordHandler } from './collector';
import { fileHandlers } from './files';
import { netHandlers } from './net';
import { resourceHandlers } from './resources';
import { TlsHandler } from './tls/tls-handler';

export function defaultHandlers(capture: BpfCapture, collector: Collector): RecordHandler[] {
  const tls = capture.loadedGroups.includes('tls') ? [new TlsHandler(collector)] : [];
  return [...fileHandlers(capture), ...netHandlers(capture, collector), ...resourceHandlers(collector), ...tls];
}
