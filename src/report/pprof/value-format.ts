/** A sample type's value as the reports print it, through the shared formatters (src/present). */
import { formatCost, formatDuration, formatInt } from '../../present';
import type { SampleType } from './sample-model';

export function formatValue(type: SampleType, v: number): string {
  switch (type) {
    case 'tokens':
      return `${formatInt(v)} tokens`;
    case 'cost':
      return formatCost(v / 1e6);
    case 'calls':
      return `${formatInt(v)} calls`;
    case 'time':
      return formatDuration(v * 1e6);
    case 'tool_calls':
      return `${formatInt(v)} tool calls`;
  }
}
