/**
 * Codex rollouts: `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl` (CODEX_HOME defaults to ~/.codex).
 * Lines are `{timestamp, type, payload}`: `session_meta` (id, cwd), `turn_context` (model), `response_item`, and
 * `event_msg` whose payload type `token_count` carries `info.total_token_usage` (running total of the session) and
 * `info.last_token_usage` (the last response). OpenAI semantics: input_tokens includes cached_input_tokens and
 * output_tokens includes reasoning_output_tokens — already the collector's convention.
 *
 * De-duplication, as ccusage does now (its issues #884, #1288, #1349): Codex re-emits token_count events with an
 * unchanged running total (UI and rate-limit refreshes), so an event whose total equals the previous one in the file
 * is a repeat; and forked or resumed sessions replay their parent's events into the new file, so an event whose
 * (total, last) pair was already counted in an earlier file is a copy. A running total that drops (a resumed or
 * compacted session) starts a new baseline and its event counts.
 */
import path from 'node:path';
import { plural } from '../../present';
import { findFiles, isDir, num, obj, parseObject, readLines, str, timeMs } from './files';
import { emptyStats, type LocalUsageEntry, type SourceResult } from './types';

interface RawUsage {
  input: number;
  cached: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
  total: number;
}

function rawUsage(v: unknown): RawUsage | null {
  const o = obj(v);
  if (!o) return null;
  const input = num(o['input_tokens']);
  const output = num(o['output_tokens']);
  return {
    input,
    cached: num(o['cached_input_tokens'] ?? o['cache_read_input_tokens']),
    cacheWrite: num(o['cache_write_input_tokens']),
    output,
    reasoning: num(o['reasoning_output_tokens']),
    total: num(o['total_tokens']) || input + output,
  };
}

const same = (a: RawUsage, b: RawUsage) =>
  a.input === b.input && a.cached === b.cached && a.cacheWrite === b.cacheWrite && a.output === b.output && a.reasoning === b.reasoning && a.total === b.total;

function minus(a: RawUsage, b: RawUsage | null): RawUsage {
  const d = (x: number, y: number | undefined) => Math.max(0, x - (y ?? 0));
  return { input: d(a.input, b?.input), cached: d(a.cached, b?.cached), cacheWrite: d(a.cacheWrite, b?.cacheWrite), output: d(a.output, b?.output), reasoning: d(a.reasoning, b?.reasoning), total: d(a.total, b?.total) };
}

export function codexRoot(home: string, env: Readonly<Record<string, string | undefined>>): string {
  const configured = env['CODEX_HOME']?.trim();
  return path.join(configured ? configured : path.join(home, '.codex'), 'sessions');
}

/** rollout-2025-09-10T12-34-56-<uuid>.jsonl → the uuid. */
function idFromName(file: string): string {
  const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i.exec(file);
  return m ? m[1] : path.basename(file, '.jsonl');
}

export function readCodex(home: string, env: Readonly<Record<string, string | undefined>>): SourceResult {
  const root = codexRoot(home, env);
  const roots = isDir(root) ? [root] : [];
  const stats = emptyStats('codex', roots);
  const entries: LocalUsageEntry[] = [];
  const seenAcrossFiles = new Set<string>();
  // Rollout names start with their creation time, so path order is creation order: a parent precedes its forks.
  const files = roots.length ? findFiles(root, (n) => n.startsWith('rollout-') && n.endsWith('.jsonl')) : [];
  for (const file of files) {
    stats.files++;
    const read = readLines(file);
    if ('error' in read) {
      stats.problems.push({ file, brokenLines: 0, message: `unreadable: ${read.error}` });
      continue;
    }
    let broken = 0;
    let sessionId: string | null = null;
    let cwd: string | null = null;
    let model: string | null = null;
    let previous: RawUsage | null = null;
    const seenHere: string[] = [];
    for (const line of read.lines) {
      stats.lines++;
      const rec = parseObject(line);
      if (!rec) {
        broken++;
        continue;
      }
      const payload = obj(rec['payload']);
      switch (rec['type']) {
        case 'session_meta':
          // A fork's file holds its own session_meta first, then its parent's: the first one names this session.
          sessionId ??= str(payload?.['id']);
          cwd ??= str(payload?.['cwd']);
          continue;
        case 'turn_context':
          model = str(payload?.['model']) ?? model;
          cwd ??= str(payload?.['cwd']);
          continue;
        case 'event_msg':
          break;
        default:
          continue;
      }
      if (payload?.['type'] !== 'token_count') continue;
      const info = obj(payload['info']);
      if (!info) continue; // the first token_count of a session carries only rate limits
      const total = rawUsage(info['total_token_usage']);
      const last = rawUsage(info['last_token_usage']);
      if (!total && !last) continue;
      const ts = timeMs(rec['timestamp']);
      if (ts === null) {
        broken++;
        continue;
      }
      if (total && previous && same(total, previous)) {
        stats.duplicates++;
        continue;
      }
      const signature = JSON.stringify([total, last]);
      if (seenAcrossFiles.has(signature)) {
        stats.duplicates++;
        if (total) previous = total;
        continue;
      }
      seenHere.push(signature);
      const dropped = total && previous && total.total < previous.total;
      const delta = last ?? (total ? minus(total, dropped ? null : previous) : null);
      if (total) previous = total;
      if (!delta || (delta.input === 0 && delta.output === 0)) continue;
      model = str(info['model']) ?? model;
      entries.push({
        agent: 'codex',
        provider: 'openai-responses',
        sessionId: sessionId ?? idFromName(file),
        project: cwd ?? '(unknown)',
        model,
        tsMs: ts,
        usage: {
          inputTokens: delta.input,
          outputTokens: delta.output,
          cacheReadTokens: Math.min(delta.cached, delta.input),
          cacheWriteTokens: delta.cacheWrite,
          reasoningTokens: delta.reasoning,
        },
        file,
      });
    }
    // Copies are recognised across files only, so a file's own events are added to the set after it is read.
    for (const s of seenHere) seenAcrossFiles.add(s);
    // Entries read before the session_meta line (none in practice) still belong to this session.
    for (const e of entries) if (e.file === file && sessionId && e.sessionId !== sessionId) e.sessionId = sessionId;
    stats.brokenLines += broken;
    if (broken) stats.problems.push({ file, brokenLines: broken, message: `${plural(broken, 'unparseable line')} skipped` });
  }
  stats.entries = entries.length;
  return { entries, stats };
}
