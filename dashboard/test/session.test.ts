// @vitest-environment jsdom
// The session page's "Page load" panel: opening a view's row shows its load
// as a waterfall (phases, moments, its requests) and the LCP and INP
// breakdowns with their numbers as text; a route change shows its duration;
// what the browser sent stays text.
import { h } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionPage } from '../src/pages/Session';
import type { SessionAnswer, SessionEvent } from '../src/lib/types';
import { mockFetch, mountPage, pageCtx, unmountPage, until } from './page';

const HOSTILE = '<img src=x onerror=alert(1)>';
const T0 = 1733490000000;

const VIEW: SessionEvent = {
  type: 'view',
  event_id: 'ev-view-1',
  view_id: 'view-1',
  session_id: 's1',
  ts: T0,
  url: 'https://shop.test/cart',
  route: '/cart',
  loading_type: 'initial_load',
  ttfb: 120,
  dns: 20,
  connect: 30,
  request: 60,
  response: 40,
  dom_interactive: 600,
  fcp: 700,
  dcl: 650,
  lcp: 1200,
  load: 1500,
  lcp_ttfb: 120,
  lcp_load_delay: 280,
  lcp_load_time: 500,
  lcp_render_delay: 300,
  inp: 240,
  inp_input_delay: 40,
  inp_processing: 150,
  inp_presentation: 50,
};

const ROUTE: SessionEvent = {
  type: 'view',
  event_id: 'ev-view-2',
  view_id: 'view-2',
  session_id: 's1',
  ts: T0 + 5000,
  url: 'https://shop.test/checkout',
  route: '/checkout',
  loading_type: 'route_change',
  route_change_duration: 340,
};

function res(over: Partial<SessionEvent> & { event_id: string }): SessionEvent {
  return { type: 'resource', view_id: 'view-1', session_id: 's1', ts: T0 + 200, kind: 'script', resource_url: 'https://cdn.shop.test/app.js', status: 200, duration: 300, ...over };
}

const ANSWER: SessionAnswer = {
  session: { id: 's1', start: T0, end: T0 + 6000, actions: 0, errors: 0, frustrations: 0, has_replay: false, views: 2 },
  events: [
    VIEW,
    res({ event_id: 'r1' }),
    res({ event_id: 'r2', ts: T0 + 900, kind: 'fetch', method: 'GET', resource_url: HOSTILE, status: 500, duration: 100 }),
    res({ event_id: 'r3', view_id: 'view-2', ts: T0 + 5100 }),
    ROUTE,
  ],
};

beforeEach(() => {
  Element.prototype.scrollIntoView = () => {};
});

afterEach(() => {
  unmountPage();
  vi.unstubAllGlobals();
});

function open(path = '/apps/shop/sessions/s1') {
  mockFetch(() => ({ body: ANSWER }));
  return mountPage(pageCtx(path), h(SessionPage, { id: 's1' }));
}

const timelineRows = (el: HTMLElement) => [...el.querySelectorAll<HTMLElement>('[data-testid=timeline] .tl-row')];
const viewRow = (el: HTMLElement, eventId: string) => timelineRows(el).find((r) => r.classList.contains('view') && r.textContent!.includes(eventId === 'ev-view-1' ? '/cart' : '/checkout'))!;
const cells = (row: Element) => [row.querySelector('.pl-name')!.textContent, row.querySelector('.pl-at')!.textContent, row.querySelector('.pl-dur')!.textContent];

