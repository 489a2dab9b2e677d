// The audit log page: what it asks for and in which order it shows it.

import type { AuditEntry } from './types';

/** The entries the page asks for: the latest ones. */
export const AUDIT_LIMIT = 200;

/** Newest first, whatever order the server sent; entries of the same ms keep theirs. */
export function newestFirst(entries: readonly AuditEntry[]): AuditEntry[] {
  return entries
    .map((e, i) => [e, i] as const)
    .sort(([a, i], [b, j]) => b.ts - a.ts || i - j)
    .map(([e]) => e);
}
