/**
 * Errors users see: one line, a clear cause, a meaningful exit code — never a stack trace (unless AGENTSIGHT_DEBUG=1).
 */
import { StoreError } from '../store/errors';

/**
 * An error class of a module only if that module is loaded: an error can only be an instance of a class that exists.
 * Importing the capture modules here cost every command (top --once included) ~13 ms of loading the native addon.
 */
function isInstance<M>(err: unknown, id: string, name: keyof M & string): boolean {
  const mod = require.cache[require.resolve(id)];
  const cls = mod ? (mod.exports as Record<string, unknown>)[name] : undefined;
  return typeof cls === 'function' && err instanceof cls;
}

/** An error whose message is already fit for users, with the exit code to use. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

export function reportError(err: unknown): number {
  if (process.env['AGENTSIGHT_DEBUG']) console.error(err);
  const msg = (err as Error)?.message ?? String(err);
  if (err instanceof UserError) {
    console.error(`agentsight: ${msg}`);
    return err.exitCode;
  }
  if (err instanceof StoreError) {
    console.error(`agentsight: ${msg}`);
    return 2;
  }
  if (isInstance<typeof import('../collector/bpf-capture')>(err, '../collector/bpf-capture', 'CaptureError') ||
    isInstance<typeof import('../native/addon')>(err, '../native/addon', 'NativeMissingError')) {
    console.error(`agentsight: ${msg}`);
    return 1;
  }
  const code = (err as { code?: string }).code ?? '';
  if (code.startsWith('SQLITE_')) {
    console.error(`agentsight: database error: ${msg.split('\n')[0]}`);
    return 2;
  }
  console.error(`agentsight: ${msg.split('\n')[0]} (set AGENTSIGHT_DEBUG=1 for details)`);
  return 1;
}
