// @vitest-environment jsdom
// The services page and the "Slowest requests" of the resources page: what
// they ask for, their rows, and their empty states that say how to connect a
// backend.
import { h } from 'preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResourcesPage } from '../src/pages/Resources';
import { ServicesPage } from '../src/pages/Services';
import type { ServiceRow, SlowRequest } from '../src/lib/types';
import { mockFetch, mountPage, pageCtx, unmountPage, until } from './page';

afterEach(() => {
  unmountPage();
  vi.unstubAllGlobals();
});

const SERVICES: ServiceRow[] = [
  { service: 'demo-shop-api', requests: 1200, errors: 30, error_rate: 0.025, p75: 230.5, p95: 610.2 },
  { service: '<b>worker</b>', requests: 4, errors: 0, error_rate: 0, p75: 0.42, p95: null },
];

describe('ServicesPage', () => {
  it('asks for the range and the environment only, and lists each service', async () => {
    const calls = mockFetch(() => ({ body: { services: SERVICES } }));
    const el = mountPage(pageCtx('/apps/shop/services?range=7d&env=prod&page=%2Fcart'), h(ServicesPage, {}));
    await until(() => el.querySelector('[data-testid=services] tbody tr') != null, 'the table');
    const url = new URL(calls.find((c) => c.url.includes('/services'))!.url, 'http://x');
    expect(url.pathname).toBe('/api/v1/apps/shop/services');
    expect([...url.searchParams.keys()]).toEqual(['from', 'to', 'env']);
    expect(url.searchParams.get('env')).toBe('prod');
    expect(Number(url.searchParams.get('to')) - Number(url.searchParams.get('from'))).toBe(7 * 86_400_000);
    const cells = [...el.querySelectorAll('[data-testid=services] tbody tr')].map((tr) => [...tr.querySelectorAll('td')].slice(0, 6).map((td) => td.textContent));
    expect(cells).toEqual([
      ['demo-shop-api', '1,200', '30', '2.5%', '231 ms', '610 ms'],
      ['<b>worker</b>', '4', '0', '0%', '0.42 ms', '—'],
    ]);
    expect(el.querySelector('b')).toBeNull();
    // the page filter does not apply to spans, and the page says so
    expect(el.querySelector('[data-testid=services-filters]')!.textContent).toContain('page');
  });

  it('leaves custom attribute filters out of the spans query and says so', async () => {
    const calls = mockFetch(() => ({ body: { services: SERVICES } }));
    const el = mountPage(pageCtx('/apps/shop/services?attrs.plan=pro'), h(ServicesPage, {}));
    await until(() => el.querySelector('[data-testid=services] tbody tr') != null, 'the table');
    const url = new URL(calls.find((c) => c.url.includes('/services'))!.url, 'http://x');
    expect([...url.searchParams.keys()]).toEqual(['from', 'to']);
    expect(el.querySelector('[data-testid=services-filters]')!.textContent).toContain('custom attributes');
  });

  it('explains how to connect a backend when no span arrived', async () => {
    mockFetch(() => ({ body: { services: [] } }));
    const el = mountPage(pageCtx('/apps/shop/services'), h(ServicesPage, {}));
    await until(() => el.querySelector('[data-testid=services-empty]') != null, 'the empty state');
    const text = el.querySelector('[data-testid=services-empty]')!.textContent!;
    expect(text).toContain('/v1/traces');
    expect(text).toContain('x-fovea-key');
    expect(text).toContain('Connect a backend with OpenTelemetry');
    expect(el.querySelector('[data-testid=services-empty] a')!.getAttribute('href')).toBe('/apps/shop/settings');
    expect(el.querySelector('[data-testid=services-filters]')).toBeNull();
  });
});

const SLOW: SlowRequest[] = [
  {
    ts: 1733490000123,
    session_id: 's1',
    view_id: 'v1',
    route: '/cart',
    method: 'POST',
    url: 'https://shop.test/api/checkout',
    status: 502,
    duration: 640.1,
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    server: { service: 'demo-shop-api', name: 'POST /api/checkout', duration: 600.2, self_time: 40.5, status: 'error' },
    bottleneck: { service: 'demo-shop-api', name: 'db.query', duration: 480, self_time: 480, status: 'ok' },
  },
  {
    ts: 1733490000000,
    session_id: 's2',
    view_id: null,
    route: null,
    method: 'GET',
    url: 'javascript:alert(1)',
    status: null,
    duration: 320,
    trace_id: '00f067aa0ba902b7aaaaaaaaaaaaaaaa',
    server: null,
    bottleneck: null,
  },
];

describe('Slowest requests', () => {
  const answer = (slow: SlowRequest[]) => (c: { url: string }) => ({ body: c.url.includes('/slow-requests') ? { requests: slow } : { resources: [] } });

  it('lists traced requests with the server span, the bottleneck and a link to the trace', async () => {
    const calls = mockFetch(answer(SLOW));
    const el = mountPage(pageCtx('/apps/shop/resources?browser=Chrome'), h(ResourcesPage, {}));
    await until(() => el.querySelector('[data-testid=slow-requests] tbody tr') != null, 'the slow requests');
    const url = new URL(calls.find((c) => c.url.includes('/slow-requests'))!.url, 'http://x');
    expect(url.searchParams.get('limit')).toBe('20');
    expect(url.searchParams.get('browser')).toBe('Chrome');
    const [first, second] = [...el.querySelectorAll('[data-testid=slow-requests] tbody tr')].map((tr) => [...tr.querySelectorAll('td')]);
    expect(first![0]!.textContent).toContain('POSThttps://shop.test/api/checkout');
    expect(first![1]!.textContent).toBe('502');
    expect(first![1]!.querySelector('.badge')).not.toBeNull();
    expect(first![2]!.textContent).toBe('640 ms');
    expect(first![3]!.textContent).toBe('demo-shop-api');
    expect(first![4]!.textContent).toBe('POST /api/checkout 600 ms');
    expect(first![5]!.textContent).toBe('db.query 480 ms self');
    expect(first![6]!.querySelector('a')!.getAttribute('href')).toBe('/apps/shop/traces/4bf92f3577b34da6a3ce929d0e0e4736');
    // no backend span: said, not blank; a javascript: URL stays text
    expect(second![3]!.textContent).toBe('no backend span');
    expect(second![0]!.querySelector('a')).toBeNull();
  });

  it('explains how to connect a backend when no request was traced', async () => {
    mockFetch(answer([]));
    const el = mountPage(pageCtx('/apps/shop/resources'), h(ResourcesPage, {}));
    await until(() => el.querySelector('[data-testid=slow-requests-empty]') != null, 'the empty state');
    expect(el.querySelector('[data-testid=slow-requests-empty]')!.textContent).toContain('Connect a backend with OpenTelemetry (docs/tracing.md)');
  });
});
