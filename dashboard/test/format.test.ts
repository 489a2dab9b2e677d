import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatBytes,
  formatCls,
  formatCompact,
  formatCount,
  formatDuration,
  formatFineMs,
  formatMetric,
  formatMs,
  formatOffset,
  formatHighShare,
  formatPercent,
  formatUtcTime,
} from '../src/lib/format';

describe('formatMs', () => {
  it.each([
    [0, '0 ms'],
    [812.4, '812 ms'],
    [999.4, '999 ms'],
    [1000, '1.00 s'],
    [2310, '2.31 s'],
    [14_240, '14.2 s'],
    [185_000, '3 min 5 s'],
    [null, '—'],
    [Number.NaN, '—'],
  ])('%s → %s', (v, want) => expect(formatMs(v)).toBe(want));
});

describe('formatFineMs', () => {
  it.each([
    [0, '0 ms'],
    [0.0042, '<0.01 ms'],
    [0.42, '0.42 ms'],
    [0.999, '1.0 ms'],
    [3.14, '3.1 ms'],
    [9.96, '10 ms'],
    [10, '10 ms'],
    [600.2, '600 ms'],
    [2310, '2.31 s'],
    [null, '—'],
    [Number.NaN, '—'],
  ])('%s → %s', (v, want) => expect(formatFineMs(v)).toBe(want));
});

describe('formatDuration', () => {
  it.each([
    [45_000, '45 s'],
    [60_000, '1 min'],
    [3 * 3_600_000 + 4 * 60_000, '3 h 4 min'],
    [2 * 86_400_000 + 3_600_000, '2 d 1 h'],
  ])('%s → %s', (v, want) => expect(formatDuration(v)).toBe(want));
});

describe('formatCls', () => {
  it('keeps three decimals and drops trailing zeros', () => {
    expect(formatCls(0.0834)).toBe('0.083');
    expect(formatCls(0.25)).toBe('0.25');
    expect(formatCls(0)).toBe('0');
    expect(formatCls(undefined)).toBe('—');
  });
  it('a score just under the good threshold does not round up to it', () => {
    // regression guard: two decimals would show 0.0999 as "0.10"
    expect(formatCls(0.0999)).toBe('0.1');
    expect(formatCls(0.0994)).toBe('0.099');
  });
});

describe('formatMetric', () => {
  it('uses ms for timings and a score for CLS', () => {
    expect(formatMetric('lcp', 2310)).toBe('2.31 s');
    expect(formatMetric('inp', 120)).toBe('120 ms');
    expect(formatMetric('cls', 0.12)).toBe('0.12');
  });
});

describe('counts and shares', () => {
  it('groups thousands', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(0)).toBe('0');
  });
  it('compacts large counts', () => {
    expect(formatCompact(9999)).toBe('9,999');
    expect(formatCompact(12_345)).toBe('12.3k');
    expect(formatCompact(123_456)).toBe('123k');
    expect(formatCompact(4_500_000)).toBe('4.5M');
  });
  it.each([
    [0, '0%'],
    [0.0004, '<0.1%'],
    [0.035, '3.5%'],
    [0.42, '42%'],
    [1, '100%'],
  ])('formatPercent(%s) = %s', (v, want) => expect(formatPercent(v)).toBe(want));
  it.each([
    [1, '100%'],
    [0.99996, '99.99%'],
    [0.995, '99.5%'],
    [0.75, '75%'],
    [0, '0%'],
    [null, '—'],
  ])('formatHighShare(%s) = %s: never 100%% before it is', (v, want) => expect(formatHighShare(v)).toBe(want));
  it('bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
  });
});

describe('time', () => {
  const now = 1_764_100_000_000;
  it('relative', () => {
    expect(formatAgo(now - 10_000, now)).toBe('just now');
    expect(formatAgo(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(formatAgo(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(formatAgo(now - 2 * 86_400_000, now)).toBe('2 d ago');
  });
  it('offsets never go negative', () => {
    expect(formatOffset(1250)).toBe('+1.25 s');
    expect(formatOffset(-5)).toBe('+0 ms');
  });
  it("times of day in UTC, whatever the viewer's zone", () => {
    expect(formatUtcTime(Date.UTC(2026, 11, 6, 14, 7, 59, 999))).toBe('14:07');
    expect(formatUtcTime(Date.UTC(2026, 11, 6))).toBe('00:00');
    expect(formatUtcTime(null)).toBe('—');
    expect(formatUtcTime(Number.NaN)).toBe('—');
    expect(formatUtcTime(1e20)).toBe('—');
  });
});
