// Rows read from SQLite are decoded by a function generated per table; it must give exactly what the per-column
// reference gives: nulls, missing columns, booleans, JSON columns (empty list when NULL), blobs, key order.
import { describe, expect, it } from 'vitest';
import { TABLES, decodeRow, decodeRowReference, rawRowDecoder } from '../../src/store/table-specs';

describe('generated row decoders', () => {
  it('decode every table as the per-column reference does', () => {
    const sample = (kind: string, i: number): unknown => {
      if (i % 5 === 0) return null;
      if (i % 7 === 0) return undefined;
      switch (kind) {
        case 'bool': return i % 2;
        case 'json': return JSON.stringify([`a${i}`, { k: i }]);
        case 'blob': return Buffer.from([i, 0, 255]);
        case 'int': return 1.7e18 + i * 1024;
        case 'real': return i / 3;
        default: return `t${i}é`;
      }
    };
    for (const name of Object.keys(TABLES) as Array<keyof typeof TABLES>) {
      const spec = TABLES[name];
      for (let shift = 0; shift < 8; shift++) {
        const raw = Object.fromEntries(spec.columns.map((c, i) => [c.column, sample(c.kind, i + 1 + shift)]));
        const got = decodeRow<Record<string, unknown>>(spec, raw);
        const want = decodeRowReference<Record<string, unknown>>(spec, raw);
        expect(got, name).toEqual(want);
        expect(Object.keys(got), name).toEqual(Object.keys(want));
        for (const k of Object.keys(want)) expect(got[k] === null, `${name}.${k}`).toBe(want[k] === null);
      }
    }
  });

  it('decode rows read as arrays, by column name, in any column order, as the reference decodes the object', () => {
    for (const name of Object.keys(TABLES) as Array<keyof typeof TABLES>) {
      const spec = TABLES[name];
      for (let shift = 0; shift < 8; shift++) {
        const cols = spec.columns.map((c) => c.column);
        // statement order differs from the spec's; one column missing; one name repeated (a join): the last wins
        const names = [...cols.slice(shift % cols.length), ...cols.slice(0, shift % cols.length)].filter((c) => c !== cols[shift % cols.length]);
        names.unshift(names[names.length - 1]!);
        const values = names.map((_, i) => (i === 0 ? 'shadowed' : [null, 1, 0, '["x",{"k":1}]', 1.7e18 + i, `t${i}`][(i + shift) % 6]));
        const obj: Record<string, unknown> = {};
        names.forEach((n, i) => (obj[n] = values[i]));
        // a value only valid for its column kind: JSON columns get JSON, bools 0/1
        for (const c of spec.columns) {
          if (!(c.column in obj) || obj[c.column] === null) continue;
          if (c.kind === 'json') obj[c.column] = '["x",{"k":1}]';
          if (c.kind === 'bool') obj[c.column] = shift % 2;
        }
        const row = names.map((n, i) => (i === 0 ? values[0] : obj[n]));
        const got = rawRowDecoder<Record<string, unknown>>(spec, names)(row);
        const want = decodeRowReference<Record<string, unknown>>(spec, obj);
        expect(got, name).toEqual(want);
        expect(Object.keys(got), name).toEqual(Object.keys(want));
      }
    }
  });
});
