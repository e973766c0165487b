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
import { McpHandler } from './mcp/mcp-handler';
import { TlsCoverage, registerTlsCoverage } from './tls/tls-coverage';

export function defaultHandlers(capture: BpfCapture, collector: Collector): RecordHandler[] {
  const tls = capture.loadedGroups.includes('tls') ? [new TlsHandler(collector)] : [];
  // TLS connections without plaintext are found from the network group's ClientHello records; last, so it judges
  // after the network handler's tick has polled the sockets' byte counters.
  const coverage: RecordHandler[] = [];
  if (capture.loadedGroups.includes('net')) {
    const c = new TlsCoverage();
    registerTlsCoverage(collector, c);
    coverage.push(c);
  }
  const mcp = capture.loadedGroups.includes('pipe') ? [new McpHandler()] : [];
  // MCP's streamable HTTP over TLS (remote servers) is decoded by the TLS handler's HTTP layer: every exchange it
  // decodes is offered to the MCP handler, which keeps those whose request body is JSON-RPC
  if (tls[0] && mcp[0]) tls[0].sink.mcp = (ex, tgid) => mcp[0]!.tlsExchange(ex, tgid, collector);
  return [...fileHandlers(capture), ...netHandlers(capture, collector), ...resourceHandlers(collector), ...tls, ...mcp, ...coverage];
}
