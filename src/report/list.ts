/** `agentsight report list`: the recordings in a directory, one line each; unreadable files get a note and are skipped. */
import type { ReportContext } from './context';
import { writeJson } from './context';
import { isUnbounded, spanInRange, type DayRange } from './day-range';
import { EXIT_BAD_INPUT, EXIT_NOTHING_FOUND, EXIT_OK, ReportError } from './errors';
import { formatCost, formatDuration, formatInt, oneLine } from '../present';
import type { Completeness } from '../store';
import { callTokens } from './llm-usage';
import { recordingFacts } from './recording-facts';
import { listRecordingFiles, withRecording, type RecordingFile } from './recordings';
import { renderTable } from './table';
import { addUsage, emptyTotals, totalsJson, type UsageTotals } from './usage';

export const LIST_SCHEMA_ID = 'agentsight.report.list/1';

interface ListedRecording {
  path: string;
  name: string;
  sizeBytes: number;
  startNs: number | null;
  start: string | null;
  durationNs: number | null;
  command: string | null;
  agents: string[];
  usage: ReturnType<typeof totalsJson>;
  completeness: Completeness;
  totals: UsageTotals;
}

export function runList(ctx: ReportContext, range: DayRange = { since: null, until: null }, given?: RecordingFile[]): number {
  const files = given ?? listRecordingFiles(ctx.dir);
  const listed: ListedRecording[] = [];
  const skipped: Array<{ path: string; reason: string }> = [];
  for (const f of files) {
    try {
      const row = withRecording(f.path, (store): ListedRecording | null => {
        const facts = recordingFacts(store);
        // --since/--until: a recording that ran on none of those days is not listed (nor noted: it is fine).
        if (!spanInRange(range, ctx.clock, facts.startNs, facts.endNs)) return null;
        const totals = emptyTotals();
        for (const c of store.llmCalls()) addUsage(totals, callTokens(c), c.costUsd);
        return {
          path: f.path,
          name: f.name,
          sizeBytes: f.size,
          startNs: facts.startNs,
          start: ctx.clock.iso(facts.startNs),
          durationNs: facts.durationNs,
          command: facts.command,
          agents: facts.agents,
          usage: totalsJson(totals),
          completeness: store.completeness(),
          totals,
        };
      });
      if (row) listed.push(row);
    } catch (err) {
      if (!(err instanceof ReportError)) throw err;
      skipped.push({ path: f.path, reason: err.message });
      ctx.io.err(`agentsight: skipped ${err.message}\n`);
    }
  }
  // Oldest first, like ls -tr: the newest recording (the one `report` reads) ends up last, next to the prompt.
  listed.sort((a, b) => (a.startNs ?? 0) - (b.startNs ?? 0));

  if (ctx.json) {
    writeJson(ctx, {
      schema: LIST_SCHEMA_ID,
      directory: ctx.dir,
      recordings: listed.map(({ totals: _t, ...r }) => r),
      skipped,
    });
  } else if (listed.length > 0) {
    const p = ctx.painter;
    ctx.io.out(
      renderTable<ListedRecording>(
        [
          { title: 'STARTED', value: (r) => ctx.clock.dateTime(r.startNs) },
          { title: 'DURATION', align: 'right', value: (r) => formatDuration(r.durationNs) },
          { title: 'CALLS', align: 'right', value: (r) => formatInt(r.totals.calls) },
          { title: 'TOKENS', align: 'right', value: (r) => formatInt(r.totals.total) },
          { title: 'COST', align: 'right', value: (r) => formatCost(r.totals.costUsd, r.totals.unknownCostCalls) },
          { title: 'FILE', value: (r) => r.name },
          { title: 'COMMAND', value: (r) => oneLine(r.command ?? '-', 60) },
        ],
        listed,
        p,
      ),
    );
  }
  if (listed.length === 0 && skipped.length === 0) {
    const when = isUnbounded(range) ? '' : ` from ${range.since ?? 'the start'} to ${range.until ?? 'the end'}`;
    throw new ReportError(`no agentsight-*.db recordings in ${ctx.dir}${when}`, EXIT_NOTHING_FOUND);
  }
  if (listed.length === 0) return EXIT_BAD_INPUT;
  return EXIT_OK;
}
