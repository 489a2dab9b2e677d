// Layout of a trace's waterfall: the browser's side of a trace (its fetch/xhr
// requests, the page load, network errors) and the backend's spans as rows on
// one time axis. Pure, unit tested in test/waterfall.test.ts.
//
// The order: browser rows first, by time, each followed by the backend spans
// it caused (the backend's entry span names the browser request's `span_id`
// as its parent), as a tree: children under their parent, one level deeper,
// siblings by start. Then the spans no browser row claims, rooted at spans
// without a known parent ("orphans": their parent never arrived). Every span
// appears exactly once, even when ids repeat or parents form a cycle (the data
// came from a backend anyone with the server key can write as).

import { eventTitle, num, str } from './events';
import type { SessionEvent, Span } from './types';
import { urlPath } from './url';

/** The narrowest bar, in percent of the axis: a 0.1 ms span on a 2 s trace stays visible. */
export const MIN_WIDTH = 0.5;

export type BrowserKind = 'request' | 'page-load' | 'network-error' | 'event';

interface Placement {
  /** unique among the rows (span ids may repeat) */
  key: string;
  depth: number;
  /** ms since the epoch */
  start: number;
  /** ms, ≥ 0 */
  duration: number;
  /** ms from the axis start */
  offset: number;
  /** percent of the axis */
  left: number;
  width: number;
  /** "Browser", or the span's service */
  service: string;
  name: string;
  /** why the row failed ("HTTP 502", "network error", a span's status message), or null */
  problem: string | null;
}

export interface BrowserRow extends Placement {
  kind: 'browser';
  browser: BrowserKind;
  event: SessionEvent;
  /** the browser request's span id: the parent of the backend's entry span */
  spanId: string | null;
}

export interface SpanRow extends Placement {
  kind: 'span';
  span: Span;
}

export type WaterfallRow = BrowserRow | SpanRow;

