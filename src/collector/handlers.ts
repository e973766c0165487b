/**
 * Every record handler beyond processes, in one list: each probe group (files, network, TLS) adds its handler here.
 * CaptureRunner builds them once the BPF capture and the collector exist.
 */
import type { BpfCapture } from './bpf-capture';
import type { Collector, RecordHandler } from './collector';

export function defaultHandlers(_capture: BpfCapture, _collector: Collector): RecordHandler[] {
  return [];
}
