import { migration001 } from './001-initial';
import { migration002 } from './002-file-ops-cover';
import { migration003 } from './003-end-summaries';
import { migration004 } from './004-summary-buckets';
import { migration005 } from './005-exec-argv-clipped';
import { migration006 } from './006-process-containers';
import { migration007 } from './007-mcp';

export interface Migration {
  readonly sql: string;
  /**
   * true when a database without this migration still answers every query correctly (an index, say): saved
   * recordings are opened read-only and never upgraded, so readers must accept them as they are.
   */
  readonly readCompatible: boolean;
}

/** Numbered migrations: index i brings a database from user_version i to i + 1. Append only. */
export const migrations: readonly Migration[] = [
  { sql: migration001, readCompatible: false },
  { sql: migration002, readCompatible: true },
  // Without summaries every query answers from the rows, as before.
  { sql: migration003, readCompatible: true },
  { sql: migration004, readCompatible: true },
  // Older files read the missing column as NULL: not known whether argv was clipped.
  { sql: migration005, readCompatible: true },
  // Older files read the missing columns as NULL: processes of the host.
  { sql: migration006, readCompatible: true },
  // Older files have no MCP tables: the reader answers their queries with no rows.
  { sql: migration007, readCompatible: true },
];

/** The schema version this build writes and understands (PRAGMA user_version). */
export const SCHEMA_VERSION = migrations.length;

/** Can a database at `version` be read, as it is, by this build? */
export function readableAsIs(version: number): boolean {
  return version >= 1 && migrations.slice(version).every((m) => m.readCompatible);
}

/** Written to meta.format so a SQLite file from another tool is told apart from ours. */
export const FORMAT_TAG = 'agentsight-recording';
