// Google's Core Web Vitals thresholds, the same ones the server uses for its
// good / needs-improvement / poor shares: both read crates/schema/metrics.json.
import spec from '../../../crates/schema/metrics.json';

export type Metric = keyof typeof spec.metrics;
export type Rating = 'good' | 'ni' | 'poor';

export const METRICS: readonly Metric[] = ['lcp', 'inp', 'cls', 'fcp', 'ttfb', 'load', 'tti'];
/** The metrics the overview shows as cards (the summary endpoint's keys). */
export const CARD_METRICS: readonly Metric[] = ['lcp', 'inp', 'cls', 'fcp', 'ttfb', 'load'];

const byMetric = <T,>(f: (m: (typeof spec.metrics)[Metric]) => T): Readonly<Record<Metric, T>> =>
  Object.fromEntries(METRICS.map((m) => [m, f(spec.metrics[m])])) as Record<Metric, T>;

/** `[good, poor]`: good when value <= good, poor when value > poor. */
export const THRESHOLDS: Readonly<Record<Metric, readonly [number, number]>> = byMetric((m) => [m.good, m.poor] as const);

export const METRIC_NAME: Readonly<Record<Metric, string>> = byMetric((m) => m.name);

export const METRIC_SHORT: Readonly<Record<Metric, string>> = byMetric((m) => m.short);

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
export function bucketRating(metric: Metric, lo: number, hi: number | null | undefined): Rating {
  const probe = hi == null ? lo + Math.max(Math.abs(lo) * 1e-9, 1e-9) : (lo + hi) / 2;
  return rate(metric, probe) ?? 'good';
}

/** Rates a crash-free session share (0..1): good from 99%, needs improvement from 95%. */
export function rateCrashFree(share: number | null | undefined): Rating | null {
  if (share == null || !Number.isFinite(share)) return null;
  if (share >= 0.99) return 'good';
  if (share >= 0.95) return 'ni';
  return 'poor';
}
