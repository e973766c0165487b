/** `/`: the whole recording (or one session) at a glance: figures, cost by model, activity, tops, failures, losses. */
import { href, param, useApi } from '../api';
import { Chart } from '../chart';
import type { OverviewKpis } from '../../wire';

/** The figures shown as tiles (tokens get a wide one of their own), by their field in the answer's kpis. */
const KPI_LABELS: Array<[Exclude<keyof OverviewKpis, 'tokens'>, string]> = [
  ['sessions', 'sessions'],
  ['llmCalls', 'LLM calls'],
  ['costText', 'cost'],
  ['toolCalls', 'tool calls'],
  ['failedToolCalls', 'failed tool calls'],
  ['processes', 'processes'],
  ['filesChanged', 'files changed'],
  ['netConns', 'network operations'],
  ['durationText', 'duration'],
];

export function Overview() {
  const session = param('session');
  const { data, error } = useApi('/api/v1/overview', { session });
  if (error) return <div class="error">{error}</div>;
  if (!data) return <div>loading…</div>;
  const xs = data.activity.map((b) => b.startNs / 1e9);
  return (
    <div class="overview">
      <div class={`completeness ${data.completeness.complete ? 'ok' : 'bad'}`} id="completeness">
        {data.completenessText}
      </div>
      <div class="kpis">
        {KPI_LABELS.map(([k, label]) => (
          <div class="kpi">
            <div class="kpi-value">{String(data.kpis[k] ?? '—')}</div>
            <div class="kpi-label">{label}</div>
          </div>
        ))}
        <div class="kpi wide">
          <div class="kpi-value small">{data.kpis.tokensText}</div>
          <div class="kpi-label">tokens</div>
        </div>
      </div>
      <section>
        <h2>Cost and tokens by model</h2>
        <table id="by-model">
          <thead><tr><th>model</th><th>calls</th><th>errors</th><th>tokens</th><th>cost</th></tr></thead>
          <tbody>
            {data.byModel.map((m) => (
              <tr><td>{m.model}</td><td>{m.calls}</td><td>{m.errors}</td><td>{m.tokensText}</td><td>{m.costText}</td></tr>
            ))}
            {data.byModel.length === 0 && <tr><td colSpan={5}>no LLM calls</td></tr>}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Activity over time</h2>
        <Chart
          xs={xs}
          yLabel="per bucket"
          series={[
            { label: 'process events', values: data.activity.map((b) => b.procEvents) },
            { label: 'file operations', values: data.activity.map((b) => b.fileOps) },
            { label: 'network', values: data.activity.map((b) => b.netEvents) },
            { label: 'LLM calls', values: data.activity.map((b) => b.llmCalls) },
            { label: 'errors', values: data.activity.map((b) => b.errors) },
            { label: 'losses', values: data.activity.map((b) => b.losses) },
          ]}
        />
      </section>
      <div class="columns">
        <section>
          <h2>Top commands <small>({data.topCommands.total} distinct)</small></h2>
          <table id="top-commands">
            {data.topCommands.rows.map((c) => (
              <tr><td class="num">{c.count}×</td><td class="mono"><a href={href('/logs', { kind: 'process', q: c.command.slice(0, 80) })}>{c.command}</a></td></tr>
            ))}
          </table>
        </section>
        <section>
          <h2>Top files changed <small>({data.topFiles.total} distinct)</small></h2>
          <table id="top-files">
            {data.topFiles.rows.map((f) => (
              <tr><td class="num">{f.count}×</td><td class="mono"><a href={href('/logs', { kind: 'file', q: f.path })}>{f.path}</a></td><td>{f.ops.join(', ')}</td><td>{f.bytesText}</td></tr>
            ))}
          </table>
        </section>
        <section>
          <h2>Top hosts <small>({data.topHosts.total} distinct)</small></h2>
          <table id="top-hosts">
            {data.topHosts.rows.map((h) => (
              <tr><td class="num">{h.count}×</td><td class="mono">{h.host}</td><td>{h.failures ? `${h.failures} failed` : ''}</td><td>{h.bytesText}</td></tr>
            ))}
          </table>
        </section>
      </div>
      <section>
        <h2>Tool calls <small>({data.toolCalls.total}{data.toolCalls.total > data.toolCalls.rows.length ? `, first ${data.toolCalls.rows.length} shown` : ''})</small></h2>
        <table id="tool-calls">
          {data.toolCalls.rows.map((t) => (
            <tr class={t.failed ? 'bad-text' : ''}>
              <td><a href={href('/tree', { session: t.sessionId, tool: t.id })}>#{t.id} {t.name}</a></td>
              <td class="mono">{t.input}</td>
              <td class="mono">{t.files.length ? `changed ${t.files.join(', ')}` : ''}</td>
            </tr>
          ))}
          {data.toolCalls.rows.length === 0 && <tr><td>no tool calls</td></tr>}
        </table>
      </section>
      <div class="columns">
        <section>
          <h2>Failures <small>({data.failuresTotal}{data.failuresTotal > data.failures.length ? `, first ${data.failures.length} shown` : ''})</small></h2>
          <ul id="failures">
            {data.failures.map((f) => (
              <li class="bad-text"><a href={href('/logs', { kind: f.kind === 'llm' ? 'llm' : f.kind })}>{f.kind}</a> {f.text}</li>
            ))}
            {data.failures.length === 0 && <li>none</li>}
          </ul>
        </section>
        <section>
          <h2>Friction</h2>
          <ul id="friction">
            {data.friction.map((f) => <li>{f.text}</li>)}
            {data.friction.length === 0 && <li>no repeated commands, no long gaps between model calls</li>}
          </ul>
        </section>
      </div>
    </div>
  );
}
