import { describe, expect, it } from 'vitest';
import { breakdown, INP_PARTS, layoutLoad, LCP_PARTS, MAX_LOAD_RESOURCES, MIN_BAR } from '../src/lib/loadWaterfall';
import type { SessionEvent } from '../src/lib/types';

const T0 = 1733490000000;

function view(over: Partial<SessionEvent> = {}): SessionEvent {
  return { type: 'view', event_id: 'v1', view_id: 'view-1', ts: T0, url: 'https://shop.test/cart', loading_type: 'initial_load', ...over };
}

function resource(over: Partial<SessionEvent> = {}): SessionEvent {
  return {
    type: 'resource',
    event_id: 'r1',
    view_id: 'view-1',
    ts: T0 + 100,
    kind: 'script',
    resource_url: 'https://cdn.shop.test/app.js?v=2',
    status: 200,
    duration: 50,
    ...over,
  };
}

describe('layoutLoad', () => {
  it('lays the navigation phases end to end from the view start', () => {
    const w = layoutLoad(view({ redirect: 10, dns: 20, connect: 30, request: 40, response: 100 }), []);
    expect(w.routeChange).toBe(false);
    expect(w.phases.map((p) => [p.key, p.offset, p.duration])).toEqual([
      ['redirect', 0, 10],
      ['dns', 10, 20],
      ['connect', 30, 30],
      ['request', 60, 40],
      ['response', 100, 100],
    ]);
    // the axis ends with the last phase: 200 ms
    expect(w.span).toBe(200);
    expect(w.phases.map((p) => [p.left, p.width])).toEqual([
      [0, 5],
      [5, 10],
      [15, 15],
      [30, 20],
      [50, 50],
    ]);
  });

  it('skips absent, junk and negative phases (the next one moves up), and a redirect of 0 (none happened)', () => {
    const w = layoutLoad(view({ redirect: 0, dns: null, connect: Number.NaN, request: 40, response: -3, ttfb: 45 }), []);
    expect(w.phases.map((p) => [p.key, p.offset, p.duration])).toEqual([['request', 0, 40]]);
    // a DNS of 0 (a cached lookup) is measured: it stays, drawn at the minimum width
    const cached = layoutLoad(view({ dns: 0, connect: 0, request: 100 }), []);
    expect(cached.phases.map((p) => [p.key, p.offset, p.duration])).toEqual([
      ['dns', 0, 0],
      ['connect', 0, 0],
      ['request', 0, 100],
    ]);
    expect(cached.phases[0]!.width).toBe(MIN_BAR);
  });

  it('puts the moments as markers by time, only those measured', () => {
    const w = layoutLoad(view({ request: 100, fcp: 800, lcp: 1600, dcl: 700, dom_interactive: 650, load: 2000, tti: 2500 }), []);
    expect(w.markers.map((m) => [m.key, m.label, m.offset])).toEqual([
      ['dom_interactive', 'DOM interactive', 650],
      ['dcl', 'DOMContentLoaded', 700],
      ['fcp', 'FCP', 800],
      ['lcp', 'LCP', 1600],
      ['load', 'Load', 2000],
    ]);
    // the axis reaches the last marker
    expect(w.span).toBe(2000);
    expect(w.markers.map((m) => m.left)).toEqual([32.5, 35, 40, 80, 100]);
    expect(layoutLoad(view({ fcp: 'soon', lcp: undefined }), []).markers).toEqual([]);
  });

  it('draws the view’s requests at their offset from the view start, by start, and only this view’s', () => {
    const w = layoutLoad(view({ load: 500 }), [
      resource({ event_id: 'late', ts: T0 + 300, duration: 700, resource_url: 'https://shop.test/api/cart?id=1', kind: 'fetch', method: 'POST' }),
      resource({ event_id: 'early', ts: T0 + 20, duration: 80 }),
      resource({ event_id: 'other', view_id: 'view-2', ts: T0 + 10 }),
      { type: 'action', event_id: 'a', view_id: 'view-1', ts: T0 + 5 },
      view({ event_id: 'v-again' }),
    ]);
    expect(w.resources.map((r) => [r.event.event_id, r.offset, r.duration])).toEqual([
      ['early', 20, 80],
      ['late', 300, 700],
    ]);
    expect(w.resourceCount).toBe(2);
    expect(w.span).toBe(1000);
    const [early, late] = w.resources;
    expect([early!.left, early!.width]).toEqual([2, 8]);
    expect([late!.left, late!.width]).toEqual([30, 70]);
    expect(early!.name).toBe('/app.js?v=2');
    expect(early!.type).toBe('script');
    expect(early!.url).toBe('https://cdn.shop.test/app.js?v=2');
    expect(late!.name).toBe('POST /api/cart?id=1');
  });

  it('says why a request failed and keeps an odd one on the axis', () => {
    const w = layoutLoad(view(), [
      resource({ event_id: 'a', status: 404 }),
      resource({ event_id: 'b', status: 0, ts: T0 + 101 }),
      resource({ event_id: 'c', status: 503, ts: T0 + 102 }),
      resource({ event_id: 'd', status: undefined, ts: T0 + 103, duration: 'long' }),
      // started a little before the view (clocks): drawn from 0, its offset kept
      resource({ event_id: 'e', ts: T0 - 5, duration: 20, resource_url: 'javascript:alert(1)' }),
    ]);
    expect(w.resources.map((r) => [r.event.event_id, r.problem])).toEqual([
      ['e', null],
      ['a', 'HTTP 404'],
      ['b', 'network error'],
      ['c', 'HTTP 503'],
      ['d', null],
    ]);
    const e = w.resources[0]!;
    expect(e.offset).toBe(-5);
    expect(e.left).toBe(0);
    expect(e.name).toBe('alert(1)');
    expect(w.resources[4]!.duration).toBe(0);
    for (const r of w.resources) {
      expect(r.left).toBeGreaterThanOrEqual(0);
      expect(r.left + r.width).toBeLessThanOrEqual(100 + 1e-9);
    }
  });

  it(`shows the first ${MAX_LOAD_RESOURCES} requests by start and counts them all`, () => {
    const many = Array.from({ length: 80 }, (_, i) => resource({ event_id: `r${i}`, ts: T0 + (80 - i) * 10 }));
    const w = layoutLoad(view(), many);
    expect(w.resourceCount).toBe(80);
    expect(w.resources).toHaveLength(MAX_LOAD_RESOURCES);
    expect(w.resources[0]!.event.event_id).toBe('r79');
    expect(w.resources.map((r) => r.offset)).toEqual([...w.resources.map((r) => r.offset)].sort((a, b) => a - b));
    expect(new Set(w.resources.map((r) => r.key)).size).toBe(MAX_LOAD_RESOURCES);
  });

  it('gives a route change its duration instead of navigation phases', () => {
    const w = layoutLoad(
      view({ loading_type: 'route_change', route_change_duration: 420, lcp: 380, dns: 5, request: 30 }),
      [resource({ ts: T0 + 50, duration: 100 })],
    );
    expect(w.routeChange).toBe(true);
    expect(w.phases.map((p) => [p.key, p.label, p.offset, p.duration])).toEqual([['route_change', 'Route change', 0, 420]]);
    expect(w.markers.map((m) => m.key)).toEqual(['lcp']);
    expect(w.span).toBe(420);
    // a route change not measured yet: no phase at all
    expect(layoutLoad(view({ loading_type: 'route_change' }), []).phases).toEqual([]);
  });

  it('has nothing to draw for a view without timings, and a view without id has no requests', () => {
    const w = layoutLoad(view({ loading_type: 'bf_cache' }), []);
    expect(w.phases).toEqual([]);
    expect(w.markers).toEqual([]);
    expect(w.resources).toEqual([]);
    expect(w.span).toBe(1);
    expect(w.lcp).toBeNull();
    expect(w.inp).toBeNull();
    expect(layoutLoad(view({ view_id: undefined }), [resource({ view_id: undefined })]).resourceCount).toBe(0);
  });
});

