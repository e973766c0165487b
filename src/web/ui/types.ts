/** Shapes of the API's answers (docs/web-api.md), as the page uses them. */
export interface Info {
  api: number;
  live: boolean;
  path: string;
  startNs: number | null;
  endNs: number | null;
  command: string | null;
  stateText: string | null;
  sessions: Array<{ id: number; title: string; agent: string | null; llmCalls: number; costText: string; tokensText: string }>;
}

export interface Proc {
  id: number;
  pid: number;
  parentId: number | null;
  sessionId: number | null;
  name: string;
  command: string;
  /** "[NAME pid N]" for a container's process, '' on the host. */
  container: string;
  argvClipped: boolean;
  cwd: string | null;
  startNs: number;
  exitNs: number | null;
  status: string;
  failed: boolean;
  peakRssText: string | null;
  toolCallIds?: number[];
}

export interface LogEvent {
  kind: string;
  id: number;
  tsNs: number;
  endNs: number | null;
  sessionId: number | null;
  processId: number | null;
  text: string;
  detail: string | null;
  /** The container of the event's process, "[NAME pid N]"; '' on the host. */
  container: string;
  failed: boolean;
}
