/**
 * Readable text of an LLM request's last message. The store hands it over as the provider's JSON (a string, content
 * blocks, Gemini parts, Responses items); readers show and search the words, not the JSON. Shared by the TUI's search
 * and detail view and `report prompts`.
 */
export function messageText(raw: string | null): string | null {
  if (raw === null) return null;
  let v: unknown = raw;
  try {
    v = JSON.parse(raw);
  } catch {
    return raw;
  }
  const texts: string[] = [];
  const walk = (x: unknown): void => {
    if (typeof x === 'string') texts.push(x);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      if (typeof o['text'] === 'string') texts.push(o['text']);
      else if (o['content'] !== undefined) walk(o['content']);
      else if (typeof o['output'] === 'string') texts.push(o['output']);
      // Gemini tool results: a part { functionResponse: { name, response: { output | content | … } } }.
      else if (o['functionResponse'] !== undefined) walk(o['functionResponse']);
      else if (o['response'] !== undefined) walk(o['response']);
      else if (o['parts'] !== undefined) walk(o['parts']);
    }
  };
  walk(v);
  return texts.join(' ') || null;
}
