/**
 * Schema version 1. docs/schema.md documents every table and column; keep the two in step.
 * Ids are assigned by the collector, so every table has an explicit INTEGER PRIMARY KEY it writes.
 */
export const migration001 = `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  agent TEXT,
  external_id TEXT,
  root_process_id INTEGER,
  title TEXT NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER
);

CREATE TABLE processes (
  id INTEGER PRIMARY KEY,
  pid INTEGER NOT NULL,
  ppid INTEGER,
  parent_id INTEGER,
  session_id INTEGER,
  start_ns INTEGER NOT NULL,
  kstart_ns INTEGER NOT NULL,
  uid INTEGER,
  comm TEXT NOT NULL,
  exe TEXT,
  argv TEXT NOT NULL,          -- JSON array of strings
  argv_clipped INTEGER NOT NULL DEFAULT 0,
  cwd TEXT,
  exec_ns INTEGER,
  exit_ns INTEGER,
  exit_code INTEGER,
  exit_signal INTEGER,
  core_dumped INTEGER NOT NULL DEFAULT 0,
  seeded INTEGER NOT NULL DEFAULT 0,
  peak_rss_kb INTEGER
);
CREATE INDEX processes_session ON processes(session_id, start_ns);
CREATE INDEX processes_start ON processes(start_ns);
CREATE INDEX processes_parent ON processes(parent_id);

CREATE TABLE execs (
  id INTEGER PRIMARY KEY,
  process_id INTEGER NOT NULL,
  ts_ns INTEGER NOT NULL,
  filename TEXT NOT NULL,
  argv TEXT NOT NULL,
  cwd TEXT,
  ret INTEGER NOT NULL
);
CREATE INDEX execs_process ON execs(process_id, ts_ns);
CREATE INDEX execs_ts ON execs(ts_ns);

CREATE TABLE file_ops (
  id INTEGER PRIMARY KEY,
  process_id INTEGER NOT NULL,
  session_id INTEGER,
  op TEXT NOT NULL,
  path TEXT NOT NULL,
  path2 TEXT,
  flags INTEGER,
  result INTEGER NOT NULL,
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  first_ns INTEGER NOT NULL,
  last_ns INTEGER NOT NULL,
  path_clipped INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX file_ops_session ON file_ops(session_id, first_ns);
CREATE INDEX file_ops_process ON file_ops(process_id);
CREATE INDEX file_ops_first ON file_ops(first_ns);

CREATE TABLE net_conns (
  id INTEGER PRIMARY KEY,
  process_id INTEGER NOT NULL,
  session_id INTEGER,
  op TEXT NOT NULL,
  family TEXT NOT NULL,
  proto TEXT,
  addr TEXT NOT NULL,
  port INTEGER,
  host TEXT,
  result INTEGER NOT NULL,
  count INTEGER NOT NULL,
  bytes_sent INTEGER NOT NULL DEFAULT 0,
  bytes_recv INTEGER NOT NULL DEFAULT 0,
  first_ns INTEGER NOT NULL,
  last_ns INTEGER NOT NULL
);
CREATE INDEX net_conns_session ON net_conns(session_id, first_ns);
CREATE INDEX net_conns_first ON net_conns(first_ns);

CREATE TABLE tls_targets (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  build_id TEXT,
  sha256 TEXT,
  stack TEXT,
  status TEXT NOT NULL,
  detail TEXT NOT NULL,
  probes TEXT NOT NULL,
  ts_ns INTEGER NOT NULL
);

CREATE TABLE tls_conns (
  id INTEGER PRIMARY KEY,
  process_id INTEGER,
  session_id INTEGER,
  conn_ptr TEXT NOT NULL,
  stack TEXT,
  protocol TEXT,
  host TEXT,
  first_ns INTEGER NOT NULL,
  last_ns INTEGER NOT NULL,
  bytes_out INTEGER NOT NULL DEFAULT 0,
  bytes_in INTEGER NOT NULL DEFAULT 0,
  lost_bytes INTEGER NOT NULL DEFAULT 0,
  lost_events INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tls_conns_session ON tls_conns(session_id, first_ns);

CREATE TABLE tls_chunks (
  id INTEGER PRIMARY KEY,
  conn_id INTEGER NOT NULL,
  dir INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  ts_ns INTEGER NOT NULL,
  orig_len INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX tls_chunks_conn ON tls_chunks(conn_id, dir, seq);

CREATE TABLE http_exchanges (
  id INTEGER PRIMARY KEY,
  conn_id INTEGER,
  process_id INTEGER,
  session_id INTEGER,
  stream_id INTEGER,
  protocol TEXT NOT NULL,
  method TEXT,
  host TEXT,
  path TEXT,
  status INTEGER,
  req_headers TEXT NOT NULL,
  resp_headers TEXT NOT NULL,
  req_body BLOB,
  resp_body BLOB,
  start_ns INTEGER NOT NULL,
  first_byte_ns INTEGER,
  end_ns INTEGER,
  complete INTEGER NOT NULL,
  error TEXT
);
CREATE INDEX http_exchanges_session ON http_exchanges(session_id, start_ns);
CREATE INDEX http_exchanges_conn ON http_exchanges(conn_id);

CREATE TABLE llm_calls (
  id INTEGER PRIMARY KEY,
  exchange_id INTEGER,
  session_id INTEGER,
  process_id INTEGER,
  provider TEXT NOT NULL,
  host TEXT,
  endpoint TEXT NOT NULL,
  streaming INTEGER NOT NULL,
  request_model TEXT,
  response_model TEXT,
  system_prompt TEXT,
  request_json TEXT,
  response_json TEXT,
  response_text TEXT,
  thinking TEXT,
  stop_reason TEXT,
  input_tokens INTEGER,
  output_tokens INTEGER,
  cache_read_tokens INTEGER,
  cache_write_tokens INTEGER,
  reasoning_tokens INTEGER,
  cost_usd REAL,
  http_status INTEGER,
  error TEXT,
  start_ns INTEGER NOT NULL,
  first_token_ns INTEGER,
  end_ns INTEGER,
  incomplete INTEGER NOT NULL
);
CREATE INDEX llm_calls_session ON llm_calls(session_id, start_ns);
CREATE INDEX llm_calls_start ON llm_calls(start_ns);

CREATE TABLE tool_calls (
  id INTEGER PRIMARY KEY,
  llm_call_id INTEGER NOT NULL,
  session_id INTEGER,
  call_id TEXT NOT NULL,
  name TEXT NOT NULL,
  input_json TEXT NOT NULL,
  ts_ns INTEGER NOT NULL,
  result_llm_call_id INTEGER,
  result_text TEXT,
  result_is_error INTEGER,
  result_ns INTEGER
);
CREATE INDEX tool_calls_session ON tool_calls(session_id, ts_ns);
CREATE INDEX tool_calls_llm ON tool_calls(llm_call_id);
CREATE INDEX tool_calls_call_id ON tool_calls(call_id);

CREATE TABLE causal_links (
  id INTEGER PRIMARY KEY,
  tool_call_id INTEGER NOT NULL,
  target_kind TEXT NOT NULL,
  target_id INTEGER NOT NULL,
  method TEXT NOT NULL,
  confidence REAL NOT NULL
);
CREATE INDEX causal_links_tool ON causal_links(tool_call_id);
CREATE INDEX causal_links_target ON causal_links(target_kind, target_id);

CREATE TABLE losses (
  id INTEGER PRIMARY KEY,
  ts_ns INTEGER NOT NULL,
  source TEXT NOT NULL,
  process_id INTEGER,
  conn_id INTEGER,
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  detail TEXT
);
CREATE INDEX losses_ts ON losses(ts_ns);

CREATE TABLE resource_samples (
  process_id INTEGER NOT NULL,
  ts_ns INTEGER NOT NULL,
  cpu_pct REAL NOT NULL,
  rss_kb INTEGER NOT NULL,
  PRIMARY KEY (process_id, ts_ns)
) WITHOUT ROWID;
CREATE INDEX resource_samples_ts ON resource_samples(ts_ns);

-- Per-second activity counts for the timeline scrubber: a seek reads buckets, never the whole recording.
CREATE TABLE activity (
  sec INTEGER PRIMARY KEY,     -- Unix seconds
  proc_events INTEGER NOT NULL DEFAULT 0,
  file_ops INTEGER NOT NULL DEFAULT 0,
  net_events INTEGER NOT NULL DEFAULT 0,
  llm_calls INTEGER NOT NULL DEFAULT 0,
  tokens INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  losses INTEGER NOT NULL DEFAULT 0
);
`;
