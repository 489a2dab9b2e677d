import { describe, expect, it } from 'vitest';
import {
  apiQuery,
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
