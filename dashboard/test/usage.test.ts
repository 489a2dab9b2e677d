// @vitest-environment jsdom
// Usage & cost: what it asks for (the time range, never the filters), the
// days as a table and as charts with a text alternative, every weighted
// figure labelled raw or extrapolated, the toggle that asks again with
// extrapolate=true, the server's warning as text, the stored bytes, the
// projection and today's use of the daily quotas, from the answer's `quota`,
// with when one was used up. Then lib/usage.ts.
import { h, render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Root } from '../src/Root';
import { UsagePage } from '../src/pages/Usage';
import { dailySummary } from '../src/lib/chartText';
import { formatCount } from '../src/lib/format';
import { countsLabel, dayStart, quotaReached, quotaUse, totals, utcDay } from '../src/lib/usage';
import type { QuotaToday, Usage, UsageDay } from '../src/lib/types';
import { APP, mockFetch, mountPage, pageCtx, unmount, unmountPage, until, type Call } from './page';

// jsdom draws no canvas: the charts keep their element and text alternative, uPlot is not run
vi.mock('../src/charts/useUplot', () => ({ useUplot: () => ({ current: null }), chartColors: () => ({}), FONT: '' }));
// Root brings every page: uPlot reads the pixel ratio with matchMedia when it loads
vi.hoisted(() => {
  window.matchMedia ??= ((query: string) => ({ matches: false, media: query, addEventListener() {}, removeEventListener() {} })) as unknown as typeof window.matchMedia;
});

const day = (date: string, n: number, over: Partial<UsageDay> = {}): UsageDay => ({
  date,
  sessions: n,
  views: n * 3,
  events: { action: n * 2, error: n, resource: n * 10, long_task: 0 },
  replay_segments: n,
  replay_bytes: n * 1024,
  spans: 0,
  dropped: { sampled: n * 9, bot: 1, excluded: 0, quota: 0 },
  ...over,
});

/** No quota: whatever the app's pages send is stored. */
const NO_QUOTA: QuotaToday = {
  daily_event_quota: null,
  daily_replay_bytes_quota: null,
  events_today: 0,
  replay_bytes_today: 0,
  events_exceeded_at: null,
  replay_bytes_exceeded_at: null,
};

const RAW: Usage = {
  extrapolated: false,
  days: [day('2024-12-04', 100), day('2024-12-05', 200), day('2024-12-06', 50, { dropped: { sampled: 0, bot: 0, excluded: 0, quota: 7 } })],
  stored_bytes: { views: 3 * 1024 * 1024, events: 1024 * 1024, replay: 0, spans: 512 },
  projection_30d: { sessions: 3500, events: 140000, bytes: 50 * 1024 * 1024 },
  retention_days: 30,
  quota: NO_QUOTA,
  warning: null,
};
const WEIGHTED: Usage = { ...RAW, extrapolated: true, days: RAW.days.map((d) => ({ ...d, sessions: d.sessions * 10, views: d.views * 10 })) };

/** Answers the usage API: extrapolated or raw as asked. */
function answer(over: Partial<Usage> = {}) {
  return (c: Call) => {
    const url = new URL(c.url, 'http://x');
    if (url.pathname !== '/api/v1/apps/shop/usage') return { status: 404, body: { error: 'not_found' } };
    return { body: { ...(url.searchParams.get('extrapolate') === 'true' ? WEIGHTED : RAW), ...over } };
  };
}

