/**
 * Facts of the agents' own session files (the records `report --local` prices): tokens by kind and cost per
 * response under project, agent, session and model. The files give no durations and no tool results per response,
 * so time, tool calls and tags stay empty for them, and the profile says so in a note.
 */
import type { LocalEntries } from '../local/local-report';
import { fromLlmUsage } from '../usage';
import type { Fact, FactSet } from './sample-model';
import { MicroDollars, pushCallFacts } from './token-facts';

export function localFacts(local: LocalEntries): FactSet {
  const facts: Fact[] = [];
  const money = new MicroDollars();
  const unknownModels = new Set<string>();
  let unknownPrice = 0;
  for (const e of local.entries) {
    const model = e.model ?? 'unknown model';
    let costMicro: number | null = null;
    if (e.costUsd !== null && Number.isFinite(e.costUsd)) costMicro = money.add(e.costUsd);
    else {
      unknownPrice++;
      unknownModels.add(model);
    }
    pushCallFacts(facts, {
      attrs: { project: e.project, agent: e.agent, session: e.sessionId, model, phase: 'model', what: model },
      tokens: fromLlmUsage(e.usage),
      costMicro,
      timeMs: 0,
    });
  }
  const first = local.entries[0]?.tsMs;
  const last = local.entries[local.entries.length - 1]?.tsMs;
  const broken = local.sources.reduce((n, s) => n + s.stats.brokenLines, 0);
  const notes = ['session files carry no call durations and no tool results per response: time, tool_calls and tags are empty'];
  if (broken) notes.push(`${broken} broken line(s) in the session files skipped (see report --local)`);
  return {
    source: local.home,
    facts,
    unknownPrice: { calls: unknownPrice, models: [...unknownModels].sort() },
    startNs: first === undefined ? null : first * 1e6,
    endNs: last === undefined ? null : last * 1e6,
    notes,
  };
}