describe('SessionPage page load', () => {
  it('shows nothing until a view is opened, then its waterfall with the numbers as text', async () => {
    const el = open();
    await until(() => timelineRows(el).length > 0, 'the timeline');
    expect(el.querySelector('[data-testid=page-load]')).toBeNull();
    const row = viewRow(el, 'ev-view-1');
    act(() => row.querySelector<HTMLButtonElement>('.tl-row-main')!.click());
    const panel = row.querySelector('[data-testid=page-load]')!;
    expect(panel.getAttribute('aria-label')).toBe('Page load');
    const rows = [...panel.querySelectorAll('[data-testid=page-load-row]')];
    expect(rows.map(cells)).toEqual([
      ['DNS', 'starts at +0 ms', ', lasts 20 ms'],
      ['Connect', 'starts at +20 ms', ', lasts 30 ms'],
      ['Request', 'starts at +50 ms', ', lasts 60 ms'],
      ['Response', 'starts at +110 ms', ', lasts 40 ms'],
      ['DOM interactive', 'at +600 ms', ''],
      ['DOMContentLoaded', 'at +650 ms', ''],
      ['FCP', 'at +700 ms', ''],
      ['LCP', 'at +1.20 s', ''],
      ['Load', 'at +1.50 s', ''],
      ['/app.js', 'starts at +200 ms', ', lasts 300 ms'],
      [`GET ${HOSTILE}`, 'starts at +900 ms', ', lasts 100 ms'],
    ]);
    // the failed request says so in words; its URL is text, never markup or a link
    const failed = rows[10]!;
    expect(failed.classList.contains('failed')).toBe(true);
    expect(failed.querySelector('.pl-problem')!.textContent).toBe('HTTP 500');
    expect(failed.querySelector('.pl-name')!.getAttribute('title')).toBe(HOSTILE);
    expect(panel.querySelector('img')).toBeNull();
    expect(panel.querySelector('a')).toBeNull();
    // the bars are decoration: hidden from assistive tech, placed on the axis (1.5 s: load)
    expect(rows[0]!.querySelector('.pl-track')!.getAttribute('aria-hidden')).toBe('true');
    expect(rows[9]!.querySelector<HTMLElement>('.pl-bar')!.style.left).toBe(`${(200 / 1500) * 100}%`);
    expect(panel.querySelector('[data-testid=page-load-note]')!.textContent).toContain('2 requests of this view, by start time.');
  });

  it('gives the LCP and INP breakdowns as tables', async () => {
    const el = open();
    await until(() => timelineRows(el).length > 0, 'the timeline');
    const row = viewRow(el, 'ev-view-1');
    act(() => row.querySelector<HTMLButtonElement>('.tl-row-main')!.click());
    const table = (id: string) =>
      [...row.querySelectorAll(`[data-testid=${id}] tbody tr`)].map((tr) => [...tr.children].map((c) => c.textContent));
    expect(row.querySelector('[data-testid=lcp-breakdown] caption')!.textContent).toBe('LCP breakdown');
    expect(table('lcp-breakdown')).toEqual([
      ['Time to first byte', '120 ms', '10%'],
      ['Resource load delay', '280 ms', '23%'],
      ['Resource load time', '500 ms', '42%'],
      ['Element render delay', '300 ms', '25%'],
    ]);
    expect(row.querySelector('[data-testid=lcp-breakdown] h4')!.textContent).toBe('LCP breakdown LCP 1.20 s');
    expect(table('inp-breakdown')).toEqual([
      ['Input delay', '40 ms', '17%'],
      ['Processing', '150 ms', '63%'],
      ['Presentation delay', '50 ms', '21%'],
    ]);
    expect(row.querySelector('[data-testid=inp-breakdown] .pl-stack')!.getAttribute('aria-hidden')).toBe('true');
  });

  it('shows a route change’s duration instead of the navigation phases', async () => {
    const el = open();
    await until(() => timelineRows(el).length > 0, 'the timeline');
    const row = viewRow(el, 'ev-view-2');
    act(() => row.querySelector<HTMLButtonElement>('.tl-row-main')!.click());
    const rows = [...row.querySelectorAll('[data-testid=page-load-row]')];
    expect(rows.map(cells)).toEqual([
      ['Route change', 'starts at +0 ms', ', lasts 340 ms'],
      ['/app.js', 'starts at +100 ms', ', lasts 300 ms'],
    ]);
    expect(row.querySelector('[data-testid=page-load-note]')!.textContent).toContain('A route change');
    expect(row.querySelector('[data-testid=lcp-breakdown]')).toBeNull();
  });

  it('opens the view a link points at (?view=)', async () => {
    const el = open('/apps/shop/sessions/s1?view=view-2');
    await until(() => timelineRows(el).length > 0, 'the timeline');
    const panels = [...el.querySelectorAll('[data-testid=page-load]')];
    expect(panels).toHaveLength(1);
    expect(panels[0]!.closest('.tl-row')).toBe(viewRow(el, 'ev-view-2'));
    expect(viewRow(el, 'ev-view-2').querySelector('.tl-row-main')!.getAttribute('aria-expanded')).toBe('true');
  });
});
