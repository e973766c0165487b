import { migration001 } from './001-initial';
import { migration002 } from './002-file-ops-cover';

/** Numbered migrations: index i brings a database from user_version i to i + 1. Append only. */
export const migrations: readonly string[] = [migration001, migration002];

/** The schema version this build writes and understands (PRAGMA user_version). */
export const SCHEMA_VERSION = migrations.length;

/** Written to meta.format so a SQLite file from another tool is told apart from ours. */
export const FORMAT_TAG = 'agentsight-recording';
