/** The entry-point contract of `agentsight top` (src/cli calls runTop with these). */
import type { Store } from '../store';

/** A running live capture (created by startLiveCapture() in src/collector/live.ts). */
export interface LiveHandle {
  store: Store;
  stop(): Promise<void>;
  status(): { bpf: boolean; reason?: string; events: number; losses: number };
}

export interface TopOptions {
  /** Replay this recording (opened read-only). */
  db?: string;
  /** Print the state once as plain text (also implied when stdout is not a TTY). */
  once?: boolean;
  /** Columns for --once (default: the terminal's, or 120 when stdout is not a TTY). */
  width?: number;
  /** The moment to show: HH:MM:SS, ISO, +30s from the start, -10s from the end. */
  at?: string;
  format?: 'text' | 'json';
  ascii?: boolean;
  utc?: boolean;
  noColor?: boolean;
  /** false with --no-web: live top serves no web UI. */
  web?: boolean;
  /** Live mode: the store the collector fills, with its handle. */
  store?: Store;
  live?: LiveHandle;
  /**
   * The caller ends the process as soon as a snapshot is written (the CLI): a recording opened read-only for it is
   * then left to the exit instead of closed — finalising its ~100 statements and unmapping the file took ~7 ms, and
   * a reader holds nothing an exit does not release.
   */
  exitAfterSnapshot?: boolean;
}
