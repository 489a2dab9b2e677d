import { describe, expect, it } from 'vitest';
import {
  apiQuery,
  attrKeyProblem,
  attrParam,
  attrValueProblem,
  clearFilters,
  filterCount,
  MAX_ATTR_FILTERS,
  parseFilters,
  parseRange,
  parseRoute,
  rangeParams,
  resolveRange,
  routePath,
  safeHref,
  safeNext,
  sharedParams,
  urlPath,
  withParams,
  type Route,
} from '../src/lib/url';

describe('routes', () => {
  it.each<[string, Route]>([
    ['/', { page: 'home' }],
    ['/login', { page: 'login' }],
    ['/apps', { page: 'home' }],
    ['/apps/new', { page: 'new-app' }],
    ['/apps/shop', { page: 'overview', app: 'shop' }],
    ['/apps/shop/', { page: 'overview', app: 'shop' }],
    ['/apps/shop/vitals', { page: 'vitals', app: 'shop' }],
    ['/apps/shop/errors', { page: 'errors', app: 'shop' }],
    ['/apps/shop/errors/9f2c', { page: 'issue', app: 'shop', fingerprint: '9f2c' }],
    ['/apps/shop/sessions', { page: 'sessions', app: 'shop' }],
    ['/apps/shop/sessions/a%2Fb', { page: 'session', app: 'shop', id: 'a/b' }],
    ['/apps/shop/actions', { page: 'actions', app: 'shop' }],
    ['/apps/shop/actions/x', { page: 'not-found' }],
    ['/apps/shop/resources', { page: 'resources', app: 'shop' }],
    ['/apps/shop/settings', { page: 'settings', app: 'shop' }],
    ['/apps/shop/usage', { page: 'usage', app: 'shop' }],
    ['/apps/shop/usage/x', { page: 'not-found' }],
    ['/apps/shop/services', { page: 'services', app: 'shop' }],
    ['/apps/shop/services/x', { page: 'not-found' }],
    ['/apps/shop/traces/4bf92f3577b34da6a3ce929d0e0e4736', { page: 'trace', app: 'shop', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }],
    ['/apps/shop/traces', { page: 'not-found' }],
    ['/apps/shop/traces/a/b', { page: 'not-found' }],
    ['/apps/shop/nope', { page: 'not-found' }],
    ['/apps/shop/vitals/x', { page: 'not-found' }],
    ['/apps/shop/sessions/x/y', { page: 'not-found' }],
    ['/apps/%E0%A4%A', { page: 'not-found' }],
    ['/elsewhere', { page: 'not-found' }],
    ['/account/tokens', { page: 'tokens' }],
    ['/admin/users', { page: 'users' }],
    ['/admin/audit', { page: 'audit' }],
    ['/admin', { page: 'not-found' }],
    ['/admin/tokens', { page: 'not-found' }],
    ['/admin/users/mia', { page: 'not-found' }],
    ['/account', { page: 'not-found' }],
  ])('%s', (path, want) => expect(parseRoute(path)).toEqual(want));

  it('round-trips every app page, escaping ids', () => {
    const routes: Route[] = [
      { page: 'overview', app: 'a b' },
      { page: 'vitals', app: 'x' },
      { page: 'issue', app: 'x', fingerprint: 'f/1?' },
      { page: 'session', app: 'x', id: '#id' },
      { page: 'actions', app: 'x' },
      { page: 'settings', app: 'x' },
      { page: 'usage', app: 'x y' },
      { page: 'services', app: 'x y' },
      { page: 'trace', app: 'x', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' },
      { page: 'trace', app: 'x', trace_id: '../a/b?c#d' },
      { page: 'tokens' },
      { page: 'users' },
      { page: 'audit' },
    ];
    for (const r of routes) expect(parseRoute(routePath(r))).toEqual(r);
  });
});

describe('time range', () => {
  const p = (s: string) => new URLSearchParams(s);
  it('defaults to the last 24 h', () => {
    expect(parseRange(p(''))).toEqual({ kind: 'preset', preset: '24h' });
    expect(parseRange(p('range=bogus'))).toEqual({ kind: 'preset', preset: '24h' });
  });
  it('reads presets and absolute windows', () => {
    expect(parseRange(p('range=7d'))).toEqual({ kind: 'preset', preset: '7d' });
    expect(parseRange(p('from=1000&to=2000'))).toEqual({ kind: 'absolute', from: 1000, to: 2000 });
  });
  it('ignores a reversed or malformed window', () => {
    expect(parseRange(p('from=2000&to=1000'))).toEqual({ kind: 'preset', preset: '24h' });
    expect(parseRange(p('from=-1&to=2000'))).toEqual({ kind: 'preset', preset: '24h' });
    expect(parseRange(p('from=1e3&to=2000&range=1h'))).toEqual({ kind: 'preset', preset: '1h' });
  });
  it('writes the default preset as no parameter', () => {
    expect(rangeParams({ kind: 'preset', preset: '24h' })).toEqual({ range: null, from: null, to: null });
    expect(rangeParams({ kind: 'preset', preset: '1h' })).toEqual({ range: '1h', from: null, to: null });
    expect(rangeParams({ kind: 'absolute', from: 1, to: 2 })).toEqual({ range: null, from: '1', to: '2' });
  });
  it('resolves a preset to a window ending at the next minute, stable within a minute', () => {
    const now = Date.UTC(2025, 10, 25, 21, 48, 3, 500);
    const w = resolveRange({ kind: 'preset', preset: '1h' }, now);
    expect(w.to).toBe(Date.UTC(2025, 10, 25, 21, 49));
    expect(w.to - w.from).toBe(3_600_000);
    expect(resolveRange({ kind: 'preset', preset: '1h' }, now + 20_000)).toEqual(w);
    expect(resolveRange({ kind: 'absolute', from: 5, to: 9 }, now)).toEqual({ from: 5, to: 9 });
  });
});

describe('filters and query strings', () => {
  it('keeps only known, non-empty filters', () => {
    expect(parseFilters(new URLSearchParams('page=/cart&browser=&foo=1&country=DE'))).toEqual({ page: '/cart', country: 'DE' });
  });
  it('builds API queries with window, filters and extras', () => {
    const q = apiQuery({ from: 1, to: 2 }, { page: '/a b', device: 'mobile' }, { metric: 'lcp', p: 75, by: null, x: '' });
    expect(q).toBe('from=1&to=2&page=%2Fa+b&device=mobile&metric=lcp&p=75');
  });
  it('edits a search string', () => {
    expect(withParams('?a=1&b=2', { b: null, c: '3' })).toBe('?a=1&c=3');
    expect(withParams('?a=1', { a: '' })).toBe('');
  });
  it('carries the time range and filters between pages but not page-specific state', () => {
    expect(sharedParams('?range=7d&metric=inp&page=%2Fcart&has_errors=true&user=bob')).toBe('?range=7d&page=%2Fcart&user=bob');
  });
});

describe('attribute filters', () => {
  const p = (s: string) => new URLSearchParams(s);
  it('reads attrs.<key>=<value> in URL order next to the other filters', () => {
    expect(parseFilters(p('attrs.plan=pro&page=/cart&attrs.seats=3&attrs.beta=true'))).toEqual({
      page: '/cart',
      attrs: [
        { key: 'plan', value: 'pro' },
        { key: 'seats', value: '3' },
        { key: 'beta', value: 'true' },
      ],
    });
    // no attribute filter: no `attrs` at all
    expect(parseFilters(p('page=/cart'))).toEqual({ page: '/cart' });
    expect('attrs' in parseFilters(p('attrs.bad key=x'))).toBe(false);
  });
  it('keeps values verbatim, as text: spaces, markup, unicode', () => {
    const q = new URLSearchParams();
    q.set('attrs.tier', '<b>gold</b> & co');
    q.set('attrs.city', 'Zürich');
    expect(parseFilters(q).attrs).toEqual([
      { key: 'tier', value: '<b>gold</b> & co' },
      { key: 'city', value: 'Zürich' },
    ]);
  });
  it('skips what the server would refuse: bad keys, empty or long values; keeps the first of a repeated key and at most 5', () => {
    const long = 'x'.repeat(257);
    expect(
      parseFilters(p(`attrs.=x&attrs.a.b=x&attrs.a%20b=x&attrs.${'k'.repeat(65)}=x&attrs.empty=&attrs.long=${long}&attrs.ok=1&attrs.ok=2`)).attrs,
    ).toEqual([{ key: 'ok', value: '1' }]);
    const many = Array.from({ length: 7 }, (_, i) => `attrs.k${i}=${i}`).join('&');
    expect(parseFilters(p(many)).attrs!.map((a) => a.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(MAX_ATTR_FILTERS).toBe(5);
    // a key of 64 characters and a value of 256 bytes are fine
    const k64 = `A_-9${'z'.repeat(60)}`;
    expect(parseFilters(p(`attrs.${k64}=${'v'.repeat(256)}`)).attrs![0]!.key).toBe(k64);
  });
  it('checks keys and values as the server does', () => {
    expect(attrKeyProblem('plan')).toBeNull();
    expect(attrKeyProblem('my_key-2')).toBeNull();
    expect(attrKeyProblem('')).toMatch(/key/);
    expect(attrKeyProblem('user.id')).toMatch(/1 to 64 letters/);
    expect(attrKeyProblem('plän')).toMatch(/1 to 64 letters/);
    expect(attrKeyProblem('a b')).not.toBeNull();
    expect(attrKeyProblem('k'.repeat(64))).toBeNull();
    expect(attrKeyProblem('k'.repeat(65))).not.toBeNull();
    expect(attrValueProblem('pro')).toBeNull();
    expect(attrValueProblem('')).not.toBeNull();
    // bytes, not characters: 128 two-byte characters fit, 129 do not
    expect(attrValueProblem('é'.repeat(128))).toBeNull();
    expect(attrValueProblem('é'.repeat(129))).toMatch(/256 bytes/);
  });
  it('sends them to the API after the other filters', () => {
    const q = apiQuery(
      { from: 1, to: 2 },
      { page: '/a', attrs: [{ key: 'plan', value: 'pro plus' }, { key: 'beta', value: 'true' }] },
      { metric: 'lcp' },
    );
    expect(q).toBe('from=1&to=2&page=%2Fa&attrs.plan=pro+plus&attrs.beta=true&metric=lcp');
    expect(new URLSearchParams(q).get('attrs.plan')).toBe('pro plus');
  });
  it('carries them between pages, the valid ones only', () => {
    expect(sharedParams('?range=7d&attrs.plan=pro&metric=inp&attrs.bad%20key=x&user=bob')).toBe('?range=7d&user=bob&attrs.plan=pro');
  });
  it('adds, replaces and removes one with withParams', () => {
    expect(withParams('?page=%2Fcart', { [attrParam('plan')]: 'pro' })).toBe('?page=%2Fcart&attrs.plan=pro');
    expect(withParams('?attrs.plan=pro', { [attrParam('plan')]: 'free' })).toBe('?attrs.plan=free');
    expect(withParams('?attrs.plan=pro&attrs.beta=true', { [attrParam('plan')]: null })).toBe('?attrs.beta=true');
  });
  it('counts and clears every filter, attribute ones included, but nothing else', () => {
    expect(filterCount(parseFilters(p('page=/a&attrs.plan=pro&attrs.beta=true&metric=lcp')))).toBe(3);
    expect(filterCount({})).toBe(0);
    const search = '?range=7d&page=%2Fa&attrs.plan=pro&attrs.bad%20key=x&metric=lcp';
    expect(withParams(search, clearFilters(search))).toBe('?range=7d&metric=lcp');
  });
});

describe('safety', () => {
  it('safeNext keeps same-origin paths only', () => {
    expect(safeNext('/apps/x/vitals?metric=inp')).toBe('/apps/x/vitals?metric=inp');
    expect(safeNext(null)).toBe('/');
    expect(safeNext('//evil.example/')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
    expect(safeNext('https://evil.example/')).toBe('/');
    expect(safeNext('javascript:alert(1)')).toBe('/');
    expect(safeNext('/login?next=/x')).toBe('/');
    expect(safeNext('/a\nb')).toBe('/');
  });
  it('safeHref lets only http(s) URLs become links', () => {
    expect(safeHref('https://shop.example/cart?id=1')).toBe('https://shop.example/cart?id=1');
    expect(safeHref('http://127.0.0.1:9/x')).toBe('http://127.0.0.1:9/x');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('JaVaScRiPt:alert(1)')).toBeNull();
    expect(safeHref(' javascript:alert(1)')).toBeNull();
    expect(safeHref('java\tscript:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,<script>alert(1)</script>')).toBeNull();
    expect(safeHref('vbscript:msgbox(1)')).toBeNull();
    expect(safeHref('/relative')).toBeNull();
    expect(safeHref('')).toBeNull();
    expect(safeHref(null)).toBeNull();
  });
  it('urlPath shows the path of a URL, or the text when it is not one', () => {
    expect(urlPath('https://shop.example/cart?id=7')).toBe('/cart?id=7');
    expect(urlPath('javascript:alert(1)')).toBe('alert(1)');
    expect(urlPath('not a url')).toBe('not a url');
    expect(urlPath(null)).toBe('');
  });
});
