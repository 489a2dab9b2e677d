import uPlot from 'uplot';
import { chartColors, FONT, useUplot } from './useUplot';
import { tooltip } from './tooltip';
import { formatDateTime } from '../lib/format';
import { seriesSummary, type ChartPoint } from '../lib/chartText';

interface Props {
  points: readonly ChartPoint[];
  label: string;
  /** Formats a y value for the axis and the legend. */
  format: (v: number) => string;
  /** Dashed lines at the good / poor thresholds, when this is a vital. */
  thresholds?: readonly [number, number];
  height?: number;
  bars?: boolean;
  /** Counts: label only whole-number ticks. */
  integer?: boolean;
  /** The time window (ms) the x axis spans, so gaps in the data show as gaps. */
  window?: { from: number; to: number };
}

/** A time series (x = time) drawn with uPlot, with a hover legend. */
export function TimeChart(props: Props) {
  const xs = props.points.map((p) => p.t / 1000);
  const ys = props.points.map((p) => p.value);
  const th = props.thresholds;
  const key = `${props.window?.from ?? ''}-${props.window?.to ?? ''}|${props.label}|${props.bars ? 'b' : 'l'}|${th?.join(',') ?? ''}|${xs.join(',')}|${ys.join(',')}`;
  const ref = useUplot(
    (width): uPlot.Options => {
      const colors = chartColors();
      return {
        width,
        height: props.height ?? 220,
        cursor: { drag: { x: false, y: false } },
        legend: { show: false },
        plugins: [
          tooltip(
            (u, i) => formatDateTime((u.data[0][i] ?? 0) * 1000),
            (u, i) => {
              const v = u.data[1]?.[i];
              return v == null ? [] : [{ label: props.label, value: props.format(v), color: colors.line }];
            },
          ),
        ],
        scales: {
          x: props.window ? { time: true, range: [props.window.from / 1000, props.window.to / 1000] } : { time: true },
          y: {
            range: (_u, _min, max) => {
              const top = Math.max(max ?? 0, th ? th[0] * 1.1 : 0);
              return [0, top > 0 ? top * 1.08 : 1];
            },
          },
        },
        axes: [
          { stroke: colors.axis, font: FONT, grid: { stroke: colors.grid, width: 1 }, ticks: { show: false } },
          {
            stroke: colors.axis,
            font: FONT,
            size: 64,
            grid: { stroke: colors.grid, width: 1 },
            ticks: { show: false },
            values: (_u, splits) => splits.map((v) => (props.integer && !Number.isInteger(v) ? '' : props.format(v))),
          },
        ],
        series: [
          {},
          {
            label: props.label,
            stroke: colors.line,
            width: 2,
            fill: props.bars ? colors.barFill : colors.lineFill,
            spanGaps: false,
            points: { size: 4 },
            value: (_u, v) => (v == null ? '—' : props.format(v)),
            ...(props.bars ? { paths: uPlot.paths.bars!({ size: [0.8, 24] }), points: { show: false } } : {}),
          },
        ],
        hooks: th
          ? {
              drawAxes: [
                (u) => {
                  const ctx = u.ctx;
                  ctx.save();
                  ctx.setLineDash([4, 4]);
                  ctx.lineWidth = 1;
                  for (const [v, color] of [
                    [th[0], colors.good],
                    [th[1], colors.poor],
                  ] as const) {
                    const y = Math.round(u.valToPos(v, 'y', true)) + 0.5;
                    if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
                    ctx.strokeStyle = color;
                    ctx.beginPath();
                    ctx.moveTo(u.bbox.left, y);
                    ctx.lineTo(u.bbox.left + u.bbox.width, y);
                    ctx.stroke();
                  }
                  ctx.restore();
                },
              ],
            }
          : {},
      };
    },
    [xs, ys],
    key,
  );
  return <div class="chart" ref={ref} role="img" aria-label={seriesSummary(props.label, props.points, props.format, formatDateTime)} />;
}
