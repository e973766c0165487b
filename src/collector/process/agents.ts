/**
 * Which processes are AI coding agents, by executable and argv patterns: one table, extendable by users with a JSON
 * file (`$AGENTSIGHT_AGENTS` or `~/.config/agentsight/agents.json`: `[{"agent": "my-agent", "argv": "my-agent\\b"}]`).
 * Node/Python/Bun processes running an agent are recognised by argv (the script path names the package).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface AgentPattern {
  readonly agent: string;
  /** Matched against the absolute executable path. */
  readonly exe?: RegExp;
  /** Matched against argv[0] and argv[1] joined with a space (the program, or an interpreter and its script). */
  readonly argv?: RegExp;
}

export const BUILTIN_AGENT_PATTERNS: readonly AgentPattern[] = [
  { agent: 'claude-code', exe: /\/claude$/ },
  { agent: 'claude-code', argv: /@anthropic-ai\/claude-code|(^|[\s/])claude(\s|$)/ },
  { agent: 'codex', exe: /\/codex(-x86_64-unknown-linux-musl)?$/ },
  { agent: 'codex', argv: /@openai\/codex|(^|[\s/])codex(\s|$)/ },
  { agent: 'gemini-cli', argv: /@google\/gemini-cli|(^|[\s/])gemini(\s|$)/ },
  { agent: 'opencode', exe: /\/opencode$/ },
  { agent: 'opencode', argv: /(^|[\s/])opencode(\s|$)|opencode-ai/ },
  { agent: 'aider', argv: /(^|[\s/])aider(\s|$)|aider\.main|aider-chat/ },
  { agent: 'cursor-agent', argv: /(^|[\s/])cursor-agent(\s|$)/ },
];

export function loadAgentPatterns(env: NodeJS.ProcessEnv = process.env): AgentPattern[] {
  const file = env['AGENTSIGHT_AGENTS'] ?? path.join(env['HOME'] ?? os.homedir(), '.config', 'agentsight', 'agents.json');
  const extra: AgentPattern[] = [];
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Array<{ agent: string; exe?: string; argv?: string }>;
    for (const r of raw) {
      if (typeof r.agent !== 'string' || (!r.exe && !r.argv)) continue;
      extra.push({ agent: r.agent, exe: r.exe ? new RegExp(r.exe) : undefined, argv: r.argv ? new RegExp(r.argv) : undefined });
    }
  } catch {
    // no extension file (or an unreadable one): the built-in table stands
  }
  return [...extra, ...BUILTIN_AGENT_PATTERNS];
}

/** The agent a process runs, or null. */
export function recogniseAgent(exe: string | null, argv: readonly string[], patterns: readonly AgentPattern[]): string | null {
  // Only the program and its script: an agent's tool commands mention the agent in their arguments all the time
  // (`bash -c 'source ~/.claude/…'`), and those shells are not agents.
  const joined = argv.length > 1 ? `${argv[0]} ${argv[1]}` : (argv[0] ?? '');
  for (const p of patterns) {
    if (p.exe && exe && p.exe.test(exe)) return p.agent;
    if (p.argv && p.argv.test(joined)) return p.agent;
  }
  return null;
}
