/** What a profile says about itself in every format: source, view, and what its values leave out. */
import type { ProfileModel } from './sample-model';

export function profileComments(m: ProfileModel): string[] {
  const out = [`agentsight report pprof: ${m.set.source}`, `view ${m.view}`];
  const u = m.set.unknownPrice;
  if (u.calls) out.push(`${u.calls} call(s) of unknown price (${u.models.join(', ')}): not in cost, labelled price=unknown`);
  out.push(...m.set.notes);
  return out;
}
