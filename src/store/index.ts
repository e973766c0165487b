/** The store: one interface (store.ts), one backend (sqlite-store.ts). Readers import from here. */
import { SqliteStore, type OpenMode } from './sqlite-store';
import type { Store } from './store';

export * from './store';
export * from './figures';
export * from './types';
export { StoreError } from './errors';
export { SqliteStore } from './sqlite-store';
export { createPrivateRecording, SIDECARS, type FileOwner } from './private-file';

/** Open a recording for reading (saved DBs are never modified by readers). */
export function openRecording(path: string): Store {
  return SqliteStore.open(path, 'readonly');
}

/** Create a new recording (or open an existing one to continue writing). */
export function createRecording(path: string, mode: Exclude<OpenMode, 'readonly'> = 'create'): SqliteStore {
  return SqliteStore.open(path, mode);
}
