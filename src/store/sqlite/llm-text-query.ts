/** Searchable text of LLM calls: the last user turn of each request and the start of its response, in SQL. */
import { storedPromptText } from '../message-text';
import type { LlmCallText, TimeQuery } from '../store';
import type { ReadContext } from './read-context';
import { END_OF_TIME, limit } from './statements';

export function llmCallTexts(c: ReadContext, q: TimeQuery & { maxChars?: number }): LlmCallText[] {
  const max = Math.max(16, Math.floor(q.maxChars ?? 400));
  const where = ['start_ns <= ?'];
  const params: unknown[] = [q.atNs ?? END_OF_TIME];
  if (q.sessionId !== undefined) { where.push('session_id = ?'); params.push(q.sessionId); }
  // The prompt is the last user turn (message-text.ts isUserTurn: not a system or developer message an agent
  // appends, not an assistant turn), per provider shape; of a long one only the tail, where the user's words are.
  const rows = c.st.stmt(
      `SELECT id, sessionId, startNs, response,
         CASE WHEN length(turn) > ${max * 4} THEN substr(turn, -${max * 4}) ELSE turn END AS prompt,
         (json_valid(turn) AND (json_extract(turn, '$.role') = 'tool' OR json_extract(turn, '$.type') = 'function_call_output'
           OR instr(turn, '"tool_result"') > 0 OR instr(turn, '"functionResponse"') > 0)) AS toolResult
       FROM (SELECT id, session_id AS sessionId, start_ns AS startNs, substr(response_text, 1, ${max}) AS response,
         CASE WHEN json_valid(request_json) THEN COALESCE(
           (SELECT value FROM json_each(request_json, CASE WHEN json_type(request_json, '$.messages') = 'array' THEN '$.messages'
               WHEN json_type(request_json, '$.input') = 'array' THEN '$.input' ELSE '$.contents' END)
             WHERE type = 'text' OR (type = 'object' AND COALESCE(json_extract(value, '$.role'), 'user') IN ('user', 'tool')
               AND COALESCE(json_extract(value, '$.type'), 'message') IN ('message', 'function_call_output'))
             ORDER BY key DESC LIMIT 1),
           CASE WHEN json_type(request_json, '$.input') = 'text' THEN json_quote(json_extract(request_json, '$.input')) END) END AS turn
         FROM llm_calls WHERE ${where.join(' AND ')} ORDER BY start_ns DESC, id DESC ${limit(q)}) ORDER BY startNs DESC, id DESC`,
    )
    .all(...params) as Array<LlmCallText & { toolResult: number | null }>;
  return rows.map(({ toolResult, ...t }) => ({ ...t, prompt: storedPromptText(t.prompt, toolResult === 1) }));
}
