import type uPlot from 'uplot';
import { chartColors, useUplot, type Tone } from './useUplot';
import { withAlpha } from '../lib/color';
import type { ChartPoint } from '../lib/chartText';

/**
 * A small trend line without axes, for cards and table rows, coloured by
 * `tone` in the current theme. `fromZero` pins the y axis at 0, so small
 * counts do not read as big swings.
 */
export function Sparkline(props: { points: readonly ChartPoint[]; tone?: Tone; label: string; fromZero?: boolean }) {
  const xs = props.points.map((p) => p.t / 1000);
  const ys = props.points.map((p) => p.value);
  const tone = props.tone ?? 'line';
  const key = `${tone}|${props.fromZero ? 'z' : ''}|${xs.join(',')}|${ys.join(',')}`;
  const ref = useUplot(
    (width): uPlot.Options => {
      const color = chartColors()[tone];
      return {
        width,
        height: 40,
        pxAlign: false,
        cursor: { show: false },
        legend: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        scales: {
          x: { time: true },
          y: props.fromZero ? { range: (_u, _min, max) => [0, (max ?? 0) > 0 ? max : 1] } : { auto: true },
        },
        axes: [{ show: false }, { show: false }],
        series: [{}, { stroke: color, width: 1.5, fill: withAlpha(color, 0.12), spanGaps: true, points: { show: false } }],
      };
    },
    [xs, ys],
    key,
  );
  if (props.points.filter((p) => p.value != null).length < 2) {
    return <div class="sparkline empty-spark">not enough data for a trend</div>;
  }
  return <div class="sparkline" ref={ref} role="img" aria-label={props.label} />;
}
