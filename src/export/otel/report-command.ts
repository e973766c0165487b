/**
 * The CLI side of `report otel`: open the recording read-only, export it, and turn every failure into one line with
 * the report commands' exit codes (2: bad recording or bad OTEL_* variable; 1: something was not delivered).
 */
import { openRecording, type RecordingReader } from '../../store';
import { EXIT_BAD_INPUT, isDataError, toReportError } from '../../report/errors';
import type { ReportIo } from '../../report/io';
import { OtelConfigError } from './otlp-config';
import { runReportOtel } from './report-otel';

export async function runReportOtelCommand(file: string, io: ReportIo, opts: { content: boolean }): Promise<number> {
  let store: RecordingReader | null = null;
  try {
    try {
      store = openRecording(file);
    } catch (err) {
      throw toReportError(err, file);
    }
    return await runReportOtel(store, io, opts);
  } catch (err) {
    if (err instanceof OtelConfigError) {
      io.err(`agentsight: ${err.message}\n`);
      return EXIT_BAD_INPUT;
    }
    const e = isDataError(err) ? toReportError(err, file) : err;
    if (e instanceof Error && e.name === 'ReportError') {
      io.err(`agentsight: ${e.message}\n`);
      return (e as { exitCode?: number }).exitCode ?? EXIT_BAD_INPUT;
    }
    if (io.env['AGENTSIGHT_DEBUG']) io.err(`${(err as Error)?.stack ?? String(err)}\n`);
    io.err(`agentsight: internal error in report otel: ${((err as Error)?.message ?? String(err)).split('\n')[0]} (set AGENTSIGHT_DEBUG=1 for details)\n`);
    return EXIT_BAD_INPUT;
  } finally {
    try {
      store?.close();
    } catch {
      // a damaged file may fail to close too; the first error is the one reported
    }
  }
}
