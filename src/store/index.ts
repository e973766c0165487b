/**
 * The store: two interfaces (store.ts: RecordingWriter, RecordingReader), one SQLite backend (sqlite/). Readers open
 * recordings with openRecording and import from here.
 */
export * from './store';
export * from './figures';
export * from './types';
export { StoreError } from './errors';
export { createRecording, openRecording, SqliteStore } from './sqlite/sqlite-store';
export type { OpenMode } from './sqlite/open';
export { createPrivateRecording, SIDECARS, type FileOwner } from './private-file';
