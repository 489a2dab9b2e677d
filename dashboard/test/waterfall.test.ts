import { describe, expect, it } from 'vitest';
import type { SessionEvent, Span } from '../src/lib/types';
import { attrEntries, browserRow, layoutWaterfall, MIN_WIDTH, traceSessions, type WaterfallRow } from '../src/lib/waterfall';

const T0 = 1733490000000;

function span(over: Partial<Span> & { span_id: string }): Span {
  return {
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    parent_span_id: null,
    name: 'work',
    service: 'api',
    kind: 'internal',
    start: T0,
    duration: 10,
    status: 'unset',
    status_message: null,
    attributes: {},
    resource: {},
    ...over,
  };
}

function request(over: Partial<SessionEvent> = {}): SessionEvent {
  return {
    type: 'resource',
    event_id: 'r1',
    session_id: 's1',
    ts: T0,
    kind: 'fetch',
    method: 'GET',
    resource_url: 'https://shop.test/api/checkout?x=1',
    status: 200,
    duration: 100,
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    span_id: 'b000000000000001',
    ...over,
  };
}

/** Each row as `depth name`, in display order. */
const shape = (rows: WaterfallRow[]) => rows.map((r) => `${r.depth} ${r.kind === 'browser' ? `[${r.name}]` : r.name}`);

