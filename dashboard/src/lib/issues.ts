// The issue workflow (open / resolved / ignored): pure helpers for the Errors
// and Issue pages, unit tested in test/issues.test.ts.

import type { Issue, IssuePatch, IssueStatus, Point, Trend } from './types';

export const ISSUE_STATUSES: readonly IssueStatus[] = ['open', 'resolved', 'ignored'];

export const STATUS_LABEL: Readonly<Record<IssueStatus, string>> = {
  open: 'Open',
  resolved: 'Resolved',
  ignored: 'Ignored',
};

/**
 * An issue row's status as the workflow knows it. The OpenAPI document types
 * it as any string (the server sends one of ISSUE_STATUSES); anything else
 * reads as open.
 */
export function issueStatus(raw: string | null | undefined): IssueStatus {
  return raw != null && (ISSUE_STATUSES as readonly string[]).includes(raw) ? (raw as IssueStatus) : 'open';
}

/** The Errors page's `?status=` filter; anything else (or nothing) means all issues. */
export function parseStatusFilter(raw: string | null | undefined): IssueStatus | null {
  return raw != null && (ISSUE_STATUSES as readonly string[]).includes(raw) ? (raw as IssueStatus) : null;
}

/** The issues endpoint's `sort` values, all descending; `events` is the server's default. */
export const ISSUE_SORTS = ['events', 'users', 'sessions', 'last_seen', 'first_seen'] as const;
export type IssueSort = (typeof ISSUE_SORTS)[number];

export const SORT_LABEL: Readonly<Record<IssueSort, string>> = {
  events: 'Events',
  users: 'Users',
  sessions: 'Sessions',
  last_seen: 'Last seen',
  first_seen: 'First seen',
};

/** The Errors page's `?sort=`; anything else (or nothing) means the default, events. */
export function parseIssueSort(raw: string | null | undefined): IssueSort {
  return raw != null && (ISSUE_SORTS as readonly string[]).includes(raw) ? (raw as IssueSort) : 'events';
}

/** `sort` as a URL / request param: the default is left out, so plain URLs stay plain. */
export function sortParam(sort: IssueSort): IssueSort | null {
  return sort === 'events' ? null : sort;
}

/** An issue's trend as chart points, one per bucket at its start. */
export function trendPoints(trend: Trend): Point[] {
  return trend.counts.map((c, i) => ({ t: trend.from + i * trend.interval_ms, value: c, count: c }));
}

/**
 * The releases an issue spans, first → latest occurrence (one name when they
 * match); null when no occurrence had a release.
 */
export function releaseRange(issue: Pick<Issue, 'first_release' | 'last_release'>): string | null {
  const first = issue.first_release ?? null;
  const last = issue.last_release ?? null;
  if (first == null && last == null) return null;
  if (first === last) return first;
  return `${first ?? NO_RELEASE} → ${last ?? NO_RELEASE}`;
}

/** How a missing release reads. */
export const NO_RELEASE = '(no release)';

export interface StatusBadge {
  label: string;
  /** CSS modifier of `.badge` */
  tone: 'regressed' | 'resolved' | 'ignored';
}

/** The badge an issue row shows: "Regressed" first, then Resolved / Ignored; none for a plain open issue. */
export function statusBadge(issue: Pick<Issue, 'status' | 'regressed'>): StatusBadge | null {
  if (issue.regressed) return { label: 'Regressed', tone: 'regressed' };
  if (issue.status === 'resolved') return { label: 'Resolved', tone: 'resolved' };
  if (issue.status === 'ignored') return { label: 'Ignored', tone: 'ignored' };
  return null;
}

/** The PATCH body for a new status; a blank release is left out, and a release goes only with "resolved". */
export function issuePatch(status: IssueStatus, release?: string | null): IssuePatch {
  if (status !== 'resolved') return { status };
  const r = release?.trim() ?? '';
  return r === '' ? { status } : { status, resolved_in_release: r };
}
