/** The entry-point contract of `agentsight top` (src/cli calls runTop with these). */
import type { LiveStatus, RecordingReader } from '../store';

/**
 * What the TUI shows of a live capture. The CLI starts and stops the capture (src/cli/top.ts); the TUI only reads
 * its recording (TopOptions.reader) and asks for its status.
 */
export interface LiveView {
  status(): LiveStatus;
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
  /** Live mode: the recording the CLI's capture fills, read as it grows (the caller closes it). */
  reader?: RecordingReader;
  /** Live mode, interactive: the capture's status (without it, a live recording shows as a snapshot). */
  live?: LiveView;
  /** Live: watch these processes and their descendants as the sessions (-p, repeatable), in place of known agents. */
  pid?: number[];
  /** Live: watch processes of this name, running now and started later (-c), in place of known agents. */
  comm?: string;
  /** false with --no-web: live top serves no web UI (started by src/cli/top.ts). */
  web?: boolean;
  /**
   * The caller ends the process as soon as a snapshot is written (the CLI): a recording opened read-only for it is
   * then left to the exit instead of closed — finalising its ~100 statements and unmapping the file took ~7 ms, and
   * a reader holds nothing an exit does not release.
   */
  exitAfterSnapshot?: boolean;
}