const usageCalls = (calls: Call[]) => calls.filter((c) => c.url.startsWith('/api/v1/apps/shop/usage')).map((c) => new URL(c.url, 'http://x'));
const rows = (el: HTMLElement) => [...el.querySelectorAll('[data-testid=usage-days] tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent));
const text = (el: HTMLElement, id: string) => el.querySelector(`[data-testid=${id}]`)?.textContent ?? null;

afterEach(() => {
  unmountPage();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('UsagePage', () => {
  it('asks for the time range, raw, without the filters, and lists every day newest first', async () => {
    const calls = mockFetch(answer());
    const el = mountPage(pageCtx('/apps/shop/usage?range=7d&env=prod'), h(UsagePage, {}));
    await until(() => el.querySelector('[data-testid=usage-days]') != null, 'the days');
    const [url] = usageCalls(calls);
    expect(url!.pathname).toBe('/api/v1/apps/shop/usage');
    expect([...url!.searchParams.keys()]).toEqual(['from', 'to', 'extrapolate']);
    expect(url!.searchParams.get('extrapolate')).toBe('false');
    expect(Number(url!.searchParams.get('to')) - Number(url!.searchParams.get('from'))).toBe(7 * 86_400_000);
    // no quota: nothing else asked
    expect(usageCalls(calls)).toHaveLength(1);
    expect(rows(el)).toEqual([
      ['2024-12-06', '50', '150', '650', '50.0 KiB', '0', '7 (over quota 7)'],
      ['2024-12-05', '200', '600', '2,600', '200.0 KiB', '0', '1,801 (sampled out 1,800, bots 1)'],
      ['2024-12-04', '100', '300', '1,300', '100.0 KiB', '0', '901 (sampled out 900, bots 1)'],
    ]);
    expect([...el.querySelectorAll('[data-testid=usage-days] thead th')].map((th) => th.textContent)).toEqual(['Day (UTC)', 'Sessions', 'Views', 'Events', 'Replay', 'Spans', 'Dropped']);
    // the filters do not apply here: no filter bar
    expect(el.querySelector('.filterbar')).toBeNull();
    expect(el.querySelector('.range-picker')).not.toBeNull();
  });

  it('labels every figure raw or extrapolated', async () => {
    mockFetch(answer());
    const el = mountPage(pageCtx('/apps/shop/usage'), h(UsagePage, {}));
    await until(() => el.querySelector('[data-testid=usage-days]') != null, 'the days');
    expect(text(el, 'usage-mode')).toBe('Sessions, views and events: raw counts. Replay, spans and drops: raw counts.');
    expect(text(el, 'usage-sessions')).toBe('Sessions350raw counts');
    expect(text(el, 'usage-views')).toBe('Page views1,050raw counts');
    expect(text(el, 'usage-events')).toBe('Events4,550raw counts; besides views');
    expect(text(el, 'usage-dropped')).toBe('Dropped2,709raw counts');
    const raw = el.querySelector<HTMLButtonElement>('[data-testid=counts-raw]')!;
    const weighted = el.querySelector<HTMLButtonElement>('[data-testid=counts-extrapolated]')!;
    expect(raw.getAttribute('aria-pressed')).toBe('true');
    expect(weighted.getAttribute('aria-pressed')).toBe('false');
    expect(weighted.textContent).toBe('Extrapolated (weighted by 1/sample rate)');
    expect(raw.closest('[role=group]')!.getAttribute('aria-label')).toBe('Counts');
  });

  it('draws the days as charts, each with a text alternative', async () => {
    mockFetch(answer());
    const el = mountPage(pageCtx('/apps/shop/usage'), h(UsagePage, {}));
    await until(() => el.querySelector('[data-testid=usage-days]') != null, 'the days');
    const labels = [...el.querySelectorAll('.chart[role=img]')].map((c) => c.getAttribute('aria-label'));
    expect(labels).toEqual([
      'Sessions and views per day (raw counts), 3 days: Sessions total 350, most 200 on 2024-12-05; Page views total 1,050, most 600 on 2024-12-05',
      'Events per day by type (raw counts), 3 days: Actions total 700, most 400 on 2024-12-05; Errors total 350, most 200 on 2024-12-05; Resources total 3,500, most 2,000 on 2024-12-05; Long tasks total 0',
      'Replay bytes per day (raw counts), 3 days: Replay bytes total 350.0 KiB, most 200.0 KiB on 2024-12-05',
      'Dropped per day by reason (raw counts), 3 days: Sampled out total 2,700, most 1,800 on 2024-12-05; Bots total 2, most 1 on 2024-12-04; Excluded total 0; Over quota total 7, most 7 on 2024-12-06',
    ]);
    expect([...el.querySelectorAll('.panel > h2')].map((h2) => h2.textContent)).toContain('Dropped per day by reason raw counts');
  });

  it('shows the stored bytes by kind, the retention and the 30-day projection, and links to the sampling what-if', async () => {
    mockFetch(answer());
    const el = mountPage(pageCtx('/apps/shop/usage'), h(UsagePage, {}));
    await until(() => el.querySelector('[data-testid=usage-days]') != null, 'the days');
    const stored = el.querySelector('[data-testid=usage-stored]')!;
    expect(stored.querySelector('h2')!.textContent).toBe('Stored now 4.0 MiB, kept 30 days');
    expect([...stored.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['Views3.0 MiB', 'Events1.0 MiB', 'Replays0 B', 'Spans512 B']);
    const projection = el.querySelector('[data-testid=usage-projection]')!;
    expect([...projection.querySelectorAll('.stat-value')].map((v) => v.textContent)).toEqual(['3,500', '140,000', '50.0 MiB']);
    const link = projection.querySelector('a')!;
    expect(link.getAttribute('href')).toBe('/apps/shop/settings#sampling');
    expect(link.textContent).toContain('Sampling');
  });

  it('shows the warning as text, with a link to the sampling rules', async () => {
    const message = 'Every session is kept: <b>set a sampling rate</b> to cut the cost.';
    mockFetch(answer({ warning: { kind: 'full_sampling_high_volume', sessions_per_day: 81234, threshold: 50000, message } }));
    const el = mountPage(pageCtx('/apps/shop/usage'), h(UsagePage, {}));
    await until(() => el.querySelector('[data-testid=usage-warning]') != null, 'the warning');
    const w = el.querySelector('[data-testid=usage-warning]')!;
    expect(w.textContent).toContain(message);
    expect(w.textContent).toContain('81,234 sessions a day; the warning starts at 50,000');
    expect(w.querySelector('b')).toBeNull();
    expect(w.querySelector('a')!.getAttribute('href')).toBe('/apps/shop/settings#sampling');
  });

  it('has no warning when the server sends none', async () => {
    mockFetch(answer());
    const el = mountPage(pageCtx('/apps/shop/usage'), h(UsagePage, {}));
    await until(() => el.querySelector('[data-testid=usage-days]') != null, 'the days');
    expect(el.querySelector('[data-testid=usage-warning]')).toBeNull();
  });

  it("shows today's use of the daily quotas from the answer's quota, without asking again", async () => {
    const quota: QuotaToday = {
      daily_event_quota: 1000,
      daily_replay_bytes_quota: 40 * 1024,
      events_today: 640,
      replay_bytes_today: 50 * 1024,
      events_exceeded_at: null,
      replay_bytes_exceeded_at: Date.UTC(2024, 11, 6, 9, 5, 30),
    };
    const calls = mockFetch(answer({ quota }));
    const el = mountPage(pageCtx('/apps/shop/usage?range=30d&extrapolate=true'), h(UsagePage, {}));
    await until(() => el.querySelector('[data-testid=quota-events]') != null, 'the quotas');
    // one request: the quotas come with the usage
    expect(usageCalls(calls)).toHaveLength(1);
    expect(usageCalls(calls)[0]!.searchParams.get('extrapolate')).toBe('true');
    const quotas = el.querySelector('[data-testid=usage-quotas]')!;
    expect(quotas.querySelector('h2')!.textContent).toBe('Daily quotas today (2024-12-06, UTC), raw counts');
    // the server's count (views included), not the days': those are extrapolated here
    expect(text(el, 'quota-events')).toBe('Events640 of 1,000 (64%)');
    expect(el.querySelector('[data-testid=quota-events]')!.className).toBe('');
    expect(text(el, 'quota-replay_bytes')).toBe('Replay bytes50.0 KiB of 40.0 KiB (125%): reached at 09:05 UTC, more is refused until the next UTC day');
    expect(el.querySelector('[data-testid=quota-replay_bytes]')!.className).toBe('reached');
    expect(el.querySelector('[data-testid=quota-replay_bytes] .bar-fill')!.className).toBe('bar-fill poor');
    // drops are raw whatever the toggle: today's day says how many the quota refused
    expect(text(el, 'quota-dropped')).toBe('7 dropped over quota today.');
    expect(quotas.querySelector('a')!.getAttribute('href')).toBe('/apps/shop/settings');
  });

  it('says when a used up quota was reached, in UTC, as text', async () => {
    const quota: QuotaToday = { ...NO_QUOTA, daily_event_quota: 6, events_today: 8, events_exceeded_at: Date.UTC(2024, 11, 6, 14, 7, 12, 567) };
    mockFetch(answer({ quota, days: [day('2024-12-05', 1)] }));
    // a window that ends before today: no day to count today's drops from
    const el = mountPage(pageCtx(`/apps/shop/usage?from=${Date.UTC(2024, 11, 5)}&to=${Date.UTC(2024, 11, 6)}`), h(UsagePage, {}));
    await until(() => el.querySelector('[data-testid=quota-events]') != null, 'the quotas');
    expect(text(el, 'quota-events')).toBe('Events8 of 6 (133%): reached at 14:07 UTC, more is refused until the next UTC day');
    expect(el.querySelector('[data-testid=quota-events]')!.className).toBe('reached');
    // the bar stops at full; no line for the unlimited replay bytes
    expect(el.querySelector<HTMLElement>('[data-testid=quota-events] .bar-fill')!.style.width).toBe('100%');
    expect(el.querySelector('[data-testid=quota-replay_bytes]')).toBeNull();
    expect(el.querySelector('[data-testid=quota-dropped]')).toBeNull();
    expect(el.querySelector('[data-testid=quota-events] *:not(span)')).toBeNull();
  });

  it('says when the app has no quota, whatever today used', async () => {
    const calls = mockFetch(answer({ quota: { ...NO_QUOTA, events_today: 5000, replay_bytes_today: 1024 } }));
    const el = mountPage(pageCtx('/apps/shop/usage'), h(UsagePage, {}));
    await until(() => el.querySelector('[data-testid=usage-days]') != null, 'the days');
    expect(usageCalls(calls)).toHaveLength(1);
    const quotas = el.querySelector('[data-testid=usage-quotas]')!;
    expect(quotas.querySelector('h2')!.textContent).toBe('Daily quotas');
    expect(quotas.textContent).toContain('None: the app stores whatever its pages send.');
    expect(quotas.querySelector('.quota-list')).toBeNull();
    expect(el.querySelector('[data-testid=quota-dropped]')).toBeNull();
    expect(quotas.querySelector('a')!.getAttribute('href')).toBe('/apps/shop/settings');
  });
});

describe('Usage & cost in the app', () => {
  let root: HTMLElement | null = null;
  afterEach(() => {
    unmount(root!);
    root = null;
    window.history.replaceState(null, '', '/');
  });

  it('is in the nav, and the toggle asks again with extrapolate=true and labels the figures so', async () => {
    window.history.replaceState(null, '', '/apps/shop/usage?range=7d');
    const usage = answer();
    const calls = mockFetch((c) => {
      if (c.url === '/api/v1/me') return { body: { username: 'root', role: 'admin', apps: [] } };
      if (c.url === '/api/v1/apps') return { body: { apps: [APP] } };
      return usage(c);
    });
    root = document.createElement('div');
    document.body.append(root);
    const el = root;
    act(() => render(h(Root, {}), el));
    await until(() => el.querySelector('[data-testid=usage-days]') != null, 'the days');
    expect(document.title).toBe('Usage & cost · Fovea');
    const nav = el.querySelector('nav [aria-current=page]')!;
    expect(nav.textContent).toBe('Usage & cost');
    expect(nav.getAttribute('href')).toBe('/apps/shop/usage?range=7d');
    expect(text(el, 'usage-sessions')).toBe('Sessions350raw counts');

    act(() => el.querySelector<HTMLButtonElement>('[data-testid=counts-extrapolated]')!.click());
    await until(() => text(el, 'usage-sessions') === 'Sessions3,500extrapolated (weighted by 1/sample rate)', 'the extrapolated figures');
    expect(window.location.search).toBe('?range=7d&extrapolate=true');
    const asked = usageCalls(calls).map((u) => u.searchParams.get('extrapolate'));
    expect(asked).toEqual(['false', 'true']);
    expect(text(el, 'usage-mode')).toBe('Sessions, views and events: extrapolated (weighted by 1/sample rate). Replay, spans and drops: raw counts.');
    expect(el.querySelector('[data-testid=counts-extrapolated]')!.getAttribute('aria-pressed')).toBe('true');
    // replay and drops stay raw
    expect(text(el, 'usage-dropped')).toBe('Dropped2,709raw counts');
    expect(el.querySelector('.chart[role=img]')!.getAttribute('aria-label')).toContain('(extrapolated (weighted by 1/sample rate))');

    act(() => el.querySelector<HTMLButtonElement>('[data-testid=counts-raw]')!.click());
    await until(() => text(el, 'usage-sessions') === 'Sessions350raw counts', 'the raw figures again');
    expect(window.location.search).toBe('?range=7d');
  });
});

describe('lib/usage', () => {
  it('reads UTC days', () => {
    expect(dayStart('2024-12-06')).toBe(Date.UTC(2024, 11, 6));
    expect(dayStart('6/12/2024')).toBeNaN();
    expect(utcDay(Date.UTC(2024, 11, 6, 23, 59))).toEqual({ from: Date.UTC(2024, 11, 6), to: Date.UTC(2024, 11, 7), date: '2024-12-06' });
  });

  it('adds up the days', () => {
    expect(totals(RAW.days)).toEqual({ sessions: 350, views: 1050, events: 4550, replay_segments: 350, replay_bytes: 350 * 1024, spans: 0, dropped: 2709 });
    expect(totals([])).toEqual({ sessions: 0, views: 0, events: 0, replay_segments: 0, replay_bytes: 0, spans: 0, dropped: 0 });
  });

  it("measures today's use of the quotas as the server counts it, and says when one was reached", () => {
    expect(quotaUse(NO_QUOTA)).toEqual([]);
    expect(quotaUse({ ...NO_QUOTA, daily_event_quota: 200, events_today: 160, replay_bytes_today: 99 })).toEqual([
      { kind: 'events', quota: 200, used: 160, share: 0.8, reached: false, at: null },
    ]);
    const at = Date.UTC(2026, 11, 6, 14, 7);
    const [events, replay] = quotaUse({ ...NO_QUOTA, daily_event_quota: 0, daily_replay_bytes_quota: 1000, events_exceeded_at: at });
    expect(events).toEqual({ kind: 'events', quota: 0, used: 0, share: 1, reached: true, at });
    expect(replay).toEqual({ kind: 'replay_bytes', quota: 1000, used: 0, share: 0, reached: false, at: null });
    expect(quotaReached(events!)).toBe(': reached at 14:07 UTC, more is refused until the next UTC day');
    expect(quotaReached(replay!)).toBe('');
    // the server's word that it is used up counts; so does a use at the quota it has not noted yet
    expect(quotaUse({ ...NO_QUOTA, daily_event_quota: 10, events_today: 9, events_exceeded_at: at })[0]!.reached).toBe(true);
    const [unnoted] = quotaUse({ ...NO_QUOTA, daily_event_quota: 10, events_today: 10 });
    expect(unnoted!.reached).toBe(true);
    expect(quotaReached(unnoted!)).toBe(': reached, more is refused until the next UTC day');
  });

  it('labels the counts', () => {
    expect(countsLabel(false)).toBe('raw counts');
    expect(countsLabel(true)).toBe('extrapolated (weighted by 1/sample rate)');
  });

  it('sums up daily series in a sentence', () => {
    expect(dailySummary('Drops', [], [], formatCount)).toBe('Drops, no days');
    expect(dailySummary('Drops', ['d1', 'd2'], [{ label: 'Bots', values: [3, 3] }, { label: 'Quota', values: [0, 0] }], formatCount)).toBe('Drops, 2 days: Bots total 6, most 3 on d1; Quota total 0');
  });
});
