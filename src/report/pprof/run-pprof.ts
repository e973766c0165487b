/**
 * `agentsight report pprof -o FILE`: a token/cost/time profile of a recording (or, with --local, of the agents'
 * session files) in the format the file's extension names. Prints one line saying what was written.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RecordingReader } from '../../store';
import type { ReportContext } from '../context';
import { EXIT_NOTHING_FOUND, EXIT_OK, ReportError } from '../errors';
import { collectLocalEntries, type LocalOptions } from '../local/local-report';
import { localFacts } from './from-local';
import { recordingFacts } from './from-recording';
import { OUTPUT_FORMATS, formatFor } from './output-formats';
import { SAMPLE_TYPE_NAMES, VALUE_INDEX, buildSamples, type FactSet, type SampleType } from './sample-model';
import { Tagger, parseTagRule } from './tag-rules';
import { formatValue } from './value-format';
import { VIEWS, parseView } from './views';

export interface PprofOptions extends LocalOptions {
  local?: boolean;
  output?: string;
  view?: string;
  tag?: string[];
  value?: string;
}

/** Parse every option before reading anything: bad input fails fast, with one line. */
export function runPprof(o: PprofOptions, ctx: ReportContext, withReader: <T>(fn: (r: RecordingReader) => T) => T): number {
  if (!o.output) throw new ReportError(`report pprof needs -o FILE ending in ${OUTPUT_FORMATS.map((f) => f.ext).join(', ')}`);
  const format = formatFor(o.output);
  if (!format) throw new ReportError(`-o ${o.output}: the extension must be one of ${OUTPUT_FORMATS.map((f) => f.ext).join(', ')}`);
  const viewName = parseView(o.view);
  const view = VIEWS[viewName];
  const value = parseValue(o.value) ?? view.value;
  const tagger = new Tagger((o.tag ?? []).map(parseTagRule));

  const set: FactSet = o.local ? localFacts(collectLocalEntries(o, ctx)) : withReader((r) => recordingFacts(r, { tagger, files: viewName === 'files' }));
  const model = buildSamples(set, viewName, view.stack, view.value);
  if (model.totals[VALUE_INDEX.calls] === 0 && model.totals[VALUE_INDEX.tool_calls] === 0) {
    throw new ReportError(`${set.source}: no LLM calls ${o.local ? 'in the session files' : 'recorded'}; nothing written`, EXIT_NOTHING_FOUND);
  }
  const file = path.resolve(ctx.io.cwd, o.output);
  const bytes = format.encode({ model, view, value });
  try {
    fs.writeFileSync(file, bytes);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ReportError(`${o.output}: cannot write (${e.code ?? e.message.split('\n')[0]})`);
  }
  const t = model.totals;
  const unknown = set.unknownPrice.calls ? ` (+${set.unknownPrice.calls} call(s) of unknown price)` : '';
  ctx.io.out(
    `wrote ${o.output} (${format.name}, view ${viewName}): ${formatValue('tokens', t[VALUE_INDEX.tokens])}, ${formatValue('cost', t[VALUE_INDEX.cost])}${unknown}, ` +
      `${formatValue('calls', t[VALUE_INDEX.calls])}, ${formatValue('tool_calls', t[VALUE_INDEX.tool_calls])}, ${model.samples.length} samples\n`,
  );
  for (const n of set.notes) ctx.io.out(ctx.painter.paint('dim', `note: ${n}\n`));
  return EXIT_OK;
}

function parseValue(v: string | undefined): SampleType | null {
  if (v === undefined) return null;
  if (!SAMPLE_TYPE_NAMES.includes(v as SampleType)) throw new ReportError(`--value must be one of ${SAMPLE_TYPE_NAMES.join(', ')} (got "${v}")`);
  return v as SampleType;
}
