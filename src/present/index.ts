/**
 * How figures read, in one place for every surface: the TUI, `top --once`, `report`, `record`'s status and summary,
 * and the web UI. Pure functions without Node imports (store types only), so a browser bundle can use them too.
 */
export * from './clock';
export * from './completeness';
export * from './cost';
export * from './duration';
export * from './errno';
export * from './mcp';
export * from './plural';
export * from './process';
export * from './recording-state';
export * from './text-width';
export * from './tokens';
export * from './tool-call';
export * from './units';
