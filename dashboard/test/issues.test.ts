import { describe, expect, it } from 'vitest';
import { issuePatch, parseIssueSort, parseStatusFilter, releaseRange, sortParam, statusBadge, trendPoints } from '../src/lib/issues';

describe('issue workflow', () => {
  it('parses the status filter, defaulting to all', () => {
    expect(parseStatusFilter('open')).toBe('open');
    expect(parseStatusFilter('resolved')).toBe('resolved');
    expect(parseStatusFilter('ignored')).toBe('ignored');
    expect(parseStatusFilter(null)).toBeNull();
    expect(parseStatusFilter('')).toBeNull();
    expect(parseStatusFilter('all')).toBeNull();
    expect(parseStatusFilter('Open')).toBeNull();
  });

  it('chooses the row badge', () => {
    expect(statusBadge({ status: 'open', regressed: true })).toEqual({ label: 'Regressed', tone: 'regressed' });
    expect(statusBadge({ status: 'resolved', regressed: false })).toEqual({ label: 'Resolved', tone: 'resolved' });
    expect(statusBadge({ status: 'ignored', regressed: false })).toEqual({ label: 'Ignored', tone: 'ignored' });
    expect(statusBadge({ status: 'open', regressed: false })).toBeNull();
    expect(statusBadge({ status: 'archived', regressed: false })).toBeNull();
  });

  it('builds the PATCH body', () => {
    expect(issuePatch('resolved', '1.2')).toEqual({ status: 'resolved', resolved_in_release: '1.2' });
    expect(issuePatch('resolved', '  1.2 ')).toEqual({ status: 'resolved', resolved_in_release: '1.2' });
    expect(issuePatch('resolved', '  ')).toEqual({ status: 'resolved' });
    expect(issuePatch('resolved', null)).toEqual({ status: 'resolved' });
    expect(issuePatch('resolved')).toEqual({ status: 'resolved' });
    expect(issuePatch('ignored', '1.2')).toEqual({ status: 'ignored' });
    expect(issuePatch('open', '1.2')).toEqual({ status: 'open' });
  });

  it('parses the sort, defaulting to events', () => {
    expect(parseIssueSort('users')).toBe('users');
    expect(parseIssueSort('sessions')).toBe('sessions');
    expect(parseIssueSort('last_seen')).toBe('last_seen');
    expect(parseIssueSort('first_seen')).toBe('first_seen');
    expect(parseIssueSort('events')).toBe('events');
    expect(parseIssueSort(null)).toBe('events');
    expect(parseIssueSort('')).toBe('events');
    expect(parseIssueSort('Users')).toBe('events');
    expect(parseIssueSort('count')).toBe('events');
  });

  it('leaves the default sort out of URLs and requests', () => {
    expect(sortParam('events')).toBeNull();
    expect(sortParam('users')).toBe('users');
    expect(sortParam('first_seen')).toBe('first_seen');
  });
});

describe('trendPoints', () => {
  it('puts each count at the start of its bucket', () => {
    expect(trendPoints({ from: 1000, interval_ms: 60_000, counts: [2, 0, 5] })).toEqual([
      { t: 1000, value: 2, count: 2 },
      { t: 61_000, value: 0, count: 0 },
      { t: 121_000, value: 5, count: 5 },
    ]);
  });
  it('has no points without buckets', () => {
    expect(trendPoints({ from: 0, interval_ms: 1000, counts: [] })).toEqual([]);
  });
});

describe('releaseRange', () => {
  it('spans first → latest release', () => {
    expect(releaseRange({ first_release: '1.0.0', last_release: '1.0.2' })).toBe('1.0.0 → 1.0.2');
  });
  it('names one release when first and latest match', () => {
    expect(releaseRange({ first_release: '1.0.0', last_release: '1.0.0' })).toBe('1.0.0');
  });
  it('says which end had no release', () => {
    expect(releaseRange({ first_release: null, last_release: '2.0' })).toBe('(no release) → 2.0');
    expect(releaseRange({ first_release: '2.0', last_release: null })).toBe('2.0 → (no release)');
  });
  it('is unknown when no occurrence had a release', () => {
    expect(releaseRange({ first_release: null, last_release: null })).toBeNull();
  });
});
