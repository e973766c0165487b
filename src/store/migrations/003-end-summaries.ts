/**
 * Schema version 3: summaries of a finished recording, written by finalize() in one transaction and deleted by the
 * first write after it. They hold what sessions(), fileChanges() and netDestinations() answer for a session as of
 * any moment at or after `summary_state.as_of_ns` (the latest timestamp those queries filter on), so `top --once`
 * on a finished recording reads a few rows per session instead of grouping every file and network row again.
 * A store without a summary_state row (live capture, an interrupted recording, a v1/v2 file) answers from the rows.
 * The queries that fill them are the readers' own (src/store/end-summaries.ts), so the two cannot disagree.
 */
export const migration003 = `
CREATE TABLE summary_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  as_of_ns INTEGER NOT NULL,
  -- row counts of the whole recording (info()), counted once instead of by every reader
  n_sessions INTEGER NOT NULL, n_processes INTEGER NOT NULL, n_execs INTEGER NOT NULL, n_file_ops INTEGER NOT NULL,
  n_net_conns INTEGER NOT NULL, n_llm_calls INTEGER NOT NULL, n_tool_calls INTEGER NOT NULL, n_losses INTEGER NOT NULL
);

CREATE TABLE summary_sessions (
  session_id INTEGER PRIMARY KEY,
  n_processes INTEGER, n_live INTEGER, last_proc INTEGER,
  n_llm INTEGER, models TEXT, inp INTEGER, outp INTEGER, cr INTEGER, cw INTEGER, rs INTEGER, cost REAL, errs INTEGER,
  last_llm INTEGER,
  n_tools INTEGER, n_tool_fail INTEGER,
  n_files INTEGER, n_changed INTEGER, last_f INTEGER,
  n_net INTEGER, n_losses INTEGER
);

CREATE TABLE summary_file_changes (
  session_id INTEGER NOT NULL,
  op TEXT NOT NULL, path TEXT NOT NULL, path2 TEXT,
  count INTEGER NOT NULL, bytes INTEGER NOT NULL, first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,
  process_id INTEGER NOT NULL, processes INTEGER NOT NULL
);
CREATE INDEX summary_file_changes_order ON summary_file_changes(session_id, first_ns, path, op, path2);

CREATE TABLE summary_net_dests (
  session_id INTEGER NOT NULL,
  op TEXT NOT NULL, family TEXT NOT NULL, proto TEXT, addr TEXT NOT NULL, port INTEGER, host TEXT,
  count INTEGER NOT NULL, failures INTEGER NOT NULL, bytes_sent INTEGER NOT NULL, bytes_recv INTEGER NOT NULL,
  first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL, processes INTEGER NOT NULL
);
CREATE INDEX summary_net_dests_order ON summary_net_dests(session_id, first_ns, op, family, proto, addr, port);

-- Failed execs are rare; --once lists them for every session, and without this reads every exec to find them.
CREATE INDEX execs_failed ON execs(ts_ns) WHERE ret < 0;
`;
