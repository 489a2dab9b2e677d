// Layout of a view's load as a waterfall (the Session page's "Page load"
// panel): the navigation's phases end to end, the moments the page reached
// (DOM interactive, FCP, DCL, LCP, load), the view's requests at their start
// and duration, all on one axis from the view's start; and the LCP and INP
// breakdowns as shares of a stacked bar. Pure, unit tested in
// test/loadWaterfall.test.ts. Every number came from a browser: anything
// absent, negative or not a number is skipped, never drawn as 0.

import { num, str } from './events';
import type { SessionEvent } from './types';
import { urlPath } from './url';

/** At most this many of a view's requests are drawn: the first by start time. */
export const MAX_LOAD_RESOURCES = 50;

/** The narrowest bar, in percent of the axis: a 0 ms phase or a 1 ms request stays visible. */
export const MIN_BAR = 0.4;

export type PhaseKey = 'redirect' | 'dns' | 'connect' | 'request' | 'response' | 'route_change';
export type MarkerKey = 'dom_interactive' | 'fcp' | 'dcl' | 'lcp' | 'load';

/** The navigation's phases, in order (Navigation Timing), with their labels. */
export const PHASES: readonly (readonly [Exclude<PhaseKey, 'route_change'>, string])[] = [
  ['redirect', 'Redirect'],
  ['dns', 'DNS'],
  ['connect', 'Connect'],
  ['request', 'Request'],
  ['response', 'Response'],
];

/** The moments of a load, ms since the navigation's start, with their labels. */
export const MARKERS: readonly (readonly [MarkerKey, string])[] = [
  ['dom_interactive', 'DOM interactive'],
  ['fcp', 'FCP'],
  ['dcl', 'DOMContentLoaded'],
  ['lcp', 'LCP'],
  ['load', 'Load'],
];

export const LCP_PARTS = [
  ['lcp_ttfb', 'Time to first byte'],
  ['lcp_load_delay', 'Resource load delay'],
  ['lcp_load_time', 'Resource load time'],
  ['lcp_render_delay', 'Element render delay'],
] as const;

export const INP_PARTS = [
  ['inp_input_delay', 'Input delay'],
  ['inp_processing', 'Processing'],
  ['inp_presentation', 'Presentation delay'],
] as const;

interface Bar {
  /** ms from the view's start (a request may start before it: negative) */
  offset: number;
  /** ms, ≥ 0 */
  duration: number;
  /** percent of the axis, both within 0..100 */
  left: number;
  width: number;
}

export interface PhaseRow extends Bar {
  kind: 'phase';
  key: PhaseKey;
  label: string;
}

export interface MarkerRow {
  kind: 'marker';
  key: MarkerKey;
  label: string;
  /** ms from the view's start */
  offset: number;
  /** percent of the axis */
  left: number;
}

export interface ResourceRow extends Bar {
  kind: 'resource';
  /** unique among the rows */
  key: string;
  event: SessionEvent;
  /** `script`, `fetch`, `img`…, or null */
  type: string | null;
  /** method and path: `GET /api/cart?id=1` */
  name: string;
  /** the full URL as sent, for a title; text only */
  url: string | null;
  status: number | null;
  /** why the request failed (`HTTP 404`, `network error`), or null */
  problem: string | null;
}

export interface Part {
  key: string;
  label: string;
  /** ms */
  duration: number;
  /** percent of the breakdown's total */
  left: number;
  width: number;
}

export interface Breakdown {
  /** the sum of the parts present, ms */
  total: number;
  /** the metric as the view reports it (the parts add up to it), or null */
  value: number | null;
  parts: Part[];
}

export interface LoadWaterfall {
  /** a route change: its duration replaces the navigation's phases */
  routeChange: boolean;
  /** the axis: 0 (the view's start) to `span` ms, at least 1 */
  span: number;
  phases: PhaseRow[];
  /** by time */
  markers: MarkerRow[];
  /** the first MAX_LOAD_RESOURCES requests by start time */
  resources: ResourceRow[];
  /** the view's requests in all */
  resourceCount: number;
  lcp: Breakdown | null;
  inp: Breakdown | null;
}

/** A duration or moment a browser measured: finite and ≥ 0, else null (absent). */
function ms(v: unknown): number | null {
  const n = num(v);
  return n != null && n >= 0 ? n : null;
}

