/** One cost format in every view (docs/figures.md). */
import { describe, expect, it } from 'vitest';
import { formatCost } from '../../src/present';

describe('cost', () => {
  it('$0 for nothing, four decimals below $1, cents above, $? unknown, + for a lower bound', () => {
    expect(formatCost(0)).toBe('$0');
    expect(formatCost(0.0012246)).toBe('$0.0012');
    expect(formatCost(0.00042)).toBe('$0.0004');
    expect(formatCost(0.99999)).toBe('$1.0000');
    expect(formatCost(1)).toBe('$1.00');
    expect(formatCost(12.345)).toBe('$12.35');
    expect(formatCost(null)).toBe('$?');
    expect(formatCost(undefined)).toBe('$?');
    expect(formatCost(NaN)).toBe('$?');
    expect(formatCost(0.0012246, 2)).toBe('$0.0012+');
    expect(formatCost(0, 1)).toBe('$0+');
    expect(formatCost(null, 2)).toBe('$?');
  });
});
