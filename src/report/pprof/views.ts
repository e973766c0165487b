/**
 * The views of `report pprof --view`: which attributes make the stack, root first, and which sample type the
 * folded and svg outputs (and pprof's default) show. Declared as data; the help text and docs read this table.
 */
import { ReportError } from '../errors';
import type { Attr, SampleType } from './sample-model';

export interface View {
  stack: readonly Attr[];
  value: SampleType;
  description: string;
}

export const VIEWS = {
  tokens: { stack: ['project', 'agent', 'session', 'tag', 'model', 'kind'], value: 'tokens', description: 'project; agent; session; tag; model; token kind' },
  cost: { stack: ['model', 'project', 'agent', 'session', 'tag'], value: 'cost', description: 'model; project; agent; session; tag (micro-USD)' },
  time: { stack: ['project', 'agent', 'session', 'phase', 'tag', 'what'], value: 'time', description: 'project; agent; session; model|tool; tag; model or tool name (ms)' },
  tools: { stack: ['project', 'agent', 'session', 'tag', 'tool'], value: 'tokens', description: 'project; agent; session; tag; tool whose result the tokens carried' },
  files: { stack: ['project', 'agent', 'session', 'file', 'tool'], value: 'tokens', description: 'project; agent; session; file path (by directory) the tool read or changed; tool' },
} as const satisfies Record<string, View>;

export type ViewName = keyof typeof VIEWS;
export const VIEW_NAMES = Object.keys(VIEWS) as ViewName[];

export function parseView(v: string | undefined): ViewName {
  const name = (v ?? 'tokens') as ViewName;
  if (!VIEW_NAMES.includes(name)) throw new ReportError(`--view must be one of ${VIEW_NAMES.join(', ')} (got "${v}")`);
  return name;
}
