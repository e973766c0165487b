/** Usage of a recorded LLM call in the report's token kinds. */
import type { LlmCallRow } from '../store';
import { fromLlmUsage, type TokenCounts } from './usage';

/** The call's usage in the report's disjoint token kinds (see usage.ts). */
export function callTokens(c: LlmCallRow): TokenCounts {
  return fromLlmUsage(c);
}

/** The model that answered, else the one asked for. */
export function callModel(c: LlmCallRow): string | null {
  return c.responseModel ?? c.requestModel ?? null;
}

/** An HTTP error, a transport/parse error or a stream that ended early. */
export function callFailed(c: LlmCallRow): boolean {
  return (c.httpStatus !== null && c.httpStatus >= 400) || c.error !== null || c.incomplete;
}
