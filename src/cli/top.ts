/**
 * `agentsight top` from the command line: a recording (--db) is the TUI's to open; without one, live capture is
 * started here (src/collector/live.ts) and the TUI is given its recording's reader, then the capture is stopped
 * when the view ends. The TUI never starts the collector.
 */
import type { TopOptions } from '../tui/types';

/** What src/tui exports (loaded lazily). */
export interface TuiModule {
  runTop(opts: TopOptions): Promise<number>;
}

/** How long `top --once` without --db captures before printing, so it has something to show. */
const LIVE_ONCE_MS = 1000;

export async function runTopCommand(tui: TuiModule, opts: TopOptions): Promise<number> {
  if (opts.db !== undefined) return tui.runTop(opts);
  const once = opts.once === true || !process.stdout.isTTY;
  // Loading the BPF programs and seeding from /proc takes seconds: say so before the screen appears.
  if (process.stderr.isTTY) process.stderr.write('agentsight: starting live capture …\n');
  const { startLiveCapture } = await import('../collector/live');
  // The command exits when the view does: quitting should not wait for the kernel to release the probes.
  // -p/-c: those processes are the sessions, as `record -p/-c` records them (checked by the CLI before this).
  const watch = opts.pid !== undefined || opts.comm !== undefined ? { pids: opts.pid, comm: opts.comm } : undefined;
  const live = await startLiveCapture({ exitAfterStop: true, watch });
  if (once) {
    try {
      await new Promise((r) => setTimeout(r, LIVE_ONCE_MS));
      live.flush();
      return await tui.runTop({ ...opts, reader: live.reader });
    } finally {
      await live.stop();
    }
  }
  try {
    return await tui.runTop({ ...opts, reader: live.reader, live });
  } finally {
    // The screen is restored by now; a failure to release the probes changes nothing the user can act on.
    await live.stop().catch(() => undefined);
  }
}
