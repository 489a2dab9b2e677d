import { describe, expect, it } from 'vitest';
import {
  currentIndex,
  formatClock,
  loadInOrder,
  mergeSegments,
  monotonic,
  parseSeek,
  playableSegments,
  replayHref,
  replayMarkers,
  seekOffset,
  type ReplaySegment,
  type RrwebEvent,
} from '../src/lib/replay';
import { parseRoute } from '../src/lib/url';
import type { SessionEvent } from '../src/lib/types';

const T = 1_764_100_000_000;
const ev = (type: number, at: number): RrwebEvent => ({ type, timestamp: T + at, data: {} });
const seg = (index: number, full_snapshot: boolean): ReplaySegment => ({ index, start: T + index * 5000, end: T + index * 5000 + 4000, events: 10, bytes: 100, full_snapshot });

describe('segments', () => {
  it('plays from the first segment with a full snapshot, in index order', () => {
    expect(playableSegments([seg(2, false), seg(0, false), seg(1, true), seg(3, true)]).map((s) => s.index)).toEqual([1, 2, 3]);
    expect(playableSegments([seg(0, false)])).toEqual([]);
    expect(playableSegments([])).toEqual([]);
  });

  it('concatenates segments in index order into one recording', () => {
    const page1 = [ev(4, 0), ev(2, 1), ev(3, 500)];
    const page2 = [ev(4, 6000), ev(2, 6001), ev(3, 7000)];
    expect(mergeSegments([page1, page2])).toEqual([...page1, ...page2]);
    expect(mergeSegments([])).toEqual([]);
  });

  it('keeps a new page after the previous one when its clock was corrected a little earlier', () => {
    // page 2's Meta + FullSnapshot carry timestamps 3 ms before page 1's last event
    const merged = mergeSegments([[ev(4, 0), ev(2, 1), ev(3, 5000)], [ev(4, 4997), ev(2, 4998), ev(3, 6000)]]);
    expect(merged.map((e) => e.type)).toEqual([4, 2, 3, 4, 2, 3]);
    expect(merged.map((e) => e.timestamp - T)).toEqual([0, 1, 5000, 5000, 5000, 6000]);
    // stable under rrweb's own sort by timestamp
    expect([...merged].sort((a, b) => a.timestamp - b.timestamp)).toEqual(merged);
  });

  it('lifts events without touching the originals, and carries the floor across calls', () => {
    const late = ev(3, 10);
    const m = monotonic([late], T + 20);
    expect(m.events[0]?.timestamp).toBe(T + 20);
    expect(late.timestamp).toBe(T + 10);
    expect(m.last).toBe(T + 20);
    expect(monotonic([ev(3, 30)], m.last).last).toBe(T + 30);
  });
});

describe('loadInOrder', () => {
  it('delivers in index order while fetches finish out of order, at most `concurrency` at once', async () => {
    let running = 0;
    let peak = 0;
    const delays = [30, 5, 1, 20, 2, 1];
    const got: number[] = [];
    await loadInOrder(
      delays.length,
      async (i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, delays[i]));
        running--;
        return i * 10;
      },
      (v, i) => {
        expect(v).toBe(i * 10);
        got.push(i);
      },
      3,
    );
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(3);
  });

  it('rejects with a failed fetch and delivers nothing after the gap', async () => {
    const got: number[] = [];
    const run = loadInOrder(
      3,
      async (i) => {
        if (i === 1) throw new Error('segment 1: 500');
        return i;
      },
      (_, i) => got.push(i),
      1,
    );
    await expect(run).rejects.toThrow('segment 1: 500');
    expect(got).toEqual([0]);
  });

  it('handles no segments', async () => {
    await expect(loadInOrder(0, () => Promise.reject(new Error('never')), () => {})).resolves.toBeUndefined();
  });
});

describe('markers', () => {
  const e = (type: string, at: number, extra: Record<string, unknown> = {}): SessionEvent => ({ type, event_id: `${type}-${at}`, ts: T + at, ...extra });
  const events = [
    e('view', -2000, { route: '/' }),
    e('resource', 100),
    e('action', 1000, { action_type: 'click' }),
    e('action', 2000, { action_type: 'click', frustration: ['rage_click'] }),
    e('long_task', 2500),
    e('error', 3000, { message: 'boom' }),
    e('view', 4000, { route: '/cart' }),
    e('error', 60_000, { message: 'after the recording' }),
  ];

  it('places views, actions, frustration and errors at their offset from the recording start', () => {
    const m = replayMarkers(events, T, T + 10_000);
    expect(m.map((x) => [x.kind, x.offset, x.left])).toEqual([
      ['view', 0, 0], // navigation starts before the first snapshot: pinned to the start
      ['action', 1000, 10],
      ['frustration', 2000, 20],
      ['error', 3000, 30],
      ['view', 4000, 40],
    ]);
  });

  it('sorts by time and survives an empty recording span', () => {
    const m = replayMarkers([e('error', 5), e('view', 0)], T, T);
    expect(m.map((x) => x.kind)).toEqual(['view', 'error']);
    expect(m.every((x) => Number.isFinite(x.left))).toBe(true);
  });
});

describe('currentIndex', () => {
  const times = [10, 20, 20, 30];
  it.each([
    [5, -1],
    [10, 0],
    [15, 0],
    [20, 2],
    [29, 2],
    [30, 3],
    [1e9, 3],
  ])('at %d → %d', (t, want) => expect(currentIndex(times, t)).toBe(want));
  it('is -1 with no events', () => expect(currentIndex([], 5)).toBe(-1));
});

describe('seeking', () => {
  it('starts a few seconds before the moment, within the recording', () => {
    expect(seekOffset(T + 10_000, T, T + 60_000)).toBe(7000);
    expect(seekOffset(T + 1000, T, T + 60_000)).toBe(0);
    expect(seekOffset(T - 50_000, T, T + 60_000)).toBe(0);
    expect(seekOffset(T + 90_000, T, T + 60_000)).toBe(60_000);
    expect(seekOffset(T + 10_000, T, T + 60_000, 0)).toBe(10_000);
  });

  it('reads ?t= as ms since the epoch and nothing else', () => {
    expect(parseSeek(new URLSearchParams(`t=${T}`))).toBe(T);
    for (const bad of ['t=', 't=abc', 't=-5', 't=1e12', 't=12.5', 'x=1']) expect(parseSeek(new URLSearchParams(bad))).toBeNull();
  });

  it('links an issue occurrence to its session page at that moment', () => {
    const href = replayHref('shop', 'a/b c', T + 0.4);
    expect(href).toBe(`/apps/shop/sessions/a%2Fb%20c?t=${T}`);
    const u = new URL(href, 'http://x');
    expect(parseRoute(u.pathname)).toEqual({ page: 'session', app: 'shop', id: 'a/b c' });
    expect(parseSeek(u.searchParams)).toBe(T);
  });

  it('shows the playhead as a clock', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(61_500)).toBe('1:01');
    expect(formatClock(3_725_000)).toBe('1:02:05');
    expect(formatClock(-5)).toBe('0:00');
  });
});
