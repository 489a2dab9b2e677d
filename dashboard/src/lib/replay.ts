// Session replay, the pure part: which segments to play, how their events join
// into one recording, where the session's events sit on the replay's timeline,
// which event the playhead is at, and the links that open a replay at a moment.
// The player itself (rrweb's Replayer, loaded on demand) is in replayer.ts.

import type { ReplayIndex, ReplaySegment, SessionEvent } from './types';
import { routePath } from './url';

/** `GET …/sessions/{id}/replay` and one stored segment it lists (from the OpenAPI document). */
export type { ReplayIndex, ReplaySegment };

/** An rrweb event (`eventWithTime`); the player reads the rest of it. */
export interface RrwebEvent {
  type: number;
  timestamp: number;
  [field: string]: unknown;
}

export const SPEEDS = [1, 2, 4, 8] as const;

/** Seconds of lead-up shown before the moment a link asks for (`?t=`). */
export const SEEK_LEAD_MS = 3_000;

/**
 * The segments worth fetching: from the first one holding a full snapshot on.
 * Events before any snapshot mutate a page the player never built (a segment
 * lost in transit, a recorder started mid-page), so they cannot be shown.
 */
export function playableSegments(segments: ReplaySegment[]): ReplaySegment[] {
  const sorted = [...segments].sort((a, b) => a.index - b.index);
  const first = sorted.findIndex((s) => s.full_snapshot);
  return first < 0 ? [] : sorted.slice(first);
}

/**
 * `events` in their order, none earlier than `floor` (the last timestamp
 * already played): rrweb sorts a recording by timestamp, and each page load
 * corrects its clock on its own, so the first events of a new page can land a
 * few ms before the last of the previous one. Lifting them keeps the page's
 * Meta and FullSnapshot after everything from the page before.
 */
export function monotonic(events: RrwebEvent[], floor = -Infinity): { events: RrwebEvent[]; last: number } {
  let last = floor;
  const out = events.map((e) => {
    if (e.timestamp >= last) {
      last = e.timestamp;
      return e;
    }
    return { ...e, timestamp: last };
  });
  return { events: out, last };
}

/** Segments' events (in index order) as one playable recording. */
export function mergeSegments(chunks: RrwebEvent[][]): RrwebEvent[] {
  let last = -Infinity;
  const out: RrwebEvent[] = [];
  for (const chunk of chunks) {
    const m = monotonic(chunk, last);
    last = m.last;
    out.push(...m.events);
  }
  return out;
}

export type MarkerKind = 'view' | 'action' | 'frustration' | 'error';

export interface Marker {
  kind: MarkerKind;
  event: SessionEvent;
  /** ms from the start of the recording */
  offset: number;
  /** percent of the timeline */
  left: number;
}

/**
 * How far outside the recording an event still gets a marker, pinned to the
 * edge: a view starts at navigation, a little before the recorder's first
 * snapshot of that page.
 */
const EDGE_MS = 5_000;

function markerKind(e: SessionEvent): MarkerKind | null {
  switch (e.type) {
    case 'view':
      return 'view';
    case 'error':
      return 'error';
    case 'action':
      return Array.isArray(e.frustration) && e.frustration.length > 0 ? 'frustration' : 'action';
    default:
      return null;
  }
}

/** Views, actions, frustration signals and errors of the session on the replay's timeline, in time order. */
export function replayMarkers(events: SessionEvent[], start: number, end: number): Marker[] {
  const span = Math.max(1, end - start);
  const out: Marker[] = [];
  for (const event of events) {
    const kind = markerKind(event);
    if (kind == null || event.ts < start - EDGE_MS || event.ts > end + EDGE_MS) continue;
    const offset = Math.min(span, Math.max(0, event.ts - start));
    out.push({ kind, event, offset, left: (offset / span) * 100 });
  }
  return out.sort((a, b) => a.event.ts - b.event.ts);
}

/** Index of the last of `times` (ascending) at or before `t`; -1 when `t` is before them all. */
export function currentIndex(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Where a link's moment `t` (ms since the epoch) puts the player: a few
 * seconds before it, within the recording `[start, end]`; as an offset from `start`.
 */
export function seekOffset(t: number, start: number, end: number, lead = SEEK_LEAD_MS): number {
  return Math.min(Math.max(0, end - start), Math.max(0, t - lead - start));
}

/** `?t=` of a session page: a moment in ms since the epoch, or null. */
export function parseSeek(params: URLSearchParams): number | null {
  const raw = params.get('t');
  return raw != null && /^\d{1,16}$/.test(raw) ? Number(raw) : null;
}

/** The session page, its replay at `ts` (ms since the epoch). */
export function replayHref(app: string, session: string, ts: number): string {
  return `${routePath({ page: 'session', app, id: session })}?t=${Math.round(ts)}`;
}

/** A playhead as `m:ss` (or `h:mm:ss`). */
export function formatClock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * Fetches items `0..count-1`, at most `concurrency` at a time, and hands each
 * to `deliver` in index order as soon as all before it have arrived: the player
 * can start on the first segment while later ones are still on the way.
 * Rejects with the first failed fetch.
 */
export async function loadInOrder<T>(
  count: number,
  fetchOne: (i: number) => Promise<T>,
  deliver: (value: T, i: number) => void,
  concurrency = 4,
): Promise<void> {
  const arrived = new Map<number, T>();
  let next = 0;
  let delivered = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      arrived.set(i, await fetchOne(i));
      while (arrived.has(delivered)) {
        const value = arrived.get(delivered) as T;
        arrived.delete(delivered);
        deliver(value, delivered++);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
