/** A uPlot time-series chart (uPlot: ~50 KB, canvas, made for many points; no dependency of its own). */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series {
  label: string;
  values: Array<number | null>;
}

const COLORS = ['#2f7ed8', '#d9534f', '#5cb85c', '#f0ad4e', '#8e44ad', '#16a085', '#c0392b', '#7f8c8d'];

/** xs: Unix seconds. */
export function Chart(props: { xs: number[]; series: Series[]; height?: number; yLabel: string; id?: string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const width = el.current.clientWidth || 800;
    const plot = new uPlot(
      {
        width,
        height: props.height ?? 200,
        scales: { x: { time: true } },
        axes: [{}, { label: props.yLabel }],
        series: [{ label: 'time (UTC)' }, ...props.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false }))],
        tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      },
      [props.xs, ...props.series.map((s) => s.values)] as uPlot.AlignedData,
      el.current,
    );
    return () => plot.destroy();
  }, [props.xs, props.series]);
  return <div class="chart" ref={el} id={props.id} />;
}
