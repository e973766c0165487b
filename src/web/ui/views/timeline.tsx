/**
 * `/timeline`: each session's model calls, tool calls and processes as duration bars on a zoomable time axis
 * (wheel or buttons; drag the scrubber to set "the moment", kept in ?at= as `top --at` takes it). Clicking a bar
 * opens it in the tree.
 */
import { useEffect, useState } from 'preact/hooks';
import { clock, href, param, useApi } from '../api';
import type { ProcessView, Span } from '../../wire';

/** A process's command, after its container ("[NAME pid N] cmd") when it ran in one. */
function withContainer(p: ProcessView): string {
  return p.container ? `${p.container} ${p.command}` : p.command;
}

export function Timeline() {
  const session = param('session');
  const { data, error } = useApi('/api/v1/timeline', { session });
  const [view, setView] = useState<[number, number] | null>(null);
  const [at, setAt] = useState<number | null>(param('at') ? Number(param('at')) : null);
  useEffect(() => {
    if (data && data.startNs !== null && data.endNs !== null && view === null) setView([data.startNs, Math.max(data.endNs, data.startNs + 1e6)]);
  }, [data]);
  if (error) return <div class="error">{error}</div>;
  if (!data || !view) return <div>{data && data.startNs === null ? 'nothing recorded yet' : 'loading…'}</div>;
  const [v0, v1] = view;
  const span = v1 - v0;
  const pos = (ns: number) => ((ns - v0) / span) * 100;
  const bar = (b: Span, cls: string, title: string, link: string, label: string) => {
    const end = b.endNs ?? data.endNs ?? b.startNs;
    if (end < v0 || b.startNs > v1) return null;
    const left = Math.max(0, pos(b.startNs));
    const width = Math.max(0.15, Math.min(100, pos(end)) - left);
    return (
      <a class={`bar ${cls} ${b.failed ? 'failed' : ''}`} style={{ left: `${left}%`, width: `${width}%` }} title={title} href={link} data-id={b.id}>
        {label}
      </a>
    );
  };
  const zoom = (f: number, centre = 0.5) => {
    const c = v0 + span * centre;
    const s = Math.max(1e6, span * f);
    setView([c - s * centre, c + s * (1 - centre)]);
  };
  const moveAt = (ns: number) => {
    setAt(ns);
    const u = new URL(location.href);
    u.searchParams.set('at', String(Math.round(ns)));
    history.replaceState(null, '', u);
  };
  const ticks = Array.from({ length: 6 }, (_, i) => v0 + (span * i) / 5);
  return (
    <div class="timeline">
      <div class="toolbar">
        <button onClick={() => zoom(0.5)}>zoom in</button>
        <button onClick={() => zoom(2)}>zoom out</button>
        <button onClick={() => setView([data.startNs!, Math.max(data.endNs!, data.startNs! + 1e6)])}>whole recording</button>
        <label>
          moment{' '}
          <input
            type="range"
            min={v0}
            max={v1}
            step={Math.max(1, span / 1000)}
            value={at ?? v1}
            onInput={(e) => moveAt(Number((e.target as HTMLInputElement).value))}
          />{' '}
          {at !== null ? clock(at) : 'end'}
        </label>
        {at !== null && <a href={href('/logs', { after: `${Math.round(at) - 1}_0_0` })}>logs from this moment</a>}
        {at !== null && (
          <span class="mono" title="the same moment in the terminal view">
            top --at {new Date(at / 1e6).toISOString()}
          </span>
        )}
      </div>
      <div
        class="lanes"
        onWheel={(e) => {
          e.preventDefault();
          const r = (e.currentTarget as HTMLElement).querySelector('.axis')!.getBoundingClientRect();
          zoom(e.deltaY < 0 ? 0.8 : 1.25, Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)));
        }}
      >
        <div class="lane">
          <div class="lane-label" />
          <div class="axis">
            {ticks.map((t) => <span class="tick" style={{ left: `${pos(t)}%` }}>{clock(t)}</span>)}
            {at !== null && <div class="moment" style={{ left: `${pos(at)}%` }} />}
          </div>
        </div>
        {data.sessions.map((s) => (
          <div class="session-block" data-session={s.id}>
            <div class="lane session-head">
              <div class="lane-label"><a href={href('/timeline', { session: s.id })}>#{s.id} {s.agent ?? ''}</a></div>
              <div class="track">{bar({ id: s.id, startNs: s.startNs, endNs: s.endNs, failed: false }, 'session', s.title, href('/tree', { session: s.id }), s.title)}</div>
            </div>
            <div class="lane">
              <div class="lane-label">model calls{s.llmCallsOmitted ? ` (+${s.llmCallsOmitted} not drawn)` : ''}</div>
              <div class="track">
                {s.llmCalls.map((c) => bar(c, 'llm', `${c.model} ${clock(c.startNs)} ${c.tokensText} ${c.costText}`, href('/tree', { session: s.id, llm: c.id }), c.model))}
              </div>
            </div>
            <div class="lane">
              <div class="lane-label">tool calls{s.toolCallsOmitted ? ` (+${s.toolCallsOmitted} not drawn)` : ''}</div>
              <div class="track">
                {s.toolCalls.map((t) => bar(t, 'tool', `${t.name} ${t.input}`, href('/tree', { session: s.id, tool: t.id }), `${t.name} ${t.input}`))}
              </div>
            </div>
            <div class="lane">
              <div class="lane-label">files changed{s.fileChangesOmitted ? ` (+${s.fileChangesOmitted} not drawn)` : ''}</div>
              <div class="track">
                {s.fileChanges.map((f) => bar(f, 'file', `${f.op} ${f.path}${f.path2 ? ' → ' + f.path2 : ''} ×${f.count}`, href('/logs', { session: s.id, kind: 'file', q: f.path }), `${f.op} ${f.path}`))}
              </div>
            </div>
            {s.processes.map((p) => (
              <div class="lane">
                <div class="lane-label mono" title={withContainer(p)}>{p.name} <small>{p.pid}</small>{p.container && <small class="container"> {p.container}</small>}</div>
                <div class="track">{bar({ id: p.id, startNs: p.startNs, endNs: p.exitNs, failed: p.failed }, 'proc', `${withContainer(p)} (${p.status})`, href('/tree', { session: s.id, process: p.id }), withContainer(p))}</div>
              </div>
            ))}
            {s.processesOmitted > 0 && <div class="lane omitted">{s.processesOmitted} more processes not drawn: see the tree or the logs</div>}
          </div>
        ))}
      </div>
    </div>
  );
}
