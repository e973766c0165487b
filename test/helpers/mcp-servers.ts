/** Real MCP servers from npm (scripts/install-mcp-servers.sh into .cache/mcp-servers): name → entry script. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './bpf-env';

let cached: Record<string, string> | null = null;

/** server-filesystem, server-everything → their entry scripts (run with node); installs on first use. */
export function mcpServers(): Record<string, string> {
  if (cached) return cached;
  const out = execFileSync('sh', [path.join(ROOT, 'scripts', 'install-mcp-servers.sh')], { encoding: 'utf8', timeout: 600_000 });
  cached = Object.fromEntries(out.trim().split('\n').map((l) => l.split('\t') as [string, string]));
  return cached;
}