export interface Waterfall {
  /** the axis, in ms since the epoch: the earliest start to the latest end */
  start: number;
  end: number;
  /** end - start, at least a microsecond */
  span: number;
  rows: WaterfallRow[];
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A browser event's row, before it is placed on the axis. */
export function browserRow(e: SessionEvent): Omit<BrowserRow, 'key' | 'depth' | 'offset' | 'left' | 'width'> {
  const spanId = str(e.span_id);
  const base = { kind: 'browser' as const, event: e, spanId, start: e.ts, service: 'Browser' };
  switch (e.type) {
    case 'resource': {
      const method = str(e.method);
      const url = urlPath(str(e.resource_url) ?? str(e.url)) || '(request)';
      const status = num(e.status);
      const problem = status === 0 ? 'network error' : status != null && status >= 500 ? `HTTP ${status}` : null;
      return { ...base, browser: 'request', name: method ? `${method} ${url}` : url, duration: num(e.duration) ?? 0, problem };
    }
    case 'view':
      return {
        ...base,
        browser: 'page-load',
        name: `Page load ${str(e.route) ?? (urlPath(str(e.url)) || '')}`.trim(),
        duration: num(e.load) ?? num(e.ttfb) ?? 0,
        problem: null,
      };
    case 'error': {
      const url = urlPath(str(e.resource_url));
      return {
        ...base,
        browser: 'network-error',
        name: url ? `Network error ${url}` : 'Network error',
        duration: 0,
        problem: str(e.message) ?? 'network error',
      };
    }
    default:
      return { ...base, browser: 'event', name: eventTitle(e), duration: 0, problem: null };
  }
}

function spanRow(s: Span): Omit<SpanRow, 'key' | 'depth' | 'offset' | 'left' | 'width'> {
  return {
    kind: 'span',
    span: s,
    start: s.start,
    duration: finite(s.duration) ? s.duration : 0,
    service: s.service || '(unknown service)',
    name: s.name || '(unnamed span)',
    problem: s.status === 'error' ? (s.status_message || 'error') : null,
  };
}

/** Omit over each member of a union (plain Omit keeps only the members' common keys). */
type DistOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Unplaced = DistOmit<WaterfallRow, 'offset' | 'left' | 'width'>;

/** The rows of a trace, in display order, placed on one axis. */
export function layoutWaterfall(spans: readonly Span[], rum: readonly SessionEvent[]): Waterfall {
  const byStart = (a: { start: number }, b: { start: number }) => (finite(a.start) ? a.start : 0) - (finite(b.start) ? b.start : 0);

  // spans by parent, each list by start (Array.prototype.sort is stable: ties keep the server's order)
  const indexed = spans.map((s, i) => ({ s, i, start: s.start }));
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string, typeof indexed>();
  for (const x of indexed) {
    const p = x.s.parent_span_id;
    if (p == null || p === '') continue;
    const list = children.get(p);
    if (list) list.push(x);
    else children.set(p, [x]);
  }
  for (const list of children.values()) list.sort(byStart);

  const out: Unplaced[] = [];
  const seen = new Set<number>();
  /** Appends `roots` and their subtrees, depth first, without recursion (a chain may be deep). */
  const emit = (roots: typeof indexed, depth: number) => {
    const stack = [...roots].reverse().map((x) => ({ x, depth }));
    while (stack.length > 0) {
      const { x, depth: d } = stack.pop()!;
      if (seen.has(x.i)) continue;
      seen.add(x.i);
      out.push({ ...spanRow(x.s), key: `span:${x.i}`, depth: d });
      const kids = children.get(x.s.span_id) ?? [];
      for (let k = kids.length - 1; k >= 0; k--) if (!seen.has(kids[k]!.i)) stack.push({ x: kids[k]!, depth: d + 1 });
    }
  };

  // browser rows, by time; the spans under each request's span id follow it
  const browser = rum.map((e, i) => ({ row: browserRow(e), i })).sort((a, b) => byStart(a.row, b.row));
  const claimed = new Set<string>();
  // a failed request can also send a network error with the same span id: the request keeps the spans
  const owner = new Map<string, (typeof browser)[number]>();
  for (const b of browser) {
    const id = b.row.spanId;
    if (id == null || ids.has(id)) continue; // a span id a backend span also has is the backend's
    const cur = owner.get(id);
    if (cur == null || (cur.row.browser === 'network-error' && b.row.browser !== 'network-error')) owner.set(id, b);
  }
  for (const b of browser) {
    out.push({ ...b.row, key: `rum:${b.i}`, depth: 0 });
    const id = b.row.spanId;
    if (id != null && owner.get(id) === b) {
      claimed.add(id);
      emit(children.get(id) ?? [], 1);
    }
  }

  // then the backend's own roots: no parent, or a parent that never arrived
  const roots = indexed.filter((x) => {
    const p = x.s.parent_span_id;
    return p == null || p === '' || (!ids.has(p) && !claimed.has(p));
  });
  emit(roots.sort(byStart), 0);
  // spans whose parents form a cycle have no root: shown at the top level rather than lost
  emit(indexed.filter((x) => !seen.has(x.i)).sort(byStart), 0);

  return place(out);
}

function place(rows: Unplaced[]): Waterfall {
  let start = Infinity;
  let end = -Infinity;
  for (const r of rows) {
    if (!finite(r.start)) continue;
    start = Math.min(start, r.start);
    end = Math.max(end, r.start + Math.max(0, r.duration));
  }
  if (!Number.isFinite(start)) start = end = 0;
  const span = Math.max(end - start, 0.001);
  const placed = rows.map((r): WaterfallRow => {
    const at = finite(r.start) ? r.start : start;
    const duration = Math.max(0, finite(r.duration) ? r.duration : 0);
    const width = Math.min(100, Math.max(MIN_WIDTH, (duration / span) * 100));
    const left = Math.min(100 - width, Math.max(0, ((at - start) / span) * 100));
    return { ...r, start: at, duration, offset: at - start, left, width };
  });
  return { start, end, span, rows: placed };
}

/** Distinct session ids of a trace's browser events, in order of appearance. */
export function traceSessions(rum: readonly SessionEvent[]): string[] {
  const out: string[] = [];
  for (const e of rum) {
    const id = str(e.session_id);
    if (id && !out.includes(id)) out.push(id);
  }
  return out;
}

/** A JSON value of an attribute as one line of text. */
export function attrText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** The key/value pairs of an attributes object (anything else is one pair under "value"), by key. */
export function attrEntries(v: unknown): [string, string][] {
  if (v == null) return [];
  if (typeof v !== 'object' || Array.isArray(v)) return [['value', attrText(v)]];
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]): [string, string] => [k, attrText(x)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
