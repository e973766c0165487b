/**
 * process.exit without node's teardown, for a command that has written and closed everything it owns (`record`).
 * After its 'exit' event node joins its thread pools, runs OpenSSL's and the C++ runtime's cleanups and frees its heap:
 * ~10 ms of the shell's wait after `record`, mostly page faults (BENCHMARKS.md, session 9). The addon's exitNow resets
 * stdio as node would (flags and terminal mode shared with the shell) and exits; without it, the usual exit.
 * process.reallyExit is what process.exit calls once the 'exit' listeners have run (node documents it as patched).
 */
import { loadedAddon } from '../native/addon';

export function skipTeardownAtExit(): void {
  // Not loaded (the non-root half of a sudo re-exec): loading it would cost more than the teardown it saves.
  const addon = loadedAddon();
  if (!addon) return;
  const proc = process as unknown as { reallyExit: (code: number) => void };
  const usual = proc.reallyExit;
  proc.reallyExit = (code: number) => {
    addon.exitNow(code);
    usual.call(process, code);
  };
}
