import { describe, expect, it } from 'vitest';
import { bucketRating, isMetric, METRIC_SHORT, METRICS, rate, rateCrashFree, THRESHOLDS } from '../src/lib/thresholds';
import spec from '../../crates/schema/metrics.json';
import { DIMENSIONS } from '../src/pages/Vitals';

describe('rate', () => {
  it('uses Google thresholds, inclusive of the good edge', () => {
    expect(rate('lcp', 2500)).toBe('good');
    expect(rate('lcp', 2501)).toBe('ni');
    expect(rate('lcp', 4000)).toBe('ni');
    expect(rate('lcp', 4001)).toBe('poor');
    expect(rate('inp', 200)).toBe('good');
    expect(rate('inp', 501)).toBe('poor');
    expect(rate('cls', 0.1)).toBe('good');
    expect(rate('cls', 0.11)).toBe('ni');
    expect(rate('cls', 0.26)).toBe('poor');
    expect(rate('fcp', 1800)).toBe('good');
    expect(rate('ttfb', 1801)).toBe('poor');
    expect(rate('tti', 7300)).toBe('ni');
  });
  it('has no rating without a value', () => {
    expect(rate('lcp', null)).toBeNull();
    expect(rate('lcp', undefined)).toBeNull();
    expect(rate('lcp', Number.NaN)).toBeNull();
  });
  it('matches docs/api.md for every metric', () => {
    expect(THRESHOLDS).toEqual({
      lcp: [2500, 4000],
      inp: [200, 500],
      cls: [0.1, 0.25],
      fcp: [1800, 3000],
      ttfb: [800, 1800],
      load: [2500, 4000],
      tti: [3800, 7300],
    });
    expect(METRICS).toHaveLength(7);
  });
});

describe('bucketRating', () => {
  it('rates a bucket by the band it lies in', () => {
    expect(bucketRating('lcp', 2250, 2500)).toBe('good');
    expect(bucketRating('lcp', 2500, 2750)).toBe('ni');
    expect(bucketRating('lcp', 3750, 4000)).toBe('ni');
    expect(bucketRating('lcp', 4000, 4500)).toBe('poor');
    expect(bucketRating('cls', 0.1, 0.15)).toBe('ni');
    expect(bucketRating('cls', 0, 0.05)).toBe('good');
  });
  it('an open last bucket starting at the poor edge is poor', () => {
    expect(bucketRating('lcp', 4000, null)).toBe('poor');
    expect(bucketRating('cls', 0.25, null)).toBe('poor');
  });
});

describe('isMetric', () => {
  it('accepts only known metrics', () => {
    expect(isMetric('lcp')).toBe(true);
    expect(isMetric('LCP')).toBe(false);
    expect(isMetric('views')).toBe(false);
    expect(isMetric(null)).toBe(false);
  });
});

describe('rateCrashFree', () => {
  it('is good from 99%, needs improvement from 95%, inclusive', () => {
    expect(rateCrashFree(1)).toBe('good');
    expect(rateCrashFree(0.99)).toBe('good');
    expect(rateCrashFree(0.9899)).toBe('ni');
    expect(rateCrashFree(0.95)).toBe('ni');
    expect(rateCrashFree(0.9499)).toBe('poor');
    expect(rateCrashFree(0)).toBe('poor');
  });
  it('has no rating without a share', () => {
    expect(rateCrashFree(undefined)).toBeNull();
    expect(rateCrashFree(Number.NaN)).toBeNull();
  });
});

describe('one source of truth', () => {
  it('lists exactly the metrics of crates/schema/metrics.json, which the server reads too', () => {
    expect([...METRICS].sort()).toEqual(Object.keys(spec.metrics).sort());
    expect(THRESHOLDS.lcp).toEqual([2500, 4000]);
    expect(METRIC_SHORT.inp).toBe('INP');
  });
});

describe('dimensions', () => {
  it('are those of crates/schema/metrics.json, which the server checks too', () => {
    expect([...DIMENSIONS]).toEqual(spec.dimensions);
  });
});
