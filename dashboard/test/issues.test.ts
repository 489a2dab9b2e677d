import { describe, expect, it } from 'vitest';
import { issuePatch, parseStatusFilter, statusBadge } from '../src/lib/issues';

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
    expect(statusBadge({})).toBeNull();
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
});
