/** A sample type's value as the reports print it, through the shared formatters (src/report/format.ts). */
import { duration, int, usd } from '../format';
import type { SampleType } from './sample-model';

export function formatValue(type: SampleType, v: number): string {
  switch (type) {
    case 'tokens':
      return `${int(v)} tokens`;
    case 'cost':
      return usd(v / 1e6);
    case 'calls':
      return `${int(v)} calls`;
    case 'time':
      return duration(v * 1e6);
    case 'tool_calls':
      return `${int(v)} tool calls`;
  }
}
