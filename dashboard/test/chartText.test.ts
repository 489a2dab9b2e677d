import { describe, expect, it } from 'vitest';
import { bucketLabel, histogramSummary, seriesSummary } from '../src/lib/chartText';
import { formatCount } from '../src/lib/format';

const at = (ms: number) => `t${ms}`;

describe('seriesSummary', () => {
  it('names the series, its points, its maximum and when, and the latest value', () => {
    const points = [
      { t: 1000, value: 3 },
      { t: 2000, value: 120 },
      { t: 3000, value: null },
      { t: 4000, value: 120 },
      { t: 5000, value: 87 },
    ];
    expect(seriesSummary('Page views', points, formatCount, at)).toBe('Page views, 4 points, max 120 at t2000, latest 87');
  });
  it('says so when there is nothing to draw', () => {
    expect(seriesSummary('Errors', [], formatCount, at)).toBe('Errors, no data');
    expect(seriesSummary('Errors', [{ t: 1, value: null }], formatCount, at)).toBe('Errors, no data');
  });
  it('counts one point as one', () => {
    expect(seriesSummary('LCP p75', [{ t: 5, value: 2310 }], (v) => `${v} ms`, at)).toBe('LCP p75, 1 point, max 2310 ms at t5, latest 2310 ms');
  });
});

describe('bucketLabel', () => {
  it('formats a range, and an open last bucket', () => {
    expect(bucketLabel('lcp', { lo: 1000, hi: 1500, count: 1 })).toBe('1.00 s–1.50 s');
    expect(bucketLabel('cls', { lo: 0.25, hi: null, count: 1 })).toBe('≥ 0.25');
  });
});

describe('histogramSummary', () => {
  it('gives the views, the share of each rating and the fullest bucket', () => {
    // LCP: good up to 2.5 s, poor above 4 s
    const buckets = [
      { lo: 0, hi: 1000, count: 2 },
      { lo: 1000, hi: 2500, count: 5 },
      { lo: 2500, hi: 4000, count: 2 },
      { lo: 4000, hi: null, count: 1 },
    ];
    expect(histogramSummary('lcp', buckets)).toBe(
      'Distribution of LCP, 10 views: Good 70%, Needs improvement 20%, Poor 10%; most in 1.00 s–2.50 s',
    );
  });
  it('says so when there are no measurements', () => {
    expect(histogramSummary('inp', [{ lo: 0, hi: 200, count: 0 }])).toBe('Distribution of INP, no measurements');
  });
});
