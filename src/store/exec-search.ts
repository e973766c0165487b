/**
 * Which failed execs are failures, and which are misses of a $PATH search.
 *
 * execvp(3), env(1) and shells look a command up by trying execve in each $PATH directory in turn: every directory
 * that lacks it is a failed execve (ENOENT, or EACCES / ENOTDIR), until one succeeds. strace shows them all, and so
 * does the execs table (exact capture), but listed as failures they bury the real ones: a `#!/usr/bin/env bash`
 * script on a long PATH makes ten of them per run. A failed exec is a miss when the same process later execs
 * successfully with the same argv and a file of the same name in another place; everything else is a failure.
 * Readers list failures and count misses, so nothing is hidden without being counted.
 */
import { REDACTED_PREFIX, type ExecRow } from './types';

/** errno values an exec search skips past (glibc execvp: ENOENT, ENOTDIR, EACCES; the last one is kept only when no directory works). */
const SEARCH_ERRNOS = new Set([-2 /* ENOENT */, -13 /* EACCES */, -20 /* ENOTDIR */]);

export interface FailedExecSplit {
  failures: ExecRow[];
  /** Misses per process id. */
  missesByProcess: Map<number, number>;
  misses: number;
}

function baseName(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/**
 * The same command line. A failed exec's argv is read from the caller's memory within a budget and may be clipped
 * (argvClipped) where the successful one is whole: then it must be a prefix — arguments equal, the last one cut.
 */
function sameArgv(failed: ExecRow, ok: ExecRow): boolean {
  const a = failed.argv;
  const b = ok.argv;
  if (!failed.argvClipped || a.length === 0) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (a.length > b.length) return false;
  const last = a.length - 1;
  for (let i = 0; i < last; i++) if (a[i] !== b[i]) return false;
  // A secret cut short redacts differently from the whole one: compare what comes before the redaction.
  const cut = a[last].indexOf(REDACTED_PREFIX);
  return b[last].startsWith(cut < 0 ? a[last] : a[last].slice(0, cut));
}

/**
 * Does successful exec `ok` run what failed exec `failed` looked for, found in another place? Either the file itself
 * (same name, same argv) or, for a script, its interpreter: the kernel's #! handling makes the exec row's file the
 * interpreter and its argv `[interpreter, (option,) /found/script, args…]`.
 */
function completes(failed: ExecRow, ok: ExecRow, name: string): boolean {
  if (ok.filename !== failed.filename && baseName(ok.filename) === name && sameArgv(failed, ok)) return true;
  const a = failed.argv;
  const b = ok.argv;
  if (a.length === 0 || failed.argvClipped || b.length < a.length + 1 || b.length > a.length + 2) return false;
  const script = b[b.length - a.length];
  if (script === failed.filename || baseName(script) !== name || !script.startsWith('/')) return false;
  for (let i = 1; i < a.length; i++) if (a[i] !== b[b.length - a.length + i]) return false;
  return true;
}

/**
 * Split `execs` (failed and successful, any order) into real failures (in the input order) and search misses.
 * Only successful execs of the same process are consulted, so pass every exec of the processes whose failures you list.
 */
export function splitFailedExecs(execs: readonly ExecRow[]): FailedExecSplit {
  const successes = new Map<number, ExecRow[]>();
  for (const e of execs) {
    if (e.ret !== 0) continue;
    let list = successes.get(e.processId);
    if (!list) successes.set(e.processId, (list = []));
    list.push(e);
  }
  const failures: ExecRow[] = [];
  const missesByProcess = new Map<number, number>();
  let misses = 0;
  for (const e of execs) {
    if (e.ret === 0) continue;
    const name = baseName(e.filename);
    const found = SEARCH_ERRNOS.has(e.ret) && (successes.get(e.processId) ?? []).some((s) => s.tsNs >= e.tsNs && completes(e, s, name));
    if (found) {
      missesByProcess.set(e.processId, (missesByProcess.get(e.processId) ?? 0) + 1);
      misses++;
    } else failures.push(e);
  }
  return { failures, missesByProcess, misses };
}
