/** What the readers of the agents' own session files produce for `report --local`. */
import type { LlmUsage, ProviderId } from '../../protocols/llm/types';

export type LocalAgent = 'claude-code' | 'codex' | 'gemini-cli';

/** One model response with usage, after de-duplication. Usage follows the collector's convention (types.ts). */
export interface LocalUsageEntry {
  agent: LocalAgent;
  provider: ProviderId;
  sessionId: string;
  /** The project: the agent's working directory where the file says it, else the agent's own project key. */
  project: string;
  model: string | null;
  /** Unix ms of the response. */
  tsMs: number;
  usage: LlmUsage;
  /** Cost the agent itself wrote down (older Claude Code lines carry `costUSD`); used when the price table has none. */
  recordedCostUsd?: number | null;
  file: string;
}

/** A file that was read only in part (broken lines) or not at all. */
export interface FileProblem {
  file: string;
  /** Lines (or whole JSON documents) that could not be parsed or lacked what a usage record needs. */
  brokenLines: number;
  message: string;
}

/** What one agent's reader found, with every loss counted. */
export interface SourceStats {
  agent: LocalAgent;
  /** Directories searched. */
  roots: string[];
  files: number;
  lines: number;
  /** Usage records kept. */
  entries: number;
  /** Records dropped as copies of one already counted (streamed lines, re-emitted counters, resumed files). */
  duplicates: number;
  brokenLines: number;
  problems: FileProblem[];
}

export interface SourceResult {
  entries: LocalUsageEntry[];
  stats: SourceStats;
}

export function emptyStats(agent: LocalAgent, roots: string[]): SourceStats {
  return { agent, roots, files: 0, lines: 0, entries: 0, duplicates: 0, brokenLines: 0, problems: [] };
}
