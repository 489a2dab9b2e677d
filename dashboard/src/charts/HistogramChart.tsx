import uPlot from 'uplot';
import { chartColors, FONT, useUplot } from './useUplot';
import { tooltip } from './tooltip';
import type { Bucket } from '../lib/types';
import { bucketRating, type Metric } from '../lib/thresholds';
import { formatCount, formatMetric } from '../lib/format';
import { bucketLabel, histogramSummary } from '../lib/chartText';

/**
 * The distribution of a vital: one bar per bucket, coloured by the rating of
 * the bucket (the server puts the thresholds on bucket edges, so a bucket
 * has one rating). Three uPlot series, one per rating, each null elsewhere.
 */
export function HistogramChart(props: { metric: Metric; buckets: Bucket[]; height?: number }) {
  const { metric, buckets } = props;
  const xs = buckets.map((_, i) => i);
  const series = { good: [] as (number | null)[], ni: [] as (number | null)[], poor: [] as (number | null)[] };
  for (const b of buckets) {
    const r = bucketRating(metric, b.lo, b.hi);
    series.good.push(r === 'good' ? b.count : null);
    series.ni.push(r === 'ni' ? b.count : null);
    series.poor.push(r === 'poor' ? b.count : null);
  }
  const label = (i: number) => {
    const b = buckets[i];
    return b == null ? '' : bucketLabel(metric, b);
  };
  const key = `${metric}|${buckets.map((b) => `${b.lo}:${b.count}`).join(',')}`;
  const bars = uPlot.paths.bars!({ size: [0.86, 64], align: 0 });
  const mk = (name: string, fill: string, stroke: string): uPlot.Series => ({
    label: name,
    fill,
    stroke,
    width: 0,
    paths: bars,
    points: { show: false },
    value: (_u, v) => (v == null ? '' : formatCount(v)),
  });
  const ref = useUplot(
    (width): uPlot.Options => {
      const colors = chartColors();
      return {
        width,
        height: props.height ?? 220,
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        legend: { show: false },
        plugins: [
          tooltip(
            (_u, i) => label(i),
            (_u, i) => {
              const b = buckets[i];
              if (b == null) return [];
              const r = bucketRating(metric, b.lo, b.hi);
              const color = r === 'good' ? colors.good : r === 'ni' ? colors.ni : colors.poor;
              return [{ label: 'Views', value: formatCount(b.count), color }];
            },
          ),
        ],
        scales: { x: { time: false, range: [-0.5, buckets.length - 0.5] }, y: { range: (_u, _a, max) => [0, Math.max(1, (max ?? 1) * 1.1)] } },
        axes: [
          {
            stroke: colors.axis,
            font: FONT,
            grid: { show: false },
            ticks: { show: false },
            space: 48,
            incrs: [1, 2, 4, 5, 10, 20],
            values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? formatMetric(metric, buckets[i]?.lo) : '')),
          },
          {
            stroke: colors.axis,
            font: FONT,
            size: 56,
            grid: { stroke: colors.grid, width: 1 },
            ticks: { show: false },
            values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? formatCount(v) : '')),
          },
        ],
        series: [
          { label: 'Range', value: (_u, i) => (i == null ? '' : label(i)) },
          mk('Good', colors.goodFill, colors.good),
          mk('Needs improvement', colors.niFill, colors.ni),
          mk('Poor', colors.poorFill, colors.poor),
        ],
      };
    },
    [xs, series.good, series.ni, series.poor],
    key,
  );
  return (
    <div>
      <div class="chart" ref={ref} role="img" aria-label={histogramSummary(metric, buckets)} />
      <div class="rating-legend chart-legend">
        <span class="legend">
          <i class="dot good" />
          Good
        </span>
        <span class="legend">
          <i class="dot ni" />
          Needs improvement
        </span>
        <span class="legend">
          <i class="dot poor" />
          Poor
        </span>
      </div>
    </div>
  );
}
