/**
 * Gemini CLI chats: `$GEMINI_CLI_HOME/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl` (GEMINI_CLI_HOME
 * defaults to the home directory; subagent chats sit in `chats/<parent-session>/`). <project> is a slug whose
 * `.project_root` file names the project's directory (older releases used a SHA-256 of the path, without that file).
 *
 * Current releases (0.61) append JSON lines: a metadata record {sessionId, projectHash, startTime …}, message records
 * {id, timestamp, type: 'user' | 'gemini' | …, model, tokens: {input, output, cached, thoughts, tool, total}},
 * `{$set: {...}}` metadata updates and `{$rewindTo: id}`. A message is re-appended whole when it changes (tokens
 * arrive after the text), so the last record of an id wins. Older releases wrote one `.json` document
 * {sessionId, messages: [...]}; resuming such a session converts it into a `.jsonl` beside it, so messages are
 * de-duplicated across files by (sessionId, message id). A rewind drops messages from the conversation, not from
 * the bill: their tokens were spent, so they still count.
 *
 * Gemini's promptTokenCount (`input`) includes the cached part; `output` (candidates) excludes thoughts, which are
 * billed as output: the collector's convention adds them (types.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { plural } from '../../present';
import { findFiles, isDir, num, obj, parseObject, readLines, str, subdirs, timeMs } from './files';
import { emptyStats, type FileProblem, type LocalUsageEntry, type SourceResult } from './types';

export function geminiRoot(home: string, env: Readonly<Record<string, string | undefined>>): string {
  const configured = env['GEMINI_CLI_HOME']?.trim();
  return path.join(configured ? configured : home, '.gemini', 'tmp');
}

function projectOf(projectDir: string): string {
  try {
    const root = fs.readFileSync(path.join(projectDir, '.project_root'), 'utf8').trim();
    if (root) return root;
  } catch {
    // Older layout: the directory is a hash of the project path, and that is all there is to show.
  }
  return path.basename(projectDir);
}

interface ParsedChat {
  sessionId: string | null;
  messages: Array<Record<string, unknown>>;
  broken: number;
  lines: number;
  fatal: string | null;
}

function parseJsonl(file: string): ParsedChat {
  const read = readLines(file);
  if ('error' in read) return { sessionId: null, messages: [], broken: 0, lines: 0, fatal: `unreadable: ${read.error}` };
  let sessionId: string | null = null;
  let broken = 0;
  const byId = new Map<string, Record<string, unknown>>();
  for (const line of read.lines) {
    const rec = parseObject(line);
    if (!rec) {
      broken++;
      continue;
    }
    if (typeof rec['id'] === 'string') {
      byId.delete(rec['id']); // re-insert so the map keeps the order of the latest record
      byId.set(rec['id'], rec);
    } else if (typeof rec['sessionId'] === 'string') {
      sessionId ??= rec['sessionId'];
    } else if (obj(rec['$set']) && typeof obj(rec['$set'])?.['sessionId'] === 'string') {
      sessionId ??= obj(rec['$set'])?.['sessionId'] as string;
    }
  }
  return { sessionId, messages: [...byId.values()], broken, lines: read.lines.length, fatal: null };
}

function parseLegacyJson(file: string): ParsedChat {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { sessionId: null, messages: [], broken: 0, lines: 0, fatal: `unreadable: ${(err as Error).message}` };
  }
  const doc = parseObject(text);
  if (!doc) return { sessionId: null, messages: [], broken: 1, lines: 1, fatal: 'not valid JSON (truncated while being written?)' };
  const messages = Array.isArray(doc['messages']) ? (doc['messages'].filter((m) => obj(m)) as Array<Record<string, unknown>>) : [];
  return { sessionId: str(doc['sessionId']), messages, broken: 0, lines: 1, fatal: null };
}

export function readGeminiCli(home: string, env: Readonly<Record<string, string | undefined>>): SourceResult {
  const root = geminiRoot(home, env);
  const roots = isDir(root) ? [root] : [];
  const stats = emptyStats('gemini-cli', roots);
  const entries: LocalUsageEntry[] = [];
  const seen = new Set<string>();
  for (const projectDir of roots.length ? subdirs(root) : []) {
    const chats = path.join(projectDir, 'chats');
    if (!isDir(chats)) continue;
    const project = projectOf(projectDir);
    // .json before .jsonl of the same name: the legacy file is the original, the .jsonl its continuation.
    const files = findFiles(chats, (n) => n.endsWith('.json') || n.endsWith('.jsonl'), 2);
    for (const file of files) {
      stats.files++;
      const chat = file.endsWith('.jsonl') ? parseJsonl(file) : parseLegacyJson(file);
      stats.lines += chat.lines;
      const problem: FileProblem | null = chat.fatal
        ? { file, brokenLines: chat.broken, message: chat.fatal }
        : chat.broken
          ? { file, brokenLines: chat.broken, message: `${plural(chat.broken, 'unparseable line')} skipped` }
          : null;
      let broken = chat.broken;
      const sessionId = chat.sessionId ?? path.basename(file).replace(/\.jsonl?$/, '');
      for (const m of chat.messages) {
        if (m['type'] !== 'gemini') continue;
        const tokens = obj(m['tokens']);
        if (!tokens) continue; // a response whose usage had not arrived when the file was last written
        const ts = timeMs(m['timestamp']);
        if (ts === null) {
          broken++;
          continue;
        }
        const key = `${sessionId}:${String(m['id'])}`;
        if (seen.has(key)) {
          stats.duplicates++;
          continue;
        }
        seen.add(key);
        const thoughts = num(tokens['thoughts']);
        entries.push({
          agent: 'gemini-cli',
          provider: 'gemini',
          sessionId,
          project,
          model: str(m['model']),
          tsMs: ts,
          usage: {
            // toolUsePromptTokenCount is prompt input Gemini reports apart from promptTokenCount.
            inputTokens: num(tokens['input']) + num(tokens['tool']),
            outputTokens: num(tokens['output']) + thoughts,
            cacheReadTokens: num(tokens['cached']),
            cacheWriteTokens: 0,
            reasoningTokens: thoughts,
          },
          file,
        });
      }
      stats.brokenLines += broken;
      if (problem) stats.problems.push({ ...problem, brokenLines: broken });
      else if (broken) stats.problems.push({ file, brokenLines: broken, message: `${plural(broken, 'record')} without a timestamp skipped` });
    }
  }
  stats.entries = entries.length;
  return { entries, stats };
}
