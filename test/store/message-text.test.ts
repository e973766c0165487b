// Issue 22: the prompt of a call is the last *user* turn's text, for every provider, from the real agents' requests
// (test/fixtures/llm: Claude Code, Codex, Gemini CLI against the fake provider) and the scripted clients' — never an
// agent's system plumbing, never the provider's JSON; tool results are shown as such. Read both from the request
// (the TUI's call detail) and through the store's text query (the TUI's search, `report prompts`).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecording, openRecording, type RecordingReader } from '../../src/store';
import { promptText, storedPromptText, TOOL_RESULT_MARK } from '../../src/store/message-text';
import { decodeFixture, loadFixture } from '../protocols/llm/fixture-util';
import { tempDir } from '../helpers/capture';

const requests = (name: string): string[] => decodeFixture(loadFixture(name)).calls.filter((c) => c.call.endpoint !== '/v1/messages/count_tokens').map((c) => c.call.requestJson!);

/** fixture → the prompt of each of its calls. */
const WANT: Record<string, string[]> = {
  // Call 1's last message is a "system" role entry Claude Code appends (agent types); before it the user's turn holds
  // a <system-reminder> block and then the words. Call 2 sends the Bash result back.
  'claude-code-2.1.197-print': ['write hello to /tmp/x', `${TOOL_RESULT_MARK} (Bash completed with no output)`],
  // Turn 1: developer instructions and an <environment_context> user message precede the words.
  'codex-0.169-exec-turn1': ['write hello to /tmp/x'],
  'codex-0.169-exec-turn2': [`${TOOL_RESULT_MARK} Chunk ID: 348c05\nWall time: 6.6810 seconds\nProcess exited with code 0\nOriginal token count: 0\nOutput:`],
  'gemini-cli-0.61-session': ['write hello to /tmp/x', 'write hello to /tmp/x', `${TOOL_RESULT_MARK} <untrusted_context>\nOutput: (empty)\nProcess Group PGID: 24389\n</untrusted_context>`],
  'anthropic-stream-h2': ['Write hello to /tmp/x', `${TOOL_RESULT_MARK} (no output)`],
  'openai-chat-curl-h2': [`${TOOL_RESULT_MARK} exit code 0`],
  'openai-chat-stream-fetch': ['Write hello to /tmp/x'],
  'openai-responses-ws': ['Write hello to /tmp/x', `${TOOL_RESULT_MARK} {"output":"","metadata":{"exit_code":0}}`],
  'gemini-json-h1-gzip': [`${TOOL_RESULT_MARK} Exit Code: 0`],
};

describe('the prompt of a call', () => {
  it('is the last user turn of the request, for every provider and agent', () => {
    for (const [name, want] of Object.entries(WANT)) {
      const got = requests(name).map(promptText);
      expect(got.slice(-want.length), name).toEqual(want);
    }
  });

  it('never shows JSON or plumbing when the user said something', () => {
    for (const name of Object.keys(WANT)) {
      for (const p of requests(name).map(promptText)) {
        expect(p, name).not.toBeNull();
        expect(p!.startsWith('[{') || p!.startsWith('{"'), `${name}: ${p}`).toBe(false);
        expect(p, name).not.toMatch(/^<system-reminder>|^# Environment|^Available agent types|^<environment_context>|^<skills_instructions>/);
      }
    }
  });

  it('reads a long turn from its tail, where the words are', () => {
    const reminder = { type: 'text', text: `<system-reminder>\n${'context '.repeat(5000)}\n</system-reminder>` };
    const turn = JSON.stringify({ role: 'user', content: [reminder, { type: 'text', text: 'fix the "flaky" test' }] });
    expect(storedPromptText(turn.slice(-400))).toBe('fix the "flaky" test');
    const result = JSON.stringify({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'x'.repeat(9000) + ' done' }] });
    expect(storedPromptText(result.slice(-100), true)).toMatch(/^\[tool result\] …x+ done$/);
  });

  describe('through the store (search, report prompts)', () => {
    let dir: string;
    let store: RecordingReader;
    beforeAll(() => {
      dir = tempDir('as-prompt-');
      const file = path.join(dir, 'p.db');
      const st = createRecording(file);
      let id = 0;
      for (const name of Object.keys(WANT)) {
        for (const requestJson of requests(name)) {
          id++;
          st.putLlmCall({
            id, exchangeId: id, sessionId: null, processId: null, provider: 'anthropic', host: null, endpoint: '/v1/messages', streaming: false,
            requestModel: name, responseModel: null, systemPrompt: null, requestJson, responseJson: null, responseText: null, thinking: null,
            stopReason: null, inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null,
            costUsd: null, httpStatus: 200, error: null, startNs: 1e18 + id * 1e9, firstTokenNs: null, endNs: null, incomplete: false,
          });
        }
      }
      st.finalize();
      st.close();
      store = openRecording(file);
    });
    afterAll(() => store?.close());

    it('gives the same text as the request, whole or from a short tail', () => {
      const byModel = new Map<number, string>();
      for (const c of store.llmCalls({ full: true })) byModel.set(c.id, promptText(c.requestJson)!);
      for (const maxChars of [4000, 400]) {
        const texts = store.llmCallTexts({ maxChars });
        expect(texts).toHaveLength(byModel.size);
        for (const t of texts) expect(t.prompt, `call ${t.id} at ${maxChars}`).toBe(byModel.get(t.id));
      }
    });
  });
});
