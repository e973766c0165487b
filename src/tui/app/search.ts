/**
 * Fuzzy search (fuse.js) over prompts, responses and tool calls. The corpus is bounded (the newest MAX_ITEMS items,
 * text clipped) because a fuse query costs ~20 µs per item here; queries are debounced by the app, so typing never
 * waits on a search.
 */
import Fuse from 'fuse.js';
import type { RecordingReader } from '../../store';
import { clean } from '../../present';

export interface SearchItem {
  kind: 'prompt' | 'response' | 'tool';
  sessionId: number | null;
  llmCallId: number;
  toolCallId: number | null;
  tsNs: number;
  /** What is matched: clipped text, or a tool's name and input. */
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

export function buildCorpus(store: RecordingReader, atNsIn?: number): SearchItem[] {
  // Always pass a time: the store's default bound is below current Unix-ns timestamps.
  const atNs = atNsIn ?? Number.MAX_VALUE;
  const items: SearchItem[] = [];
  const budget = Math.floor(MAX_ITEMS / 3);
  for (const c of store.llmCallTexts({ atNs, limit: budget, maxChars: MAX_CHARS })) {
    const prompt = c.prompt;
    if (prompt) items.push({ kind: 'prompt', sessionId: c.sessionId, llmCallId: c.id, toolCallId: null, tsNs: c.startNs, text: clean(prompt).slice(0, MAX_CHARS) });
    if (c.response) items.push({ kind: 'response', sessionId: c.sessionId, llmCallId: c.id, toolCallId: null, tsNs: c.startNs, text: clean(c.response).slice(0, MAX_CHARS) });
  }
  const tools = store.toolCalls({ atNs });
  for (const t of tools.slice(Math.max(0, tools.length - (MAX_ITEMS - items.length)))) {
    items.push({ kind: 'tool', sessionId: t.sessionId, llmCallId: t.llmCallId, toolCallId: t.id, tsNs: t.tsNs, text: clean(`${t.name} ${t.inputJson}`).slice(0, MAX_CHARS) });
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
