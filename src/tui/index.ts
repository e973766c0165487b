/**
 * `agentsight top`: replay a recording (--db) or show the recording of a live capture the CLI started (src/cli/top.ts),
 * as a full-screen TUI or, with --once (or when stdout is not a terminal), as plain text. StoreErrors propagate to
 * the CLI, which prints one line and exits 2.
 */
import { openRecording, type RecordingReader } from '../store';
import { buildOnceReport, recordingSpan } from './once-report';
import { renderOnceJson } from './once-json';
import { encodeLines, renderOnceLines } from './once-text';
import { clampNote, resolveTimeSpec, TimeSpecError } from './time-spec';
import type { TopOptions } from './types';

export type { LiveView, TopOptions } from './types';

/** Default width of --once output when stdout is not a terminal. */
const PIPE_WIDTH = 120;

export async function runTop(opts: TopOptions): Promise<number> {
  const once = opts.once === true || !process.stdout.isTTY;
  const ownStore = !opts.reader;
  const store: RecordingReader = opts.reader ?? openRecording(opts.db!);
  try {
    let atNs: number | undefined;
    let atNote: string | null = null;
    const info = once ? store.info() : undefined;
    if (opts.at !== undefined) {
      const { startNs, endNs } = recordingSpan(info ?? store.info());
      try {
        const r = resolveTimeSpec(opts.at, startNs, endNs, opts.utc);
        atNs = r.ns;
        // A snapshot says it on stderr; the TUI in its header (a line written now would be under the screen).
        atNote = clampNote(opts.at, r.clamped, !once);
        if (atNote && once) process.stderr.write(`agentsight: --at ${atNote}\n`);
      } catch (err) {
        if (err instanceof TimeSpecError) {
          process.stderr.write(`agentsight: --at: ${err.message}\n`);
          return 2;
        }
        throw err;
      }
    }
    if (once) {
      // --width 0: no limit (lines as long as their content).
      const width = opts.width === 0 ? Infinity : opts.width ?? (process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : PIPE_WIDTH);
      if (!(width >= 20)) {
        process.stderr.write('agentsight: --width must be at least 20\n');
        return 2;
      }
      // One read transaction for the whole report: every pane shows the same commit of a recording still being
      // written, and SQLite takes its file lock once instead of once per query (~1,400 queries on a big recording).
      const report = store.readSnapshot(() => buildOnceReport(store, atNs, undefined, info));
      const text = opts.format === 'json' ? renderOnceJson(report) : encodeLines(renderOnceLines(report, { width, ascii: opts.ascii, utc: opts.utc }));
      return await writeOut(text);
    }
    // Loaded only here: blessed costs start-up time --once must not pay.
    const { runApp } = await import('./app/run-app');
    return await runApp(store, { ...opts, atNs, atNote });
  } finally {
    if (ownStore && !(once && opts.exitAfterSnapshot)) store.close();
  }
}

/** Write the snapshot; exit status 0, or 1 when stdout failed for another reason than a reader that went away. */
function writeOut(text: string | Buffer): Promise<number> {
  return new Promise((resolve) => {
    // The stream also emits the failure as an 'error' event, which unheard kills the process with a stack trace
    // (exit 1 for `top --once | head`): the callback below reports it, this listener only hears it.
    process.stdout.once('error', () => undefined);
    process.stdout.write(text, (err) => {
      // A closed pipe (`top --once | head`) is the reader's choice, not an error of ours.
      if (err && (err as NodeJS.ErrnoException).code !== 'EPIPE') {
        process.stderr.write(`agentsight: ${err.message}\n`);
        resolve(1);
      } else resolve(0);
    });
  });
}
