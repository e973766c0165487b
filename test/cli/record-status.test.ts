/** record's live status (terminal title): the same figure formats as top and report (src/present). */
import { describe, expect, it } from 'vitest';
import { statusLine, titleEscape } from '../../src/cli/record-status';

describe('record status line', () => {
  const f = { processes: 3, filesChanged: 2, fileOps: 9, llmCalls: 4, tokens: 12_345, costUsd: 0.0123, lost: 0 };

  it('prints elapsed time, tokens and cost with the shared formatters', () => {
    expect(statusLine(f, 65.2)).toBe('agentsight 1m05s · 3 procs · 2 files changed · 4 LLM calls · 12.3k tokens · $0.0123');
    expect(statusLine({ ...f, costUsd: null, lost: 7 }, 3.5, true)).toBe(
      'agentsight 3.50s · 3 procs · 2 files changed · 4 LLM calls · 12.3k tokens · $? · 7 LOST · counting later (machine busy)',
    );
  });

  it('keeps control characters of the text out of the title escape', () => {
    expect(titleEscape('a\x1bb\nc')).toBe('\x1b]0;a b c\x07');
  });
});
