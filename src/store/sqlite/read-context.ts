/** What every query of a reader works with: its connection, its statements and its summary gate. */
import type { OpenDb } from './open';
import type { Statements } from './statements';
import type { SummaryGate } from './summaries';

export interface ReadContext {
  readonly o: OpenDb;
  readonly st: Statements;
  readonly gate: SummaryGate;
}
