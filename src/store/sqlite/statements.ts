/** Prepared statements of one connection, kept by SQL text, and the terms every time-filtered query shares. */
import type Database from 'better-sqlite3';
import { TABLES, rawRowDecoder, type TableName } from '../table-specs';
import type { TimeQuery } from '../store';

/**
 * "No time limit" for `atNs` filters. Not Number.MAX_SAFE_INTEGER: Unix-epoch ns (~1.8e18) are far above it, so
 * `ts <= MAX_SAFE_INTEGER` would select nothing. SQLite compares this REAL with INTEGER columns numerically.
 */
export const END_OF_TIME = Number.MAX_VALUE;

/** The LIMIT clause of a query (empty without q.limit). */
export function limit(q: TimeQuery): string {
  return q.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(q.limit))}` : '';
}

export class Statements {
  /** Prepared statements by SQL text: preparing costs 20-100 µs, and --once issues the same few hundred times. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly rawStatements = new Map<string, { st: Database.Statement; decode: (row: unknown[]) => unknown }>();

  constructor(private readonly db: Database.Database) {}

  stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Rows of one table's shape: read as arrays and decoded by position (see rawRowDecoder for why). */
  all<T>(table: TableName, sql: string, params: unknown[] = []): T[] {
    let r = this.rawStatements.get(sql);
    if (!r) {
      // Its own statement: raw mode is a property of the statement, and stmt()'s may be read as objects.
      const st = this.db.prepare(sql).raw(true);
      r = { st, decode: rawRowDecoder(TABLES[table], st.columns().map((c) => c.name)) };
      this.rawStatements.set(sql, r);
    }
    return (r.st.all(...params) as unknown[][]).map(r.decode as (row: unknown[]) => T);
  }
}