describe('breakdowns', () => {
  it('stacks the four LCP subparts, which add up to the LCP', () => {
    const v = view({ lcp: 2000, lcp_ttfb: 500, lcp_load_delay: 300, lcp_load_time: 700, lcp_render_delay: 500 });
    const b = layoutLoad(v, []).lcp!;
    expect(b.parts.map((p) => [p.key, p.duration, p.left, p.width])).toEqual([
      ['lcp_ttfb', 500, 0, 25],
      ['lcp_load_delay', 300, 25, 15],
      ['lcp_load_time', 700, 40, 35],
      ['lcp_render_delay', 500, 75, 25],
    ]);
    expect(b.total).toBe(2000);
    expect(b.value).toBe(2000);
    expect(b.parts.reduce((s, p) => s + p.duration, 0)).toBe(b.value);
    expect(b.parts.reduce((s, p) => s + p.width, 0)).toBeCloseTo(100);
    expect(b.parts.map((p) => p.label)).toEqual(LCP_PARTS.map(([, label]) => label));
  });

  it('stacks the three INP phases', () => {
    const b = layoutLoad(view({ inp: 300, inp_input_delay: 30, inp_processing: 210, inp_presentation: 60 }), []).inp!;
    expect(b.parts.map((p) => [p.key, p.left, p.width])).toEqual([
      ['inp_input_delay', 0, 10],
      ['inp_processing', 10, 70],
      ['inp_presentation', 80, 20],
    ]);
    expect(b.total).toBe(300);
    expect(b.value).toBe(300);
  });

  it('keeps the parts present, skips the rest, and is null without any', () => {
    const b = breakdown(view({ lcp: 900, lcp_ttfb: 300, lcp_render_delay: 600, lcp_load_delay: null, lcp_load_time: -1 }), LCP_PARTS, 'lcp')!;
    expect(b.parts.map((p) => [p.key, p.width])).toEqual([
      ['lcp_ttfb', (300 / 900) * 100],
      ['lcp_render_delay', (600 / 900) * 100],
    ]);
    expect(b.total).toBe(900);
    expect(breakdown(view({ inp: 200 }), INP_PARTS, 'inp')).toBeNull();
    // all zero: drawn as nothing rather than NaN
    const zero = breakdown(view({ inp_input_delay: 0, inp_processing: 0, inp_presentation: 0 }), INP_PARTS, 'inp')!;
    expect(zero.total).toBe(0);
    expect(zero.value).toBeNull();
    expect(zero.parts.every((p) => p.width === 0 && p.left === 0)).toBe(true);
  });
});
