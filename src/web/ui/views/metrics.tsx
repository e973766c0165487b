/** `/metrics`: CPU and RSS of the busiest processes over time (the processes not drawn are counted). */
import { useMemo } from 'preact/hooks';
import { href, param, useApi } from '../api';
import { Chart, type Series } from '../chart';

export function Metrics() {
  const session = param('session');
  const { data, error } = useApi('/api/v1/metrics', { session });
  const charts = useMemo(() => {
    if (!data) return null;
    // One time axis for all series: the union of sample times (seconds), null where a process has no sample.
    const xs = [...new Set(data.processes.flatMap((p) => p.samples.map((s) => Math.round(s[0] / 1e6) / 1e3)))].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const cpu: Series[] = [];
    const rss: Series[] = [];
    for (const p of data.processes) {
      const c: Array<number | null> = new Array(xs.length).fill(null);
      const r: Array<number | null> = new Array(xs.length).fill(null);
      for (const [ts, pct, kb] of p.samples) {
        const i = index.get(Math.round(ts / 1e6) / 1e3)!;
        c[i] = pct;
        r[i] = kb / 1024;
      }
      cpu.push({ label: `${p.name} #${p.id}`, values: c });
      rss.push({ label: `${p.name} #${p.id}`, values: r });
    }
    return { xs, cpu, rss };
  }, [data]);
  if (error) return <div class="error">{error}</div>;
  if (!data || !charts) return <div>loading…</div>;
  return (
    <div class="metrics">
      <p id="metrics-summary">{data.summaryText}</p>
      {data.processes.length > 0 ? (
        <>
          <h2>CPU %</h2>
          <Chart xs={charts.xs} series={charts.cpu} yLabel="CPU %" id="cpu-chart" />
          <h2>RSS (MiB)</h2>
          <Chart xs={charts.xs} series={charts.rss} yLabel="MiB" id="rss-chart" />
        </>
      ) : (
        <p>no CPU/RSS samples in this view</p>
      )}
      <ul id="metric-processes">
        {data.processes.map((p) => (
          <li class="mono"><a href={href('/tree', { process: p.id })}>#{p.id}</a> {p.container && <span class="container">{p.container} </span>}{p.command} · <a href={href('/logs', { process: p.id })}>logs</a></li>
        ))}
      </ul>
    </div>
  );
}
