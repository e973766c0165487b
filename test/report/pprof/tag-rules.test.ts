/** Tag rules and the micro-dollar rounding of report pprof: pure functions, edge cases. */
import { describe, expect, it } from 'vitest';
import { costFigure } from '../../../src/store/figures';
import { ReportError } from '../../../src/report/errors';
import { filePathFrames } from '../../../src/report/pprof/file-frames';
import { Tagger, parseTagRule, toolInput } from '../../../src/report/pprof/tag-rules';
import { MicroDollars } from '../../../src/report/pprof/token-facts';
import { callTokensFromCounts } from '../../../src/report/pprof/token-split';

const tag = (t: Tagger, name: string, input: unknown) => t.tool(name, toolInput(JSON.stringify(input)).command);

describe('tag rules', () => {
  const t = new Tagger([]);
  it('built-in rules on the tools and commands of Claude Code, Codex and Gemini CLI', () => {
    expect(tag(t, 'Bash', { command: 'npm test' })).toBe('test');
    expect(tag(t, 'Bash', { command: 'make test' })).toBe('test'); // test before build
    expect(tag(t, 'shell', { command: ['bash', '-lc', 'cargo test -q'] })).toBe('test');
    expect(tag(t, 'run_shell_command', { command: 'npx tsc -p .' })).toBe('build');
    expect(tag(t, 'Bash', { command: 'cd app && git status' })).toBe('git');
    expect(tag(t, 'Bash', { command: 'rg TODO src' })).toBe('search');
    expect(tag(t, 'Grep', { pattern: 'x' })).toBe('search');
    expect(tag(t, 'Edit', { file_path: '/app/src/sum.test.ts' })).toBe('edit'); // not a test: the input is not matched
    expect(tag(t, 'shell', { command: ['apply_patch', '*** Begin Patch'] })).toBe('edit');
    // No rule: the tool's own name, never a catch-all.
    expect(tag(t, 'Bash', { command: 'echo hello > /tmp/x' })).toBe('Bash');
    expect(tag(t, 'Read', { file_path: '/app/a.ts' })).toBe('Read');
    expect(t.tool('Bash', toolInput('not json').command)).toBe('Bash');
    expect(t.prompt('fix the failing test')).toBe('prompt');
  });

  it('user rules come first; prompt rules see the prompt text', () => {
    const u = new Tagger([parseTagRule('tool:unit=npm test'), parseTagRule('prompt:fixing=\\bfix')]);
    expect(tag(u, 'Bash', { command: 'npm test' })).toBe('unit');
    expect(tag(u, 'Bash', { command: 'pytest' })).toBe('test');
    expect(u.prompt('Please FIX the bug')).toBe('fixing');
    expect(u.prompt(null)).toBe('prompt');
    expect(u.classifiesPrompts).toBe(true);
    expect(t.classifiesPrompts).toBe(false);
  });

  it('bad rules are one-line ReportErrors', () => {
    for (const bad of ['tool', 'tool:x', 'file:x=y', 'tool:=y', 'tool:a;b=y', 'tool:x=(']) {
      expect(() => parseTagRule(bad), bad).toThrow(ReportError);
    }
  });
});

describe('micro-dollars, token leaves, file frames', () => {
  it('the running sum rounds to exactly costFigure of the float sum, each call within a micro-dollar', () => {
    const costs = [0.0000004, 0.0000004, 0.0000004, 0.1234565, 1e-9, 0.3, 0.0200005, 2.5e-7];
    const m = new MicroDollars();
    let sum = 0;
    let micro = 0;
    for (const c of costs) {
      const v = m.add(c);
      expect(Math.abs(v - c * 1e6)).toBeLessThanOrEqual(1);
      micro += v;
      sum += c;
    }
    expect(micro / 1e6).toBe(costFigure(sum));
    // Three 0.4 µ$ calls: rounding each would give 0, the running sum gives 1.
    const few = new MicroDollars();
    expect([few.add(4e-7), few.add(4e-7), few.add(4e-7)]).toEqual([0, 1, 0]);
  });

  it('token leaves add up to the views\' total; reasoning above output is capped', () => {
    expect(callTokensFromCounts({ input: 10, cacheRead: 20, cacheWrite: 5, output: 100, reasoning: 30 })).toEqual([10, 20, 5, 70, 30]);
    expect(callTokensFromCounts({ input: 0, cacheRead: 0, cacheWrite: 0, output: 10, reasoning: 50 })).toEqual([0, 0, 0, 0, 10]);
  });

  it('file paths become one frame per directory, relative to the project', () => {
    expect(filePathFrames('/home/dev/app/src/a.ts', '/home/dev/app')).toEqual(['src', 'a.ts']);
    expect(filePathFrames('/etc/hosts', '/home/dev/app')).toEqual(['/etc', 'hosts']);
    expect(filePathFrames('/', '/home/dev/app')).toEqual(['/']);
  });
});
