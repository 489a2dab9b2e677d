// The usage page's arithmetic: totals over the days of `GET /apps/{app}/usage`,
// the labels that say whether a figure is a raw count or extrapolated, and
// where an app stands against its daily quotas today. Pure, unit tested in
// test/usage.test.ts.

import { formatUtcTime } from './format';
import type { DropReason, EventKind, QuotaToday, StoredKind, UsageDay } from './types';

export const EVENT_KINDS: readonly EventKind[] = ['action', 'error', 'resource', 'long_task'];
export const DROP_REASONS: readonly DropReason[] = ['sampled', 'bot', 'excluded', 'quota'];
export const STORED_KINDS: readonly StoredKind[] = ['views', 'events', 'replay', 'spans'];

export const EVENT_LABEL: Readonly<Record<EventKind, string>> = {
  action: 'Actions',
  error: 'Errors',
  resource: 'Resources',
  long_task: 'Long tasks',
};

export const DROP_LABEL: Readonly<Record<DropReason, string>> = {
  sampled: 'Sampled out',
  bot: 'Bots',
  excluded: 'Excluded',
  quota: 'Over quota',
};

export const STORED_LABEL: Readonly<Record<StoredKind, string>> = {
  views: 'Views',
  events: 'Events',
  replay: 'Replays',
  spans: 'Spans',
};

/** The toggle's two choices, and what every weighted figure is labelled with. */
export const COUNTS_LABEL = {
  raw: 'raw counts',
  extrapolated: 'extrapolated (weighted by 1/sample rate)',
} as const;

/** What a figure that the toggle weights is: `raw counts` or `extrapolated (…)`. */
export function countsLabel(extrapolated: boolean): string {
  return extrapolated ? COUNTS_LABEL.extrapolated : COUNTS_LABEL.raw;
}

/** The start of a `YYYY-MM-DD` UTC day, ms since the epoch (NaN when it is not one). */
export function dayStart(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  return m == null ? Number.NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/** The UTC day `ms` falls in: `[start, end)` and its `YYYY-MM-DD`. */
export function utcDay(ms: number): { from: number; to: number; date: string } {
  const from = Math.floor(ms / 86_400_000) * 86_400_000;
  return { from, to: from + 86_400_000, date: new Date(from).toISOString().slice(0, 10) };
}

/** A day's events of every type besides views. */
export function dayEvents(d: UsageDay): number {
  return EVENT_KINDS.reduce((n, k) => n + (d.events[k] ?? 0), 0);
}

/** A day's drops of every reason. */
export function dayDropped(d: UsageDay): number {
  return DROP_REASONS.reduce((n, k) => n + (d.dropped[k] ?? 0), 0);
}

export interface Totals {
  sessions: number;
  views: number;
  events: number;
  replay_segments: number;
  replay_bytes: number;
  spans: number;
  dropped: number;
}

export function totals(days: readonly UsageDay[]): Totals {
  const t: Totals = { sessions: 0, views: 0, events: 0, replay_segments: 0, replay_bytes: 0, spans: 0, dropped: 0 };
  for (const d of days) {
    t.sessions += d.sessions;
    t.views += d.views;
    t.events += dayEvents(d);
    t.replay_segments += d.replay_segments;
    t.replay_bytes += d.replay_bytes;
    t.spans += d.spans;
    t.dropped += dayDropped(d);
  }
  return t;
}

export interface QuotaUse {
  kind: 'events' | 'replay_bytes';
  quota: number;
  /** what today has stored or accepted so far (raw) */
  used: number;
  /** used / quota; 1 or more when the quota is reached */
  share: number;
  reached: boolean;
  /** when the server found the quota used up today (ms), while it is */
  at: number | null;
}

/** Whether the app has a daily quota at all. */
export function hasQuota(q: QuotaToday): boolean {
  return q.daily_event_quota != null || q.daily_replay_bytes_quota != null;
}

/**
 * Today's use of the app's daily quotas, as the server counts it: the event
 * quota counts views and the other events (docs/api.md, "Quotas"), the replay
 * quota replay bytes. A quota is reached when the server says it found it used
 * up, or when the use is at it.
 */
export function quotaUse(q: QuotaToday): QuotaUse[] {
  const out: QuotaUse[] = [];
  const add = (kind: QuotaUse['kind'], quota: number | null | undefined, used: number, at: number | null | undefined) => {
    if (quota == null) return;
    const share = quota > 0 ? used / quota : 1;
    out.push({ kind, quota, used, share, reached: at != null || used >= quota, at: at ?? null });
  };
  add('events', q.daily_event_quota, q.events_today, q.events_exceeded_at);
  add('replay_bytes', q.daily_replay_bytes_quota, q.replay_bytes_today, q.replay_bytes_exceeded_at);
  return out;
}

/** What a quota's line says after its figures: when it was reached, if it was. */
export function quotaReached(u: QuotaUse): string {
  if (!u.reached) return '';
  const when = u.at == null ? '' : ` at ${formatUtcTime(u.at)} UTC`;
  return `: reached${when}, more is refused until the next UTC day`;
}
