import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError } from '../src/lib/api';

// A minimal browser: a location, a history that records entries, and events.
function fakeWindow(path: string) {
  const url = new URL(`http://fovea.test${path}`);
  const entries: string[] = [];
  const w = {
    location: {
      get pathname() {
        return url.pathname;
      },
      get search() {
        return url.search;
      },
    },
    history: {
      pushState: (_s: unknown, _t: string, to: string) => {
        entries.push(`push ${to}`);
        const n = new URL(to, url);
        url.pathname = n.pathname;
        url.search = n.search;
      },
      replaceState: (_s: unknown, _t: string, to: string) => {
        entries.push(`replace ${to}`);
        const n = new URL(to, url);
        url.pathname = n.pathname;
        url.search = n.search;
      },
    },
    dispatchEvent: () => true,
    scrollTo: () => {},
  };
  return { w, entries };
}

type Call = { url: string; init: RequestInit };

function fakeFetch(status: number, body: string, calls: Call[]) {
  return vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(status === 204 ? null : body, { status, headers: { 'content-type': 'application/json' } });
  });
}

describe('api', () => {
  let calls: Call[];
  let entries: string[];
  beforeEach(() => {
    calls = [];
    const f = fakeWindow('/apps/shop/vitals?metric=inp');
    entries = f.entries;
    vi.stubGlobal('window', f.w);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('GETs under /api/v1 with the cookie and without the CSRF header', async () => {
    vi.stubGlobal('fetch', fakeFetch(200, '{"username":"admin"}', calls));
    expect(await api('/me')).toEqual({ username: 'admin' });
    const c = calls[0]!;
    expect(c.url).toBe('/api/v1/me');
    expect(c.init.credentials).toBe('same-origin');
    expect((c.init.headers as Record<string, string>)['X-Fovea-Csrf']).toBeUndefined();
  });

  it.each(['POST', 'PATCH', 'DELETE'] as const)('%s carries X-Fovea-Csrf: 1 and a JSON body', async (method) => {
    vi.stubGlobal('fetch', fakeFetch(200, '{}', calls));
    await api('/apps/shop', { method, body: { retention_days: 7 } });
    const h = calls[0]!.init.headers as Record<string, string>;
    expect(h['X-Fovea-Csrf']).toBe('1');
    expect(h['Content-Type']).toBe('application/json');
    expect(calls[0]!.init.body).toBe('{"retention_days":7}');
  });

  it('a 401 sends the user to the login page, keeping where they were', async () => {
    vi.stubGlobal('fetch', fakeFetch(401, '{"error":"unauthorized"}', calls));
    await expect(api('/apps')).rejects.toMatchObject({ status: 401 });
    expect(entries).toEqual([`replace /login?next=${encodeURIComponent('/apps/shop/vitals?metric=inp')}`]);
  });

  it('the login form handles its own 401', async () => {
    vi.stubGlobal('fetch', fakeFetch(401, '{"error":"unauthorized","message":"wrong password"}', calls));
    await expect(api('/login', { method: 'POST', body: {}, noRedirect: true })).rejects.toBeInstanceOf(ApiError);
    expect(entries).toEqual([]);
  });

  it('other errors carry the server code and message', async () => {
    vi.stubGlobal('fetch', fakeFetch(400, '{"error":"invalid","message":"retention_days: expected 1..3650"}', calls));
    await expect(api('/apps/shop', { method: 'PATCH', body: {} })).rejects.toMatchObject({
      status: 400,
      code: 'invalid',
      message: 'retention_days: expected 1..3650',
    });
  });

  it('204 resolves to undefined', async () => {
    vi.stubGlobal('fetch', fakeFetch(204, '', calls));
    await expect(api('/logout', { method: 'POST' })).resolves.toBeUndefined();
  });

  it('a network failure is an ApiError with status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('failed to fetch'))));
    await expect(api('/me')).rejects.toMatchObject({ status: 0, code: 'network' });
  });
});
