// Text alternatives for the charts: a canvas says nothing to a screen reader,
// so each chart carries role="img" and one of these as its aria-label.
import { formatCount, formatMetric, formatPercent } from './format';
import { bucketRating, METRIC_SHORT, RATING_LABEL, type Metric, type Rating } from './thresholds';
import type { Bucket } from './types';

/**
 * A point of a drawn time series (client-side): the API's `Point` is one, and
 * a point without a value is a gap.
 */
export interface ChartPoint {
  t: number;
  value: number | null;
}

/**
 * A time series in a sentence: `Page views, 48 points, max 120 at 14:00, latest 87`.
 * Points without a value are gaps and do not count; the earliest maximum wins.
 */
export function seriesSummary(label: string, points: readonly ChartPoint[], format: (v: number) => string, time: (ms: number) => string): string {
  let n = 0;
  let max: { t: number; value: number } | null = null;
  let last = 0;
  for (const p of points) {
    if (p.value == null || !Number.isFinite(p.value)) continue;
    n++;
    last = p.value;
    if (max == null || p.value > max.value) max = { t: p.t, value: p.value };
  }
  if (max == null) return `${label}, no data`;
  return `${label}, ${formatCount(n)} ${n === 1 ? 'point' : 'points'}, max ${format(max.value)} at ${time(max.t)}, latest ${format(last)}`;
}

/** A histogram bucket's range: `1.00 s–1.50 s`, or `≥ 4.00 s` for the open last one. */
export function bucketLabel(metric: Metric, b: Bucket): string {
  return b.hi == null ? `≥ ${formatMetric(metric, b.lo)}` : `${formatMetric(metric, b.lo)}–${formatMetric(metric, b.hi)}`;
}

/**
 * A vital's distribution in a sentence: the views, the share of each rating
 * and the fullest bucket.
 */
export function histogramSummary(metric: Metric, buckets: readonly Bucket[]): string {
  const name = `Distribution of ${METRIC_SHORT[metric]}`;
  const by: Record<Rating, number> = { good: 0, ni: 0, poor: 0 };
  let total = 0;
  let peak: Bucket | null = null;
  for (const b of buckets) {
    total += b.count;
    by[bucketRating(metric, b.lo, b.hi)] += b.count;
    if (b.count > 0 && (peak == null || b.count > peak.count)) peak = b;
  }
  if (peak == null) return `${name}, no measurements`;
  const shares = (['good', 'ni', 'poor'] as const).map((r) => `${RATING_LABEL[r]} ${formatPercent(by[r] / total)}`).join(', ');
  return `${name}, ${formatCount(total)} views: ${shares}; most in ${bucketLabel(metric, peak)}`;
}

/**
 * Several daily series in a sentence: `Dropped per day, 7 days: Sampled out
 * total 1,200, most 300 on 2026-11-29; Bots total 0`. The earliest busiest day wins.
 */
export function dailySummary(title: string, dates: readonly string[], series: readonly { label: string; values: readonly number[] }[], format: (v: number) => string): string {
  if (dates.length === 0) return `${title}, no days`;
  const parts = series.map((s) => {
    let total = 0;
    let peak = -1;
    s.values.forEach((v, i) => {
      total += v;
      if (v > 0 && (peak < 0 || v > s.values[peak]!)) peak = i;
    });
    return peak < 0 ? `${s.label} total ${format(0)}` : `${s.label} total ${format(total)}, most ${format(s.values[peak]!)} on ${dates[peak]}`;
  });
  return `${title}, ${formatCount(dates.length)} ${dates.length === 1 ? 'day' : 'days'}: ${parts.join('; ')}`;
}
