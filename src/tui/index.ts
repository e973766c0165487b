/**
 * `agentsight top`: replay a recording (--db) or watch a live capture, as a full-screen TUI or, with --once (or
 * when stdout is not a terminal), as plain text. StoreErrors propagate to the CLI, which prints one line and exits 2.
 */
import { openRecording, type Store } from '../store';
import { buildOnceReport, recordingSpan } from './once-report';
import { renderOnceJson } from './once-json';
import { encodeLines, renderOnceLines } from './once-text';
import { parseTimeSpec, TimeSpecError } from './time-spec';
import type { TopOptions } from './types';

export type { LiveHandle, TopOptions } from './types';

/** Default width of --once output when stdout is not a terminal. */
const PIPE_WIDTH = 120;

/** How long `top --once` without --db captures before printing, so it has something to show. */
const LIVE_ONCE_MS = 1000;

export async function runTop(optsIn: TopOptions): Promise<number> {
  let opts = optsIn;
  const once = opts.once === true || !process.stdout.isTTY;
  if (!opts.db && !opts.store) {
    // Live: start system-wide capture of agents (collector), then show it like a recording that keeps growing.
    // Loading the BPF programs and seeding from /proc takes seconds: say so before the screen appears.
    if (process.stderr.isTTY) process.stderr.write('agentsight: starting live capture …\n');
    const { startLiveCapture } = await import('../collector/live');
    // The command exits when the view does: quitting should not wait for the kernel to release the probes.
    const live = await startLiveCapture({ exitAfterStop: true });
    opts = { ...opts, store: live.store, live };
    if (!once && optsIn.web !== false && process.stderr.isTTY) {
      // One line before the screen takes the terminal, as the line above: only where a person reads stderr (with
      // stderr redirected nobody would learn the URL's token, and the terminal's output stays as it was).
      const web = await (await import('../web/live-web')).startLiveWeb(live.store, (l) => process.stderr.write(l + '\n'));
      if (web) process.once('exit', () => void web.close());
    }
    if (once) {
      try {
        await new Promise((r) => setTimeout(r, LIVE_ONCE_MS));
        live.store.flush();
        return await runTop({ ...opts, live: undefined });
      } finally {
        await live.stop();
      }
    }
  }
  const ownStore = !opts.store;
  const store: Store = opts.store ?? openRecording(opts.db!);
  try {
    let atNs: number | undefined;
    const info = once ? store.info() : undefined;
    if (opts.at !== undefined) {
      const { startNs, endNs } = recordingSpan(info ?? store.info());
      try {
        atNs = parseTimeSpec(opts.at, startNs, endNs, opts.utc);
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
    return await runApp(store, { ...opts, atNs });
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
