/**
 * The web UI: one small Preact app drawing the view its path names. Pages are plain links (each view is a URL that
 * can be shared or reloaded), all keep ?session=, and a live recording's changes arrive through one EventSource.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LIVE, getJson, href, param, startStream } from './api';
import { Overview } from './views/overview';
import { Timeline } from './views/timeline';
import { Tree } from './views/tree';
import { Logs } from './views/logs';
import { Metrics } from './views/metrics';
import type { Info } from '../wire';

/** Views as data: path → title and component. */
const VIEWS: Array<{ path: string; title: string; view: () => preact.JSX.Element }> = [
  { path: '/', title: 'Overview', view: Overview },
  { path: '/timeline', title: 'Timeline', view: Timeline },
  { path: '/tree', title: 'Tree', view: Tree },
  { path: '/logs', title: 'Logs', view: Logs },
  { path: '/metrics', title: 'Metrics', view: Metrics },
];

function App() {
  const [info, setInfo] = useState<Info | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [stream, setStream] = useState<'live' | 'reconnecting' | 'ended' | null>(null);
  useEffect(() => {
    getJson('/api/v1/info').then(setInfo, (e: Error) => setError(e.message));
    startStream(setStream);
  }, []);
  const current = VIEWS.find((v) => v.path === location.pathname) ?? VIEWS[0]!;
  const session = param('session');
  const View = current.view;
  return (
    <div class="shell">
      <header>
        <span class="brand">agentsight</span>
        <nav>
          {VIEWS.map((v) => (
            <a href={href(v.path, { session })} class={v === current ? 'active' : ''} data-view={v.path}>
              {v.title}
            </a>
          ))}
        </nav>
        <label class="session-pick">
          session{' '}
          <select
            id="session-select"
            value={session ?? ''}
            onChange={(e) => (location.href = href(location.pathname, { session: (e.target as HTMLSelectElement).value || null }))}
          >
            <option value="">all sessions</option>
            {info?.sessions.map((s) => (
              <option value={String(s.id)}>
                #{s.id} {s.agent ?? ''} {s.title.slice(0, 60)} ({s.llmCalls} calls, {s.costText})
              </option>
            ))}
          </select>
        </label>
        {LIVE ? <span class={`badge ${stream === 'live' ? 'ok' : 'warn'}`}>{stream === 'live' ? '● live' : stream === 'ended' ? 'recording ended' : 'connecting…'}</span> : <span class="badge">saved recording</span>}
      </header>
      {error && <div class="error">{error}</div>}
      {info && (
        <div class="subhead">
          {info.path} {info.command ? `— ${info.command}` : ''} · times in UTC
          {info.stateText && <span class="warn-text"> · recording {info.stateText}</span>}
        </div>
      )}
      <main>
        <View />
      </main>
    </div>
  );
}

const root = document.getElementById('app')!;
// The page's "loading…" placeholder is plain text that Preact would keep beside the app.
root.textContent = '';
render(<App />, root);
