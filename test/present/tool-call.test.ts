/** A tool call named by what it did, for every agent's input shape. */
import { describe, expect, it } from 'vitest';
import { toolCallLabel, toolCallSubject } from '../../src/present';

describe('tool calls', () => {
  it('names a shell call by its command, a file call by its path', () => {
    expect(toolCallLabel('Bash', JSON.stringify({ command: 'npm test', description: 'Run tests' }))).toBe('Bash `npm test`');
    // Codex's shell tool: an argv with a -lc script; the script is what the model asked for.
    expect(toolCallLabel('shell', JSON.stringify({ command: ['bash', '-lc', 'cargo build'], workdir: '/w' }))).toBe('shell `cargo build`');
    expect(toolCallSubject(JSON.stringify({ command: ['ls', '-la'] }))).toBe('ls -la');
    expect(toolCallLabel('Edit', JSON.stringify({ file_path: '/app/src/sum.ts', old_string: 'a' }))).toBe('Edit `/app/src/sum.ts`');
    expect(toolCallLabel('read_file', JSON.stringify({ absolute_path: '/app/README.md' }))).toBe('read_file `/app/README.md`');
    expect(toolCallLabel('Grep', JSON.stringify({ pattern: 'TODO', path: '/app' }))).toBe('Grep `TODO`');
  });

  it('falls back to compact input, raw text, or the name alone; cuts a long subject', () => {
    expect(toolCallLabel('todo', JSON.stringify({ items: [1] }))).toBe('todo `{"items":[1]}`');
    expect(toolCallLabel('x', 'not json\n at all')).toBe('x `not json at all`');
    expect(toolCallLabel('x', '{}')).toBe('x');
    const long = toolCallLabel('Bash', JSON.stringify({ command: 'echo ' + 'a'.repeat(200) }), 40);
    expect(long.length).toBeLessThanOrEqual(40);
    expect(long).toMatch(/^Bash `echo a+…`$/);
  });
});
