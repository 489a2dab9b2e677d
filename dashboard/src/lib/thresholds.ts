// Google's Core Web Vitals thresholds, the same ones the server uses for its
// good / needs-improvement / poor shares (docs/api.md, "Vitals").

export type Metric = 'lcp' | 'inp' | 'cls' | 'fcp' | 'ttfb' | 'load' | 'tti';
export type Rating = 'good' | 'ni' | 'poor';

export const METRICS: readonly Metric[] = ['lcp', 'inp', 'cls', 'fcp', 'ttfb', 'load', 'tti'];
/** The metrics the overview shows as cards (the summary endpoint's keys). */
export const CARD_METRICS: readonly Metric[] = ['lcp', 'inp', 'cls', 'fcp', 'ttfb', 'load'];

/** `[good, poor]`: good when value <= good, poor when value > poor. */
export const THRESHOLDS: Readonly<Record<Metric, readonly [number, number]>> = {
  lcp: [2500, 4000],
  inp: [200, 500],
  cls: [0.1, 0.25],
  fcp: [1800, 3000],
  ttfb: [800, 1800],
  load: [2500, 4000],
  tti: [3800, 7300],
};

export const METRIC_NAME: Readonly<Record<Metric, string>> = {
  lcp: 'Largest Contentful Paint',
  inp: 'Interaction to Next Paint',
  cls: 'Cumulative Layout Shift',
  fcp: 'First Contentful Paint',
  ttfb: 'Time to First Byte',
  load: 'Page load',
  tti: 'Time to Interactive',
};

export const METRIC_SHORT: Readonly<Record<Metric, string>> = {
  lcp: 'LCP',
  inp: 'INP',
  cls: 'CLS',
  fcp: 'FCP',
  ttfb: 'TTFB',
  load: 'Load',
  tti: 'TTI',
};

export const RATING_LABEL: Readonly<Record<Rating, string>> = {
  good: 'Good',
  ni: 'Needs improvement',
  poor: 'Poor',
};

export function isMetric(value: string | null | undefined): value is Metric {
  return value != null && (METRICS as readonly string[]).includes(value);
}

/** Rates a value by Google's thresholds; `null` for a missing or non-finite value. */
export function rate(metric: Metric, value: number | null | undefined): Rating | null {
  if (value == null || !Number.isFinite(value)) return null;
  const [good, poor] = THRESHOLDS[metric];
  if (value <= good) return 'good';
  if (value <= poor) return 'ni';
  return 'poor';
}

/**
 * The rating of a histogram bucket `[lo, hi)`: the rating of its middle (the
 * server puts the thresholds on bucket edges, so the whole bucket shares it);
 * an open last bucket (`hi` null) takes the rating just above `lo`.
 */
export function bucketRating(metric: Metric, lo: number, hi: number | null): Rating {
  const probe = hi == null ? lo + Math.max(Math.abs(lo) * 1e-9, 1e-9) : (lo + hi) / 2;
  return rate(metric, probe) ?? 'good';
}
