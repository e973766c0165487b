/**
 * Claude Code's transcripts: `<config>/projects/<project>/<session-id>.jsonl` (subagents under
 * `<project>/<session-id>/subagents/*.jsonl`), where <config> is $CLAUDE_CONFIG_DIR (comma-separated list allowed),
 * else ~/.config/claude and ~/.claude. One JSON object per line; assistant lines carry `message.usage`, `message.id`,
 * `message.model` and a top-level `requestId`, `sessionId`, `cwd`, `timestamp`.
 *
 * De-duplication as ccusage does it: one response per (message.id, requestId) across all files — Claude Code writes a
 * line per content block of a streamed message, and resumed sessions copy earlier lines into the new file. Where
 * ccusage keeps the first line we keep the one with the most output tokens (the last, final snapshot of the stream:
 * the first lines carry placeholder output counts; ccusage issues #888, #901). Lines without a requestId (third-party
 * gateways) de-duplicate on message.id alone, as ccusage does since its PR #985.
 */
import path from 'node:path';
import { plural } from '../../present';
import { findFiles, isDir, num, obj, parseObject, readLines, str, subdirs, timeMs } from './files';
import { emptyStats, type LocalUsageEntry, type SourceResult } from './types';

export function claudeRoots(home: string, env: Readonly<Record<string, string | undefined>>): string[] {
  const configured = env['CLAUDE_CONFIG_DIR']?.trim();
  const bases = configured ? configured.split(',').map((s) => s.trim()).filter(Boolean) : [path.join(home, '.config', 'claude'), path.join(home, '.claude')];
  return bases.map((b) => path.join(b, 'projects'));
}

/** Claude Code names a project directory after its cwd with every non-alphanumeric character replaced by '-'. */
function projectFromDir(dir: string): string {
  return path.basename(dir);
}

export function readClaudeCode(home: string, env: Readonly<Record<string, string | undefined>>): SourceResult {
  const roots = claudeRoots(home, env).filter(isDir);
  const stats = emptyStats('claude-code', roots);
  const kept = new Map<string, LocalUsageEntry>();
  const entries: LocalUsageEntry[] = [];
  for (const root of roots) {
    for (const projectDir of subdirs(root)) {
      for (const file of findFiles(projectDir, (n) => n.endsWith('.jsonl'))) {
        stats.files++;
        const read = readLines(file);
        if ('error' in read) {
          stats.problems.push({ file, brokenLines: 0, message: `unreadable: ${read.error}` });
          continue;
        }
        let broken = 0;
        for (const line of read.lines) {
          stats.lines++;
          const rec = parseObject(line);
          if (!rec) {
            broken++;
            continue;
          }
          if (rec['type'] !== 'assistant') continue;
          const msg = obj(rec['message']);
          const usage = obj(msg?.['usage']);
          if (!msg || !usage) continue;
          const model = str(msg['model']);
          // Claude Code's own placeholder for messages it made up (interruptions, errors): no API call, no tokens.
          if (model === '<synthetic>') continue;
          const ts = timeMs(rec['timestamp']);
          if (ts === null) {
            broken++;
            continue;
          }
          const cacheWrite = num(usage['cache_creation_input_tokens']);
          const cacheRead = num(usage['cache_read_input_tokens']);
          const entry: LocalUsageEntry = {
            agent: 'claude-code',
            provider: 'anthropic',
            sessionId: str(rec['sessionId']) ?? path.basename(file, '.jsonl'),
            project: str(rec['cwd']) ?? projectFromDir(projectDir),
            model,
            tsMs: ts,
            usage: {
              // Anthropic reports cache reads and writes apart from input_tokens; the convention counts them in.
              inputTokens: num(usage['input_tokens']) + cacheWrite + cacheRead,
              outputTokens: num(usage['output_tokens']),
              cacheReadTokens: cacheRead,
              cacheWriteTokens: cacheWrite,
              reasoningTokens: null,
            },
            recordedCostUsd: typeof rec['costUSD'] === 'number' && Number.isFinite(rec['costUSD']) ? rec['costUSD'] : null,
            file,
          };
          const messageId = str(msg['id']);
          if (!messageId) {
            entries.push(entry);
            continue;
          }
          const key = `${messageId}:${str(rec['requestId']) ?? ''}`;
          const prev = kept.get(key);
          if (!prev) {
            kept.set(key, entry);
            entries.push(entry);
            continue;
          }
          stats.duplicates++;
          if ((entry.usage.outputTokens ?? 0) >= (prev.usage.outputTokens ?? 0)) {
            // Keep where it was first counted (its session and time), take the later, complete usage and model.
            prev.usage = entry.usage;
            prev.model = entry.model ?? prev.model;
            prev.recordedCostUsd = entry.recordedCostUsd ?? prev.recordedCostUsd;
          }
        }
        stats.brokenLines += broken;
        if (broken) stats.problems.push({ file, brokenLines: broken, message: `${plural(broken, 'unparseable line')} skipped` });
      }
    }
  }
  stats.entries = entries.length;
  return { entries, stats };
}
