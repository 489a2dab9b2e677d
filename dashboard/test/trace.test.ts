// @vitest-environment jsdom
// The trace page under a DOM with a fixture answer: the waterfall's rows,
// failures said in words, details on activation, links out and in, and that
// names and attributes a backend sent stay text.
import { h } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TracePage } from '../src/pages/Trace';
import type { Span, TraceAnswer } from '../src/lib/types';
import { mockFetch, mountPage, pageCtx, unmountPage, until, type Call } from './page';

const HOSTILE = '<img src=x onerror=alert(1)>';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const T0 = 1733490000123.456;

function span(over: Partial<Span> & { span_id: string }): Span {
  return {
    trace_id: TRACE,
    parent_span_id: null,
    name: 'work',
    service: 'demo-shop-api',
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

const ANSWER: TraceAnswer = {
  trace_id: TRACE,
  link: `https://jaeger.example/trace/${TRACE}`,
  spans: [
    span({
      span_id: 'a000000000000001',
      parent_span_id: 'b000000000000001',
      name: 'GET /api/checkout',
      kind: 'server',
      start: T0 + 20,
      duration: 600.2,
      attributes: { 'http.route': '/api/checkout', 'http.status_code': 502 },
      resource: { 'service.name': 'demo-shop-api' },
    }),
    span({
      span_id: 'a000000000000002',
      parent_span_id: 'a000000000000001',
      name: HOSTILE,
      kind: 'client',
      start: T0 + 40,
      duration: 480,
      status: 'error',
      status_message: 'deadlock detected',
      attributes: { 'db.statement': HOSTILE, nested: { a: [1, 2] } },
    }),
  ],
  rum: [
    {
      type: 'resource',
      event_id: 'r1',
      session_id: 'sess-1',
      view_id: 'view-1',
      ts: T0,
      kind: 'fetch',
      method: 'GET',
      resource_url: 'https://shop.test/api/checkout',
      status: 502,
      duration: 640.1,
      trace_id: TRACE,
      span_id: 'b000000000000001',
    },
  ],
};

let calls: Call[];
function open(answer: (c: Call) => { status?: number; body?: unknown }) {
  calls = mockFetch(answer);
  return mountPage(pageCtx(`/apps/shop/traces/${TRACE}`), h(TracePage, { traceId: TRACE }));
}

afterEach(() => {
  unmountPage();
  vi.unstubAllGlobals();
});

const rows = (el: HTMLElement) => [...el.querySelectorAll<HTMLElement>('[data-testid=trace-row]')];

describe('TracePage', () => {
  it('asks for the trace and draws the browser request, then the backend tree under it', async () => {
    const el = open(() => ({ body: ANSWER }));
    await until(() => rows(el).length > 0, 'the waterfall');
    expect(calls[0]!.url).toBe(`/api/v1/apps/shop/traces/${TRACE}`);
    const r = rows(el);
    expect(r.map((x) => x.querySelector('.wf-service')!.textContent)).toEqual(['Browser', 'demo-shop-api', 'demo-shop-api']);
    expect(r.map((x) => x.querySelector('.wf-name')!.textContent)).toEqual(['GET /api/checkout', 'GET /api/checkout', HOSTILE]);
    expect(r.map((x) => x.querySelector('.wf-dur')!.textContent)).toEqual(['640 ms', '600 ms', '480 ms']);
    // the third row is two levels down, and says so to a screen reader
    expect(r[2]!.querySelector('.visually-hidden')!.textContent).toBe('Level 3: ');
    const bar = r[1]!.querySelector<HTMLElement>('.wf-bar')!;
    expect(parseFloat(bar.style.left)).toBeCloseTo((20 / 640.1) * 100, 3);
    expect(parseFloat(bar.style.width)).toBeCloseTo((600.2 / 640.1) * 100, 3);
  });

  it('says a failure in words, not only in colour', async () => {
    const el = open(() => ({ body: ANSWER }));
    await until(() => rows(el).length > 0, 'the waterfall');
    const [browser, server, db] = rows(el);
    expect(browser!.classList.contains('failed')).toBe(true);
    expect(browser!.querySelector('.wf-error')!.textContent).toBe('error');
    expect(browser!.querySelector('.wf-problem')!.textContent).toBe('HTTP 502');
    expect(server!.querySelector('.wf-error')).toBeNull();
    expect(db!.querySelector('.wf-problem')!.textContent).toBe('deadlock detected');
    expect(db!.querySelector('button')!.textContent).toContain('error');
  });

  it('keeps a span name and attributes from a backend as text: no element is made of them', async () => {
    const el = open(() => ({ body: ANSWER }));
    await until(() => rows(el).length > 0, 'the waterfall');
    expect(el.querySelector('img')).toBeNull();
    const db = rows(el)[2]!;
    act(() => db.querySelector('button')!.click());
    const details = db.querySelector('[data-testid=trace-details]')!;
    const cells = [...details.querySelectorAll('table[aria-label=Attributes] tr')].map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('td')!.textContent]);
    expect(cells).toEqual([
      ['db.statement', HOSTILE],
      ['nested', '{"a":[1,2]}'],
    ]);
    expect(el.querySelector('img')).toBeNull();
    expect(el.innerHTML).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('opens one row at a time, its details below it: kind, status, times, attributes', async () => {
    const el = open(() => ({ body: ANSWER }));
    await until(() => rows(el).length > 0, 'the waterfall');
    const server = rows(el)[1]!;
    const button = server.querySelector('button')!;
    expect(button.getAttribute('aria-expanded')).toBe('false');
    act(() => button.click());
    expect(button.getAttribute('aria-expanded')).toBe('true');
    const details = server.querySelector('[data-testid=trace-details]')!;
    expect(button.getAttribute('aria-controls')).toBe(details.id);
    const facts = Object.fromEntries([...details.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling!.textContent]));
    expect(facts).toMatchObject({ kind: 'server', status: 'unset', duration: '600 ms', 'span id': 'a000000000000001', 'parent span id': 'b000000000000001' });
    expect(facts.start).toContain('(+20 ms)');
    expect(details.querySelector('table[aria-label="Resource attributes"] td')!.textContent).toBe('demo-shop-api');
    // another row closes this one
    act(() => rows(el)[0]!.querySelector('button')!.click());
    expect(server.querySelector('[data-testid=trace-details]')).toBeNull();
    expect(el.querySelectorAll('[data-testid=trace-details]')).toHaveLength(1);
  });

  it('links the browser request to its session and the trace to the tracing tool', async () => {
    const el = open(() => ({ body: ANSWER }));
    await until(() => rows(el).length > 0, 'the waterfall');
    const out = el.querySelector<HTMLAnchorElement>('[data-testid=trace-link]')!;
    expect(out.getAttribute('href')).toBe(`https://jaeger.example/trace/${TRACE}`);
    expect(out.target).toBe('_blank');
    expect(out.rel).toBe('noopener noreferrer');
    expect(out.textContent).toContain('Open in your tracing tool');
    expect(el.querySelector('[data-testid=trace-session]')!.getAttribute('href')).toBe('/apps/shop/sessions/sess-1');
    const browser = rows(el)[0]!;
    act(() => browser.querySelector('button')!.click());
    const toSession = [...browser.querySelectorAll('a')].find((a) => a.textContent === 'Open the session →')!;
    expect(toSession.getAttribute('href')).toBe('/apps/shop/sessions/sess-1?view=view-1');
  });

  it('links nowhere when the template gave no http(s) URL', async () => {
    const el = open(() => ({ body: { ...ANSWER, link: 'javascript:alert(1)' } }));
    await until(() => rows(el).length > 0, 'the waterfall');
    expect(el.querySelector('[data-testid=trace-link]')).toBeNull();
    const none = open(() => ({ body: { ...ANSWER, link: null } }));
    await until(() => rows(none).length > 0, 'the waterfall');
    expect(none.querySelector('[data-testid=trace-link]')).toBeNull();
  });

  it('says when no backend span arrived', async () => {
    const el = open(() => ({ body: { ...ANSWER, spans: [] } }));
    await until(() => rows(el).length > 0, 'the waterfall');
    expect(rows(el)).toHaveLength(1);
    expect(el.querySelector('[data-testid=no-spans]')!.textContent).toContain('Connect a backend with OpenTelemetry');
  });

  it('says a 404 is an unknown trace, not a failure', async () => {
    const el = open(() => ({ status: 404, body: { error: 'not_found', message: 'no such trace' } }));
    await until(() => el.textContent!.includes('No such trace'), 'the empty state');
    expect(el.textContent).toContain(TRACE);
    expect(el.querySelector('[role=alert]')).toBeNull();
  });
});
