/** The profile as JSON (docs/schemas/report-pprof.schema.json): samples with their stacks and every value by name. */
import { profileComments } from './comments';
import { SAMPLE_TYPES, SAMPLE_TYPE_NAMES, type ProfileModel } from './sample-model';

export const PPROF_SCHEMA_ID = 'agentsight.report.pprof/1';

const byName = (values: readonly number[]): Record<string, number> => Object.fromEntries(SAMPLE_TYPE_NAMES.map((t, i) => [t, values[i]]));

export function encodeJson(m: ProfileModel, stackAttrs: readonly string[]): string {
  return (
    JSON.stringify(
      {
        schema: PPROF_SCHEMA_ID,
        source: m.set.source,
        view: m.view,
        stack: stackAttrs,
        defaultSampleType: m.valueType,
        sampleTypes: SAMPLE_TYPES.map((t) => ({ type: t.type, unit: t.unit })),
        totals: byName(m.totals),
        unknownPrice: m.set.unknownPrice,
        comments: profileComments(m),
        samples: m.samples.map((s) => ({ stack: s.stack, frames: s.frameAttrs, values: byName(s.values), labels: s.labels })),
      },
      null,
      2,
    ) + '\n'
  );
}