describe('layoutWaterfall', () => {
  it('puts the axis from the earliest start to the latest end, over browser events and spans', () => {
    const w = layoutWaterfall(
      [span({ span_id: 'a', parent_span_id: 'b000000000000001', start: T0 + 20, duration: 200 })],
      [request({ ts: T0 - 5, duration: 100 })],
    );
    expect(w.start).toBe(T0 - 5);
    expect(w.end).toBe(T0 + 220);
    expect(w.span).toBe(225);
  });

  it('hangs the backend tree under the browser request whose span id is its parent, children by start, depth by level', () => {
    const w = layoutWaterfall(
      [
        span({ span_id: 'db2', parent_span_id: 'srv', name: 'db second', start: T0 + 50 }),
        span({ span_id: 'srv', parent_span_id: 'b000000000000001', name: 'GET /api/checkout', start: T0 + 10, duration: 80 }),
        span({ span_id: 'db1', parent_span_id: 'srv', name: 'db first', start: T0 + 20 }),
        span({ span_id: 'row', parent_span_id: 'db1', name: 'fetch row', start: T0 + 21 }),
        span({ span_id: 'lost', parent_span_id: 'ffffffffffffffff', name: 'orphan', start: T0 + 1 }),
        span({ span_id: 'root', parent_span_id: null, name: 'cron', start: T0 + 500 }),
      ],
      [request()],
    );
    expect(shape(w.rows)).toEqual([
      '0 [GET /api/checkout?x=1]',
      '1 GET /api/checkout',
      '2 db first',
      '3 fetch row',
      '2 db second',
      '0 orphan',
      '0 cron',
    ]);
  });

  it('lists browser rows first by time: the page load, the request, the network error', () => {
    const w = layoutWaterfall(
      [span({ span_id: 'doc', parent_span_id: 'v000000000000001', name: 'GET /cart', start: T0 + 5 })],
      [
        { type: 'error', event_id: 'e1', ts: T0 + 300, kind: 'network', message: 'Failed to fetch', resource_url: 'https://shop.test/api/pay', trace_id: 't' },
        request({ ts: T0 + 200, span_id: 'b1' }),
        { type: 'view', event_id: 'v1', ts: T0, url: 'https://shop.test/cart', route: '/cart', load: 900, ttfb: 40, span_id: 'v000000000000001' },
      ],
    );
    expect(shape(w.rows)).toEqual(['0 [Page load /cart]', '1 GET /cart', '0 [GET /api/checkout?x=1]', '0 [Network error /api/pay]']);
    const [view, , req, err] = w.rows;
    expect(view!.duration).toBe(900); // the page load lasts `load`
    expect(req!.service).toBe('Browser');
    expect(err!.problem).toBe('Failed to fetch');
    expect(err!.duration).toBe(0);
  });

  it('places bars in percent of the axis, with a minimum width for tiny spans', () => {
    const w = layoutWaterfall(
      [
        span({ span_id: 'a', start: T0, duration: 1000 }),
        span({ span_id: 'b', parent_span_id: 'a', start: T0 + 250, duration: 500 }),
        span({ span_id: 'c', parent_span_id: 'a', start: T0 + 900, duration: 0.01 }),
        span({ span_id: 'd', parent_span_id: 'a', start: T0 + 1000, duration: 0 }),
      ],
      [],
    );
    const [a, b, c, d] = w.rows;
    expect([a!.left, a!.width]).toEqual([0, 100]);
    expect([b!.left, b!.width, b!.offset]).toEqual([25, 50, 250]);
    expect([c!.left, c!.width]).toEqual([90, MIN_WIDTH]);
    // a bar at the very end stays inside the track
    expect(d!.left + d!.width).toBeLessThanOrEqual(100);
    expect(d!.width).toBe(MIN_WIDTH);
  });

  it('marks failures with a reason: span errors, 5xx and status 0 requests, network errors', () => {
    const w = layoutWaterfall(
      [
        span({ span_id: 'x', status: 'error', status_message: 'deadlock detected' }),
        span({ span_id: 'y', status: 'error', start: T0 + 1 }),
        span({ span_id: 'z', status: 'ok', start: T0 + 2 }),
      ],
      [request({ status: 502, span_id: 'p' }), request({ status: 0, span_id: 'q', ts: T0 + 1 }), request({ status: 404, span_id: 'r', ts: T0 + 2 })],
    );
    expect(w.rows.map((r) => r.problem)).toEqual(['HTTP 502', 'network error', null, 'deadlock detected', 'error', null]);
  });

  it('shows every span once, whatever its ids: duplicates, self-parents and cycles', () => {
    const w = layoutWaterfall(
      [
        span({ span_id: 'a', parent_span_id: 'b', name: 'a', start: T0 }),
        span({ span_id: 'b', parent_span_id: 'a', name: 'b', start: T0 + 1 }),
        span({ span_id: 'self', parent_span_id: 'self', name: 'self', start: T0 + 2 }),
        span({ span_id: 'dup', name: 'dup 1', start: T0 + 3 }),
        span({ span_id: 'dup', name: 'dup 2', start: T0 + 4 }),
      ],
      [],
    );
    expect(shape(w.rows).sort()).toEqual(['0 a', '0 dup 1', '0 dup 2', '0 self', '1 b'].sort());
    expect(new Set(w.rows.map((r) => r.key)).size).toBe(5);
  });

  it('keeps a deep chain iterative and ordered', () => {
    const chain = Array.from({ length: 5000 }, (_, i) => span({ span_id: `s${i}`, parent_span_id: i === 0 ? null : `s${i - 1}`, start: T0 + i }));
    const w = layoutWaterfall(chain.reverse(), []);
    expect(w.rows).toHaveLength(5000);
    expect(w.rows[4999]!.depth).toBe(4999);
  });

  it('lets a request keep its spans when a network error repeats its span id', () => {
    const w = layoutWaterfall(
      [span({ span_id: 'srv', parent_span_id: 'b1', name: 'server' })],
      [
        { type: 'error', event_id: 'e', ts: T0, kind: 'network', message: 'x', span_id: 'b1' },
        request({ ts: T0 + 1, span_id: 'b1' }),
      ],
    );
    expect(shape(w.rows)).toEqual(['0 [Network error]', '0 [GET /api/checkout?x=1]', '1 server']);
  });

  it('survives an empty trace and junk numbers', () => {
    expect(layoutWaterfall([], [])).toEqual({ start: 0, end: 0, span: 0.001, rows: [] });
    const w = layoutWaterfall([span({ span_id: 'n', duration: Number.NaN }), span({ span_id: 'm', duration: -5, start: T0 + 10 })], []);
    expect(w.rows.map((r) => r.duration)).toEqual([0, 0]);
    expect(w.rows.every((r) => Number.isFinite(r.left) && Number.isFinite(r.width))).toBe(true);
  });
});

describe('browser rows and attributes', () => {
  it('names a request by method and path, a page load by route', () => {
    expect(browserRow(request()).name).toBe('GET /api/checkout?x=1');
    expect(browserRow({ type: 'view', event_id: 'v', ts: 0, url: 'https://a.test/p?q=1', ttfb: 30 }).name).toBe('Page load /p?q=1');
    expect(browserRow({ type: 'view', event_id: 'v', ts: 0, url: 'https://a.test/p?q=1', ttfb: 30 }).duration).toBe(30);
  });

  it('lists the distinct sessions of a trace', () => {
    expect(traceSessions([request({ session_id: 'a' }), request({ session_id: 'b' }), request({ session_id: 'a' }), request({ session_id: undefined })])).toEqual(['a', 'b']);
  });

  it('turns attributes into sorted key/value text', () => {
    expect(attrEntries({ 'http.status_code': 500, z: 'x', a: { nested: [1, true] }, n: null })).toEqual([
      ['a', '{"nested":[1,true]}'],
      ['http.status_code', '500'],
      ['n', 'null'],
      ['z', 'x'],
    ]);
    expect(attrEntries(null)).toEqual([]);
    expect(attrEntries('flat')).toEqual([['value', 'flat']]);
  });
});
