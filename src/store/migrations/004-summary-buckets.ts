/**
 * Schema version 4: per-minute counts of a finished recording, per session, so sessions() as of any moment (a
 * scrubber seek) sums a few bucket rows and counts only the rows of the last, partial minute instead of every row
 * up to that moment. Written and deleted together with the v3 summaries (src/store/end-summaries.ts).
 */
export const migration004 = `
CREATE TABLE summary_buckets (
  session_id INTEGER NOT NULL,
  bucket INTEGER NOT NULL,           -- CAST(ts AS INTEGER) / 60e9: the minute of the timestamp
  n_procs INTEGER NOT NULL,          -- processes by start_ns
  n_exited INTEGER NOT NULL,         -- exited processes by MAX(start_ns, exit_ns)
  n_files INTEGER NOT NULL,          -- file_ops rows by first_ns
  n_changed INTEGER NOT NULL,        -- of which successful changes
  n_net INTEGER NOT NULL,            -- net_conns rows by first_ns
  n_tools INTEGER NOT NULL,          -- tool_calls by ts_ns
  n_tool_fail INTEGER NOT NULL,      -- of which result_is_error = 1
  PRIMARY KEY (session_id, bucket)
) WITHOUT ROWID;

-- When each exited process counts as exited (MAX(start_ns, exit_ns)), for the partial minute of a seek.
CREATE TABLE summary_exits (
  session_id INTEGER NOT NULL,
  at_ns INTEGER NOT NULL
);
CREATE INDEX summary_exits_at ON summary_exits(session_id, at_ns);

-- First use of each model per session: the models a session had used by any moment, in order of first use.
CREATE TABLE summary_models (
  session_id INTEGER NOT NULL,
  model TEXT NOT NULL,
  first_ns INTEGER NOT NULL,
  PRIMARY KEY (session_id, model)
) WITHOUT ROWID;
`;
