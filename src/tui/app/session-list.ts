/**
 * From the model (every session as of the scrubber time, keyed by id) to the display list: filtered, sorted, and
 * the visible slice. Pure, so ranking is tested without a terminal.
 */
import type { SessionSummary } from '../../store';
import { columnById, type ColumnContext } from './columns';

export interface ListSpec {
  sortBy: string;
  /** Invert the column's default direction (htop's `I`). */
  invert: boolean;
  /** Case-insensitive substring over agent, title, models and external id; '' = everything. */
  filter: string;
}

export function matchesFilter(s: SessionSummary, filter: string): boolean {
  if (filter === '') return true;
  const f = filter.toLowerCase();
  return [s.agent ?? '', s.title, s.models.join(' '), s.externalId ?? '', String(s.id)].some((t) => t.toLowerCase().includes(f));
}

/** Filter and sort; ties keep a stable order by id so the list does not jitter between data ticks. */
export function displayList(model: readonly SessionSummary[], spec: ListSpec, ctx: ColumnContext): SessionSummary[] {
  const col = columnById(spec.sortBy);
  const desc = col.defaultDesc !== spec.invert;
  const rows = model.filter((s) => matchesFilter(s, spec.filter));
  const keyed = rows.map((s) => ({ s, k: col.sortValue(s, ctx) }));
  keyed.sort((a, b) => {
    let c = typeof a.k === 'number' && typeof b.k === 'number' ? a.k - b.k : String(a.k).localeCompare(String(b.k));
    if (desc) c = -c;
    return c !== 0 ? c : a.s.id - b.s.id;
  });
  return keyed.map((x) => x.s);
}

/** First row to show so that `selected` stays visible in a window of `height` rows. */
export function scrollTop(current: number, selected: number, height: number, total: number): number {
  if (height <= 0) return 0;
  let top = Math.min(current, Math.max(0, total - height));
  if (selected < top) top = selected;
  if (selected >= top + height) top = selected - height + 1;
  return Math.max(0, top);
}
