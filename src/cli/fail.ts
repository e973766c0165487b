/**
 * Errors users see: one line, a clear cause, a meaningful exit code — never a stack trace (unless AGENTSIGHT_DEBUG=1).
 */
import { StoreError } from '../store/errors';
import { CaptureError } from '../collector/bpf-capture';
import { NativeMissingError } from '../native/addon';

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
  if (err instanceof CaptureError || err instanceof NativeMissingError) {
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
