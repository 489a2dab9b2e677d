// The issue workflow (open / resolved / ignored): pure helpers for the Errors
// and Issue pages, unit tested in test/issues.test.ts.

import type { Issue, IssuePatch, IssueStatus } from './types';

export const ISSUE_STATUSES: readonly IssueStatus[] = ['open', 'resolved', 'ignored'];

export const STATUS_LABEL: Readonly<Record<IssueStatus, string>> = {
  open: 'Open',
  resolved: 'Resolved',
  ignored: 'Ignored',
};

/** The Errors page's `?status=` filter; anything else (or nothing) means all issues. */
export function parseStatusFilter(raw: string | null | undefined): IssueStatus | null {
  return raw != null && (ISSUE_STATUSES as readonly string[]).includes(raw) ? (raw as IssueStatus) : null;
}

export interface StatusBadge {
  label: string;
  /** CSS modifier of `.badge` */
  tone: 'regressed' | 'resolved' | 'ignored';
}

/** The badge an issue row shows: "Regressed" first, then Resolved / Ignored; none for a plain open issue. */
export function statusBadge(issue: Pick<Issue, 'status' | 'regressed'>): StatusBadge | null {
  if (issue.regressed === true) return { label: 'Regressed', tone: 'regressed' };
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
