/** The real agent binaries (and bun), installed from npm by scripts/install-agents.sh into .cache/agents. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './bpf-env';

let cached: Record<string, string> | null = null;

/** name → binary path (bun, claude, codex, gemini …); installs on first use. Throws when the install fails. */
export function agentBinaries(): Record<string, string> {
  if (cached) return cached;
  const out = execFileSync('sh', [path.join(ROOT, 'scripts', 'install-agents.sh')], { encoding: 'utf8', timeout: 900_000 });
  cached = Object.fromEntries(out.trim().split('\n').map((l) => l.split('\t') as [string, string]));
  return cached;
}

let bunCached: Record<string, string> | null = null;

/**
 * version → bun binary, for the last patch release of each Bun minor (scripts/install-bun-versions.sh, from npm into
 * .cache/bun-versions); installs on first use. Throws when the install fails.
 */
export function bunVersions(): Record<string, string> {
  if (bunCached) return bunCached;
  const out = execFileSync('sh', [path.join(ROOT, 'scripts', 'install-bun-versions.sh')], { encoding: 'utf8', timeout: 900_000 });
  bunCached = Object.fromEntries(out.trim().split('\n').map((l) => l.split('\t') as [string, string]));
  return bunCached;
}
