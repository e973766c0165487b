/**
 * Schema version 7: MCP servers a traced agent talked to and the JSON-RPC requests (tool calls, listings …) and
 * notifications exchanged with them (docs/mcp.md). Older files have neither table: readers answer with no rows.
 */
export const migration007 = `
CREATE TABLE mcp_servers (
  id INTEGER PRIMARY KEY,
  session_id INTEGER,
  process_id INTEGER,
  client_process_id INTEGER,
  transport TEXT NOT NULL,
  channel TEXT NOT NULL,
  command TEXT,
  name TEXT,
  version TEXT,
  protocol_version TEXT,
  first_ns INTEGER NOT NULL,
  last_ns INTEGER NOT NULL,
  calls INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  malformed INTEGER NOT NULL,
  lost_bytes INTEGER NOT NULL
);
CREATE INDEX mcp_servers_session ON mcp_servers(session_id);

CREATE TABLE mcp_calls (
  id INTEGER PRIMARY KEY,
  server_id INTEGER NOT NULL,
  session_id INTEGER,
  kind TEXT NOT NULL,
  from_side TEXT NOT NULL,
  rpc_id TEXT,
  method TEXT NOT NULL,
  target TEXT,
  params_json TEXT,
  result_json TEXT,
  error_code INTEGER,
  error_message TEXT,
  is_error INTEGER NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER,
  request_bytes INTEGER NOT NULL,
  response_bytes INTEGER NOT NULL,
  tool_call_id INTEGER
);
CREATE INDEX mcp_calls_server ON mcp_calls(server_id, start_ns);
CREATE INDEX mcp_calls_session ON mcp_calls(session_id, start_ns);
CREATE INDEX mcp_calls_tool_call ON mcp_calls(tool_call_id);
`;
