import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_AGENT_PATTERNS, loadAgentPatterns, recogniseAgent } from '../../../src/collector/process/agents';

const P = BUILTIN_AGENT_PATTERNS;

describe('agent recognition', () => {
  it('names agents by executable and by interpreter + script', () => {
    expect(recogniseAgent('/home/u/.local/bin/claude', ['claude'], P)).toBe('claude-code');
    expect(recogniseAgent('/usr/bin/node', ['node', '/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js'], P)).toBe('claude-code');
    expect(recogniseAgent('/x/vendor/x86_64-unknown-linux-musl/bin/codex', ['codex', 'exec'], P)).toBe('codex');
    expect(recogniseAgent('/usr/bin/node', ['node', '/usr/lib/node_modules/@google/gemini-cli/dist/index.js'], P)).toBe('gemini-cli');
    expect(recogniseAgent('/usr/bin/python3', ['python3', '/usr/local/bin/aider'], P)).toBe('aider');
  });

  it('does not take an agent\'s tool commands for agents', () => {
    expect(recogniseAgent('/usr/bin/bash', ['bash', '-c', 'source ~/.claude/snap.sh && eval "claude --version"'], P)).toBeNull();
    expect(recogniseAgent('/usr/bin/grep', ['grep', '-r', 'codex', '.'], P)).toBeNull();
    expect(recogniseAgent('/usr/bin/true', ['true'], P)).toBeNull();
  });

  it('takes user patterns from AGENTSIGHT_AGENTS first, ignoring malformed entries', () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'agents-')), 'agents.json');
    fs.writeFileSync(f, JSON.stringify([{ agent: 'my-agent', argv: '(^|/)myagent( |$)' }, { agent: 'broken' }, 42]));
    const patterns = loadAgentPatterns({ AGENTSIGHT_AGENTS: f });
    expect(recogniseAgent('/opt/myagent', ['/opt/myagent', 'run'], patterns)).toBe('my-agent');
    expect(patterns.some((p) => p.agent === 'broken')).toBe(false);
    expect(loadAgentPatterns({ AGENTSIGHT_AGENTS: '/nonexistent.json' })).toHaveLength(P.length);
  });
});
