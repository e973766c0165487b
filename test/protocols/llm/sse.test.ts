import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../../../src/protocols/llm/sse';

function parse(chunks: Array<string | Uint8Array>): SseEvent[] {
  const out: SseEvent[] = [];
  const p = new SseParser((e) => out.push(e));
  for (const c of chunks) p.push(typeof c === 'string' ? Buffer.from(c) : c);
  p.end();
  return out;
}

const STREAM = 'event: a\ndata: one\n\n: comment\nid: 7\ndata: l1\ndata: l2\n\nevent: b\r\ndata:no-space\r\n\r\ndata: cr\r\rretry: 10\ndata: x\n\n';
const EXPECTED = [
  { event: 'a', data: 'one', id: null },
  { event: 'message', data: 'l1\nl2', id: '7' },
  { event: 'b', data: 'no-space', id: '7' },
  { event: 'message', data: 'cr', id: '7' },
  { event: 'message', data: 'x', id: '7' },
];

describe('SSE parser', () => {
  it('parses LF, CRLF and CR line ends, multi-line data, comments, event and id', () => {
    expect(parse([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events for every split of the bytes', () => {
    const b = Buffer.from(STREAM);
    for (let i = 0; i <= b.length; i++) expect(parse([b.subarray(0, i), b.subarray(i)])).toEqual(EXPECTED);
    expect(parse([...b].map((x) => Uint8Array.of(x)))).toEqual(EXPECTED);
  });

  it('keeps UTF-8 split across pushes intact', () => {
    const b = Buffer.from('data: héllo → 世界 🎉\n\n');
    for (let i = 0; i <= b.length; i++) expect(parse([b.subarray(0, i), b.subarray(i)])[0]!.data).toBe('héllo → 世界 🎉');
  });

  it('does not dispatch an event without data, nor an unterminated one', () => {
    expect(parse(['event: x\n\n', 'data: never-ended'])).toEqual([]);
  });

  it('ignores a leading BOM', () => {
    expect(parse(['\ufeffdata: a\n\n'])).toEqual([{ event: 'message', data: 'a', id: null }]);
  });
});
