// @vitest-environment jsdom
// Where a browser event carries a trace id, the session timeline leads to
// the trace page: requests, page loads and network errors; not other events.
import { h } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionPage } from '../src/pages/Session';
import type { SessionAnswer } from '../src/lib/types';
import { mockFetch, mountPage, pageCtx, unmountPage, until } from './page';

const T0 = 1733490000000;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

const SESSION: SessionAnswer = {
  session: {
    id: 's1',
    start: T0,
    end: T0 + 5000,
    user_id: null,
    views: 1,
    actions: 1,
    errors: 1,
    frustrations: 0,
    first_url: 'https://shop.test/cart',
    browser: 'Chrome',
    os: 'Linux',
    device: 'desktop',
    country: 'DE',
    has_replay: false,
  },
  events: [
    { type: 'view', event_id: 'v', ts: T0, url: 'https://shop.test/cart', route: '/cart', load: 800, trace_id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', span_id: 'v000000000000001' },
    { type: 'resource', event_id: 'r', ts: T0 + 1000, kind: 'fetch', method: 'GET', resource_url: 'https://shop.test/api/checkout', status: 502, duration: 640, trace_id: TRACE, span_id: 'b000000000000001' },
    { type: 'error', event_id: 'e', ts: T0 + 1700, kind: 'network', message: 'HTTP 502', resource_url: 'https://shop.test/api/checkout', trace_id: TRACE },
    { type: 'resource', event_id: 'untraced', ts: T0 + 2000, kind: 'img', resource_url: 'https://shop.test/a.png', duration: 10 },
    { type: 'action', event_id: 'a', ts: T0 + 3000, action_type: 'click', name: 'Pay', trace_id: TRACE },
  ],
};

afterEach(() => {
  unmountPage();
  vi.unstubAllGlobals();
});

describe('session timeline', () => {
  it('links requests, page loads and network errors with a trace id to the trace page', async () => {
    mockFetch(() => ({ body: SESSION }));
    const el = mountPage(pageCtx('/apps/shop/sessions/s1'), h(SessionPage, { id: 's1' }));
    await until(() => el.querySelectorAll('[data-testid=timeline] .tl-row').length === 5, 'the timeline');
    const rows = [...el.querySelectorAll<HTMLElement>('[data-testid=timeline] .tl-row')];
    const links: (string | null)[] = [];
    for (const row of rows) {
      act(() => row.querySelector<HTMLButtonElement>('.tl-row-main')!.click());
      links.push(row.querySelector('[data-testid=timeline-trace]')?.getAttribute('href') ?? null);
    }
    expect(links).toEqual([
      '/apps/shop/traces/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      `/apps/shop/traces/${TRACE}`,
      `/apps/shop/traces/${TRACE}`,
      null,
      null,
    ]);
    // the collapsed row says it has a trace
    expect(rows[1]!.querySelector('.tl-facts')!.textContent).toContain('traced');
    expect(rows[3]!.querySelector('.tl-facts')!.textContent).not.toContain('traced');
  });
});
