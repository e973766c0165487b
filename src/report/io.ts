/**
 * Where a report command writes and what it may look at. The CLI passes the real process; tests pass buffers and a
 * fixed environment, so every command runs in-process without touching the test runner's stdout or exit code.
 */
export interface ReportIo {
  /** Write to standard output (text already ends with a newline where one is wanted). */
  out(text: string): void;
  /** Write to standard error. */
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths and the default recording search start from. */
  readonly cwd: string;
  /** Whether stdout is a terminal (colour is only used on one). */
  readonly isTTY: boolean;
  /** Set the exit status of the command (the process, or the test's record of it). */
  setExitCode(code: number): void;
  /** Leave at once (usage errors found while parsing the command line). */
  exit(code: number): never;
}

export function processIo(): ReportIo {
  // `agentsight report audit | head` closes the pipe early: stop quietly instead of dying on an unhandled EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw err;
  });
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
    setExitCode: (code) => {
      process.exitCode = code;
      // The CLI's main assigns process.exitCode from its own bookkeeping after the action returns, which would turn
      // our 1 ("nothing found") and 2 ("bad input") into 0; re-asserting at exit keeps the status this command chose.
      if (code !== 0) process.once('exit', () => void (process.exitCode = code));
    },
    exit: (code) => process.exit(code),
  };
}