/** The problem of a request by its status: 0 is a network error, 4xx and 5xx failed. */
function requestProblem(status: number | null): string | null {
  if (status === 0) return 'network error';
  if (status != null && status >= 400) return `HTTP ${status}`;
  return null;
}

/** A view's load as rows on one axis; `events` may hold anything: only its resources of this view count. */
export function layoutLoad(view: SessionEvent, events: readonly SessionEvent[]): LoadWaterfall {
  const routeChange = str(view.loading_type) === 'route_change' || ms(view.route_change_duration) != null;

  // the navigation's phases, end to end from 0; a route change has its duration instead
  const phases: Omit<PhaseRow, 'left' | 'width'>[] = [];
  if (routeChange) {
    const d = ms(view.route_change_duration);
    if (d != null) phases.push({ kind: 'phase', key: 'route_change', label: 'Route change', offset: 0, duration: d });
  } else {
    let at = 0;
    for (const [key, label] of PHASES) {
      const d = ms(view[key]);
      // no redirect reads 0: not a phase of this load
      if (d == null || (key === 'redirect' && d === 0)) continue;
      phases.push({ kind: 'phase', key, label, offset: at, duration: d });
      at += d;
    }
  }

  const markers: Omit<MarkerRow, 'left'>[] = [];
  for (const [key, label] of MARKERS) {
    const t = ms(view[key]);
    if (t != null) markers.push({ kind: 'marker', key, label, offset: t });
  }
  markers.sort((a, b) => a.offset - b.offset);

  // the view's requests, by start (ties keep the events' order), the first MAX_LOAD_RESOURCES
  const viewId = str(view.view_id);
  const all =
    viewId == null
      ? []
      : events
          .map((e, i) => ({ e, i }))
          .filter(({ e }) => e.type === 'resource' && e.view_id === viewId && num(e.ts) != null)
          .sort((a, b) => a.e.ts - b.e.ts || a.i - b.i);
  const resources = all.slice(0, MAX_LOAD_RESOURCES).map(({ e, i }): Omit<ResourceRow, 'left' | 'width'> => {
    const url = str(e.resource_url) ?? str(e.url);
    const method = str(e.method);
    const path = urlPath(url) || '(request)';
    const status = num(e.status);
    return {
      kind: 'resource',
      key: `${i}:${e.event_id}`,
      event: e,
      type: str(e.kind),
      name: method ? `${method} ${path}` : path,
      url,
      status,
      problem: requestProblem(status),
      offset: e.ts - view.ts,
      duration: ms(e.duration) ?? 0,
    };
  });

  let end = 1;
  for (const r of [...phases, ...resources]) end = Math.max(end, r.offset + r.duration);
  for (const m of markers) end = Math.max(end, m.offset);
  const span = end;
  const bar = <R extends { offset: number; duration: number }>(r: R): R & { left: number; width: number } => {
    const width = Math.min(100, Math.max(MIN_BAR, (r.duration / span) * 100));
    const left = Math.min(100 - width, Math.max(0, (r.offset / span) * 100));
    return { ...r, left, width };
  };

  return {
    routeChange,
    span,
    phases: phases.map(bar),
    markers: markers.map((m) => ({ ...m, left: Math.min(100, (m.offset / span) * 100) })),
    resources: resources.map(bar),
    resourceCount: all.length,
    lcp: breakdown(view, LCP_PARTS, 'lcp'),
    inp: breakdown(view, INP_PARTS, 'inp'),
  };
}

/** The parts of a metric present on `view`, as shares of their sum; null when none is. */
export function breakdown(view: SessionEvent, parts: readonly (readonly [string, string])[], metric: string): Breakdown | null {
  const present = parts.flatMap(([key, label]) => {
    const d = ms(view[key]);
    return d == null ? [] : [{ key, label, duration: d }];
  });
  if (present.length === 0) return null;
  const total = present.reduce((s, p) => s + p.duration, 0);
  let at = 0;
  const placed = present.map((p) => {
    const left = total > 0 ? (at / total) * 100 : 0;
    const width = total > 0 ? (p.duration / total) * 100 : 0;
    at += p.duration;
    return { ...p, left, width };
  });
  return { total, value: ms(view[metric]), parts: placed };
}
