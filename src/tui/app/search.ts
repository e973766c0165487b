/**
 * Fuzzy search (fuse.js) over prompts, responses, tool calls, changed file paths and process commands. The corpus is
 * bounded (the newest MAX_ITEMS items, text clipped) because a fuse query costs ~20 µs per item here (90–420 ms over
 * 20k): paths and commands share the same 6,000 items, so a query costs what it did before they were searched.
 * The corpus is read through the RecordingReader once per search session, never in the render loop; queries are
 * debounced by the app, so typing never waits on a search.
 */
import Fuse from 'fuse.js';
import type { RecordingReader } from '../../store';
import { clean, formatArgv } from '../../present';

export interface SearchItem {
  kind: 'prompt' | 'response' | 'tool' | 'file' | 'command';
  sessionId: number | null;
  /** The LLM call of a prompt, response or tool call; null for a file or a command. */
  llmCallId: number | null;
  toolCallId: number | null;
  /** The process of a command, or the (first) process that changed a file. */
  processId: number | null;
  /** The changed path of a file item (as stored, to select its row); null otherwise. */
  path: string | null;
  tsNs: number;
  /** What is matched: clipped text, a tool's name and input, a path ("a → b" for a rename), a command line. */
  text: string;
}

export interface SearchHit {
  item: SearchItem;
  score: number;
}

/** Items in the corpus at most (newest kept). */
export const MAX_ITEMS = 6000;
/** Characters of each text that are searched. */
const MAX_CHARS = 300;

/** The newest `n` of rows in time order. */
const newest = <T>(rows: readonly T[], n: number): readonly T[] => rows.slice(Math.max(0, rows.length - Math.max(0, n)));

export function buildCorpus(store: RecordingReader, atNsIn?: number): SearchItem[] {
  // Always pass a time: the store's default bound is below current Unix-ns timestamps.
  const atNs = atNsIn ?? Number.MAX_VALUE;
  const items: SearchItem[] = [];
  // A quarter of the budget for LLM calls (each gives a prompt and a response); tool calls, changed paths and
  // commands share the rest, a kind with fewer rows leaving its share to the next.
  for (const c of store.llmCallTexts({ atNs, limit: Math.floor(MAX_ITEMS / 4), maxChars: MAX_CHARS })) {
    const base = { sessionId: c.sessionId, llmCallId: c.id, toolCallId: null, processId: null, path: null, tsNs: c.startNs };
    if (c.prompt) items.push({ ...base, kind: 'prompt', text: clean(c.prompt).slice(0, MAX_CHARS) });
    if (c.response) items.push({ ...base, kind: 'response', text: clean(c.response).slice(0, MAX_CHARS) });
  }
  const share = (kindsLeft: number) => Math.floor((MAX_ITEMS - items.length) / kindsLeft);
  for (const t of newest(store.toolCalls({ atNs }), share(3))) {
    items.push({ kind: 'tool', sessionId: t.sessionId, llmCallId: t.llmCallId, toolCallId: t.id, processId: null, path: null, tsNs: t.tsNs, text: clean(`${t.name} ${t.inputJson}`).slice(0, MAX_CHARS) });
  }
  const procs = store.processes({ atNs });
  const sessionOf = new Map(procs.map((p) => [p.id, p.sessionId]));
  for (const f of newest(store.fileChanges({ atNs }), share(2))) {
    const text = f.path2 ? `${f.path} → ${f.path2}` : f.path;
    items.push({ kind: 'file', sessionId: sessionOf.get(f.processId) ?? null, llmCallId: null, toolCallId: null, processId: f.processId, path: f.path, tsNs: f.firstNs, text: clean(text).slice(0, MAX_CHARS) });
  }
  // One item per command line and session, its newest run, counted: an agent polling `git status` 40 times would
  // otherwise fill the result list and push the tool calls that matched out of sight. Processes that exec'd
  // nothing (forked subshells) have no command line of their own to find.
  const runs = new Map<string, { p: (typeof procs)[number]; text: string; n: number }>();
  for (const p of procs) {
    if (p.argv.length === 0) continue;
    const text = clean(formatArgv(p.argv)).slice(0, MAX_CHARS);
    const key = `${p.sessionId ?? ''}\0${text}`;
    const r = runs.get(key);
    runs.delete(key); // re-inserted last: the map stays in order of each command's newest run
    runs.set(key, { p, text, n: (r?.n ?? 0) + 1 });
  }
  for (const { p, text, n } of newest([...runs.values()], share(1))) {
    items.push({ kind: 'command', sessionId: p.sessionId, llmCallId: null, toolCallId: null, processId: p.id, path: null, tsNs: p.startNs, text: n > 1 ? `${text} (×${n})` : text });
  }
  return items;
}

export class SearchIndex {
  private readonly fuse: Fuse<SearchItem>;

  constructor(readonly items: readonly SearchItem[]) {
    this.fuse = new Fuse(items as SearchItem[], {
      keys: ['text'],
      includeScore: true,
      ignoreLocation: true,
      threshold: 0.3,
      minMatchCharLength: 2,
    });
  }

  /** Best matches first; equal scores in time order so n/N walk forward. */
  query(q: string, limit = 200): SearchHit[] {
    const text = q.trim();
    if (text.length < 2) return [];
    return this.fuse
      .search(text, { limit })
      .map((r) => ({ item: r.item, score: r.score ?? 1 }))
      .sort((a, b) => a.score - b.score || a.item.tsNs - b.item.tsNs);
  }
}
