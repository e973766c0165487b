/**
 * `agentsight report serve`: serve a saved recording to a browser (the newest in the directory unless --db), print
 * the URL with its access token, and run until interrupted. Errors are one line and exit 2, as `report`'s are.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { openRecording, type RecordingReader } from '../store';
import { EXIT_BAD_INPUT, ReportError, toReportError } from '../report/errors';
import type { ReportIo } from '../report/io';
import { resolveRecordingPath } from '../report/recordings';

export const DEFAULT_WEB_PORT = 7395;

interface ServeOptions {
  db?: string;
  dir?: string;
  port?: string;
  host?: string;
  local?: boolean;
}

export function registerServeCommand(report: Command, io: ReportIo): void {
  report
    .command('serve')
    .description('serve the recording to a web browser: overview, timeline, tree, logs, metrics (prints the URL)')
    .option('--port <n>', `port to listen on (default ${DEFAULT_WEB_PORT}; 0: any free port)`)
    .option('--host <addr>', 'address to listen on (default 127.0.0.1; anything else exposes the recording beyond this machine)')
    .addHelpText('after', '\nExamples:\n  $ agentsight report serve                    the newest recording here, on http://127.0.0.1:7395\n  $ agentsight report serve --db run.db --port 8080\n\nThe printed URL carries an access token: requests without it are refused. The API is in docs/web-api.md.')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<ServeOptions>();
      try {
        await serve(o, io);
      } catch (err) {
        const e = toReportError(err);
        io.err(`agentsight: ${e.message}\n`);
        io.setExitCode(e instanceof ReportError ? e.exitCode : EXIT_BAD_INPUT);
      }
    });
}

function parsePort(v: string | undefined): number {
  if (v === undefined) return DEFAULT_WEB_PORT;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ReportError(`--port must be 0 to 65535, got '${v}'`);
  return n;
}

async function serve(o: ServeOptions, io: ReportIo): Promise<void> {
  if (o.local) throw new ReportError('--local works with `report` alone, not with `report serve`');
  const port = parsePort(o.port);
  const host = o.host ?? '127.0.0.1';
  const file = resolveRecordingPath(o.db, o.dir ? path.resolve(io.cwd, o.dir) : io.cwd);
  let store: RecordingReader;
  try {
    store = openRecording(file);
    store.info();
  } catch (err) {
    throw toReportError(err, file);
  }
  const { startWebServer } = await import('./server');
  let server;
  try {
    server = await startWebServer({ reader: store, host, port, live: false });
  } catch (err) {
    store.close();
    throw new ReportError((err as Error).message);
  }
  io.out(`agentsight: serving ${file} at ${server.url}\n(Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  store.close();
}
