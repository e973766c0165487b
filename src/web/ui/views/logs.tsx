/**
 * `/logs`: every event, filtered by session, kind, process, tool call and text on the server and paged by cursor;
 * the list draws only the rows in sight, so a 1,000,000-event recording scrolls like a short one. On a live
 * recording new rows are appended as they arrive (fetched since the last mark, never the whole list again).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { CHANGE_EVENT, LIVE, clock, getJson, href, param } from '../api';
import type { EventKind, LogEvent } from '../../wire';

const ROW_H = 22;
const PAGE = 300;
/** The kind filter's choices in the log's order; the check below fails to compile when wire.ts has a kind not listed. */
const KINDS = ['process', 'exec', 'file', 'net', 'llm', 'tool', 'loss'] as const satisfies readonly EventKind[];
type NoneUnlisted<Unlisted extends never> = Unlisted;
type KindsCheck = NoneUnlisted<Exclude<EventKind, (typeof KINDS)[number]>>;

function filtersFromUrl() {
  return { session: param('session'), kind: param('kind'), process: param('process'), tool: param('tool'), q: param('q'), after: param('after') };
}

export function Logs() {
  const [f, setF] = useState(filtersFromUrl);
  const [rows, setRows] = useState<LogEvent[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [counts, setCounts] = useState<{ total: number; exact: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const box = useRef<HTMLDivElement>(null);
  const loading = useRef(false);
  const mark = useRef<string | null>(null);
  const tail = useRef(false);
  const gen = useRef(0);
  /** kind:id of every row in the list: a row reaches it once, whether by a page or by the live tail. */
  const seen = useRef(new Set<string>());
  // Follow the tail like `tail -f` (from the start, and whenever the list is scrolled back to its end).
  const follow = useRef(true);

  const filterParams = { session: f.session, kind: f.kind, process: f.process, tool: f.tool, q: f.q };

  useEffect(() => {
    const g = ++gen.current;
    loading.current = true;
    setRows([]);
    setNext(null);
    setScrollTop(0);
    if (box.current) box.current.scrollTop = 0;
    getJson('/api/v1/logs', { ...filterParams, after: f.after, limit: PAGE })
      .then((p) => {
        if (g !== gen.current) return;
        seen.current = new Set(p.events.map((e) => `${e.kind}:${e.id}`));
        setRows(p.events);
        setNext(p.next);
        tail.current = p.next === null;
        mark.current = p.mark;
        const total = p.counts ? Object.values(p.counts).reduce((a, b) => a + b, 0) : 0;
        setCounts({ total, exact: p.countsExact });
        setError(null);
      })
      .catch((e: Error) => setError(e.message))
      .finally(() => (loading.current = false));
    const u = new URL(location.href);
    for (const [k, v] of Object.entries({ ...filterParams, after: f.after })) v ? u.searchParams.set(k, v) : u.searchParams.delete(k);
    history.replaceState(null, '', u);
  }, [JSON.stringify(f)]);

  // Live: rows added since the mark; appended when the list has reached its end (otherwise paging reaches them).
  useEffect(() => {
    // One request at a time: two changes 250 ms apart must not both ask from the same mark (rows twice).
    let busy = false;
    let again = false;
    const onChange = () => {
      if (!mark.current) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      const g = gen.current;
      getJson('/api/v1/logs/since', { ...filterParams, mark: mark.current })
        .then((r) => {
          if (g !== gen.current) return;
          mark.current = r.mark;
          if (r.truncated) setTruncated(true);
          if (tail.current && r.events.length) {
            const fresh = r.events.filter((e) => !seen.current.has(`${e.kind}:${e.id}`));
            for (const e of fresh) seen.current.add(`${e.kind}:${e.id}`);
            setRows((old) => [...old, ...fresh].sort((a, b) => a.tsNs - b.tsNs));
            setCounts((c) => (c ? { ...c, total: c.total + fresh.length } : c));
          }
        }, () => undefined /* the server went away (recording ended) or was busy: the mark is unchanged, the next change asks again */)
        .finally(() => {
          busy = false;
          if (again) {
            again = false;
            onChange();
          }
        });
    };
    window.addEventListener(CHANGE_EVENT, onChange);
    return () => window.removeEventListener(CHANGE_EVENT, onChange);
  }, [JSON.stringify(f)]);

  useEffect(() => {
    if (LIVE && follow.current && tail.current && box.current) {
      box.current.scrollTop = box.current.scrollHeight;
      setScrollTop(box.current.scrollTop);
    }
  }, [rows]);

  useEffect(() => {
    const measure = () => box.current && setHeight(box.current.clientHeight);
    measure();
    window.addEventListener('resize', measure);
    return () => window.removeEventListener('resize', measure);
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / ROW_H) - 10);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_H) + 10);
  if (next && !loading.current && last > rows.length - 100) {
    loading.current = true;
    const g = gen.current;
    getJson('/api/v1/logs', { ...filterParams, after: next, limit: PAGE })
      .then((p) => {
        if (g !== gen.current) return;
        const fresh = p.events.filter((e) => !seen.current.has(`${e.kind}:${e.id}`));
        for (const e of fresh) seen.current.add(`${e.kind}:${e.id}`);
        setRows((old) => [...old, ...fresh]);
        setNext(p.next);
        tail.current = p.next === null;
      })
      .catch((e: Error) => setError(e.message))
      .finally(() => (loading.current = false));
  }

  const set = (k: keyof ReturnType<typeof filtersFromUrl>, v: string) => setF({ ...f, [k]: v || null, after: k === 'after' ? v || null : null });
  // What is typed but not applied yet (Enter or leaving the box applies it). An input whose value is f.q was reset to
  // it by re-renders while typing — a live recording's rows arriving — losing what was typed (test/web/live.test.ts).
  const [draft, setDraft] = useState({ q: f.q ?? '', process: f.process ?? '' });
  useEffect(() => setDraft({ q: f.q ?? '', process: f.process ?? '' }), [f.q, f.process]);
  const typed = (k: 'q' | 'process') => (e: Event) => {
    const v = (e.target as HTMLInputElement).value;
    setDraft((d) => ({ ...d, [k]: v }));
  };
  return (
    <div class="logs">
      <form class="toolbar" onSubmit={(e) => e.preventDefault()}>
        <select id="kind-filter" value={f.kind ?? ''} onChange={(e) => set('kind', (e.target as HTMLSelectElement).value)}>
          <option value="">every kind</option>
          {KINDS.map((k) => <option value={k}>{k}</option>)}
        </select>
        <input id="process-filter" placeholder="process id" value={draft.process} onInput={typed('process')} onChange={(e) => set('process', (e.target as HTMLInputElement).value)} size={8} />
        <input id="text-filter" placeholder="text" value={draft.q} onInput={typed('q')} onChange={(e) => set('q', (e.target as HTMLInputElement).value)} />
        {f.tool && <span class="chip">effects of tool call #{f.tool} <a href={href('/logs', { tool: null })}>×</a></span>}
        {f.after && <span class="chip">from {clock(Number(f.after.split('_')[0]))} <a href="#" onClick={() => set('after', '')}>×</a></span>}
        <span id="log-count">
          {rows.length.toLocaleString('en')} loaded
          {counts && (counts.exact ? ` of ${counts.total.toLocaleString('en')}` : ` (text filter: more load as you scroll)`)}
          {next ? '' : ' · end'}
        </span>
        {truncated && <span class="warn-text"> · more new rows arrived than the live tail takes: reload to see them all</span>}
      </form>
      {error && <div class="error">{error}</div>}
      <div class="log-head"><span>time (UTC)</span><span>kind</span><span>session</span><span>process</span><span>event</span><span>detail</span></div>
      <div class="log-box" ref={box} onScroll={(e) => {
          const b = e.target as HTMLElement;
          follow.current = b.scrollTop + b.clientHeight >= b.scrollHeight - 2 * ROW_H;
          setScrollTop(b.scrollTop);
        }}>
        <div style={{ height: `${rows.length * ROW_H}px`, position: 'relative' }}>
          {rows.slice(first, last).map((r, i) => (
            <div class={`log-row kind-${r.kind} ${r.failed ? 'failed' : ''}`} data-kind={r.kind} style={{ top: `${(first + i) * ROW_H}px` }}>
              <span>{clock(r.tsNs)}</span>
              <span>{r.kind}</span>
              <span>{r.sessionId !== null ? <a href={href('/logs', { ...filterParams, session: r.sessionId })}>#{r.sessionId}</a> : '—'}</span>
              <span>{r.processId !== null ? <a href={href('/tree', { session: r.sessionId, process: r.processId })}>{r.processId}</a> : '—'}</span>
              <span class="mono" title={r.container ? `${r.container} ${r.text}` : r.text}>{r.container && <span class="container">{r.container} </span>}{r.text}</span>
              <span>{r.detail ?? ''}</span>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
