// The whole SDK, initialised as a page would, in happy-dom: views and SPA
// routes, error capture, fetch instrumentation and trace propagation.
import { win } from './dom.js';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { addAction, flush, init, setUser, startView } from '../src/index.js';
import { events, fakeFetch, sent } from './harness.js';
import { P } from './scrubList.js';

const api: { url: string; headers: Headers }[] = [];
const pageFetch = async (input: RequestInfo | URL, initArg?: RequestInit) => {
  const url = input instanceof Request ? input.url : String(input);
  api.push({ url, headers: new Headers(initArg?.headers ?? (input instanceof Request ? input.headers : undefined)) });
  if (url.includes('/down')) throw new TypeError('Failed to fetch');
  return new Response('{}', { status: url.includes('/fail') ? 500 : url.includes('/missing') ? 404 : 200 });
};

const viewsById = () => {
  const m = new Map<string, Record<string, any>>();
  for (const v of events('view')) if (!m.has(v.view_id) || m.get(v.view_id)!.version < v.version) m.set(v.view_id, v);
  return [...m.values()];
};

describe('the SDK in a page', () => {
  before(() => {
    // The SDK's transport uses the fetch present at init; the page's later
    // calls go through the SDK's wrapper around it.
    (win as unknown as { fetch: unknown }).fetch = (u: RequestInfo, i: RequestInit) =>
      String(u).startsWith('https://fovea.example/') ? fakeFetch(u, i) : pageFetch(u, i);
    init({
      endpoint: 'https://fovea.example/',
      key: 'k1',
      env: 'test',
      release: '1.2.3',
      allowedTracingUrls: ['https://api.shop.example/', /\/traced\//],
      trackConsoleErrors: true,
      routeName: (u) => (new URL(u).pathname.startsWith('/product/') ? '/product/:id' : undefined),
    });
  });

  it('starts an initial_load view for the page, with the context in the batch', async () => {
    await flush();
    const [v] = viewsById();
    assert.equal(v!.loading_type, 'initial_load');
    assert.equal(v!.url, 'https://shop.example/cart?id=7');
    assert.equal(v!.route, '/cart');
    assert.ok(v!.time_spent >= 0);
    const b = sent.at(-1)!.body;
    assert.equal(b.context.env, 'test');
    assert.equal(b.context.release, '1.2.3');
    assert.equal(b.context.viewport, '1280x720');
  });

  it('starts a view on pushState, replaceState to a new path, hash routes, popstate; not on query or anchor changes', async () => {
    const before = viewsById().length;
    history.pushState({}, '', '/product/42?token=secret');
    history.replaceState({}, '', '/product/42?tab=reviews'); // same path: same view
    location.hash = '#reviews'; // an anchor, not a route
    win.dispatchEvent(new win.Event('hashchange'));
    history.pushState({}, '', '/app#/settings');
    history.pushState({}, '', '/app#/settings/profile?x=1');
    startView('checkout step 2');
    await flush();
    const vs = viewsById().slice(before);
    assert.deepEqual(
      vs.map((v) => [v.loading_type, v.route]),
      [
        ['route_change', '/product/:id'],
        ['route_change', '/app#/settings'],
        ['route_change', '/app#/settings/profile'],
        ['route_change', 'checkout step 2'],
      ],
    );
    assert.equal(vs[0]!.url, `https://shop.example/product/42?token=${P}`, 'URLs are scrubbed');
    assert.equal(vs[1]!.referrer, vs[0]!.url, "a route's referrer is the previous view");
    // finished views carry their final time_spent
    assert.ok(vs.slice(0, 3).every((v) => typeof v.time_spent == 'number'));
  });

  it("hands every pointerdown and keydown to the deferred chunk (INP's targets) from the one activity listener", () => {
    const hook = (globalThis as { __foveaDeferred?: { p?: (e: Event) => void } }).__foveaDeferred!;
    const chunk = hook.p;
    const got: string[] = [];
    hook.p = (e) => got.push(e.type);
    try {
      for (const t of ['pointerdown', 'keydown', 'scroll', 'touchstart', 'pointerdown'])
        document.body.dispatchEvent(new win.Event(t, { bubbles: true }) as unknown as Event);
    } finally {
      hook.p = chunk;
    }
    assert.deepEqual(got, ['pointerdown', 'keydown', 'pointerdown'], 'each one, not throttled like the session renewal');
  });

  it('captures uncaught errors, unhandled rejections, resource failures and console.error', async () => {
    const err = new RangeError('bad range');
    win.dispatchEvent(new win.ErrorEvent('error', { error: err, message: err.message }));
    const rej = new win.Event('unhandledrejection') as unknown as { reason: unknown };
    rej.reason = 'plain string reason';
    win.dispatchEvent(rej as unknown as InstanceType<typeof win.Event>);
    const img = document.createElement('img');
    img.setAttribute('src', 'https://cdn.shop.example/missing.png?sig=abc');
    document.body.appendChild(img);
    img.dispatchEvent(new win.Event('error') as unknown as Event);
    console.error('payment failed', { code: 42 });
    await flush();
    const errs = events('error');
    const by = (s: string) => errs.filter((e) => e.source == s);
    assert.equal(by('source')[0]!.kind, 'RangeError');
    assert.equal(by('source')[0]!.message, 'bad range');
    assert.match(by('source')[0]!.stack, /RangeError: bad range/);
    assert.equal(by('source')[1]!.kind, 'UnhandledRejection');
    assert.equal(by('source')[1]!.message, 'plain string reason');
    assert.equal(by('resource')[0]!.resource_url, `https://cdn.shop.example/missing.png?sig=${P}`);
    assert.equal(by('console')[0]!.message, 'payment failed {"code":42}');
    assert.ok(errs.every((e) => e.handled === false));
  });

  it('adds traceparent to allowed URLs only and records the ids on the resource', async () => {
    api.length = 0;
    await window.fetch('https://api.shop.example/cart', { headers: { tracestate: 'vendor=1' } });
    await window.fetch('https://cdn.shop.example/x.json');
    await window.fetch(new Request('https://shop.example/traced/y', { method: 'POST', headers: { 'x-a': 'b' } }));
    await window.fetch('https://api.shop.example/own', { headers: { traceparent: '00-11111111111111111111111111111111-2222222222222222-01' } });
    const [a, b, c, d] = api;
    const tp = a!.headers.get('traceparent')!;
    assert.match(tp, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(a!.headers.get('tracestate'), 'vendor=1', 'tracestate passes through');
    assert.equal(b!.headers.get('traceparent'), null, 'not an allowed URL');
    assert.match(c!.headers.get('traceparent')!, /^00-/);
    assert.equal(c!.headers.get('x-a'), 'b', "the Request's own headers are kept");
    assert.equal(d!.headers.get('traceparent'), '00-11111111111111111111111111111111-2222222222222222-01', "the page's own traceparent wins");
    await new Promise((r) => setTimeout(r, 350)); // resources wait for their timing entry
    await flush();
    const res = events('resource').filter((r) => r.kind == 'fetch');
    const cart = res.find((r) => r.resource_url == 'https://api.shop.example/cart')!;
    assert.equal(cart.method, 'GET');
    assert.equal(cart.status, 200);
    assert.equal(`00-${cart.trace_id}-${cart.span_id}-01`, tp);
    assert.equal(res.find((r) => r.resource_url.endsWith('/traced/y'))!.method, 'POST');
    assert.equal(res.find((r) => r.resource_url.endsWith('x.json'))!.trace_id, undefined);
    assert.equal(res.find((r) => r.resource_url.endsWith('/own'))!.trace_id, undefined);
  });

  it('reports failed requests (network failure, 5xx) as network errors, and leaves the promise as it was', async () => {
    await assert.rejects(window.fetch('https://api.shop.example/down'), /Failed to fetch/);
    assert.equal((await window.fetch('https://api.shop.example/fail')).status, 500);
    assert.equal((await window.fetch('https://api.shop.example/missing')).status, 404);
    await new Promise((r) => setTimeout(r, 350));
    await flush();
    const net = events('error').filter((e) => e.source == 'network');
    assert.deepEqual(
      net.map((e) => [e.kind, e.status, e.resource_url]),
      [
        ['NetworkError', 0, 'https://api.shop.example/down'],
        ['HTTPError', 500, 'https://api.shop.example/fail'],
      ],
      '4xx is not an error unless track4xx',
    );
    assert.equal(net[1]!.message, 'GET https://api.shop.example/fail 500');
  });

  it('sends the user id with the session and counts events on their view', async () => {
    setUser({ id: 42, plan: 'pro' });
    addAction('upgrade');
    await flush();
    const b = sent.at(-1)!.body as unknown as { session: { user_id: string } };
    assert.equal(b.session.user_id, '42');
    assert.deepEqual(events('action').at(-1)!.attrs, { user: { plan: 'pro' } });
    const current = viewsById().at(-1)!;
    assert.equal(current.error_count, 6, '4 captured + 2 failed requests');
    assert.equal(current.resource_count, 7, 'the 7 fetches');
    assert.equal(current.action_count, 1);
  });

  it('finalises the view and beacons everything when the page is left, requests just finished included', async () => {
    const calls: string[] = [];
    Object.defineProperty(navigator, 'sendBeacon', { value: (_: string, b: string) => (calls.push(b), true), configurable: true });
    await window.fetch('https://api.shop.example/last-one');
    win.dispatchEvent(new win.Event('pagehide')); // before the resource's 300 ms wait is over
    assert.equal(calls.length, 1);
    const sentEvents = JSON.parse(calls[0]!).events as Record<string, any>[];
    const views = sentEvents.filter((e) => e.type == 'view');
    assert.equal(views.length, 1);
    assert.equal(typeof views[0]!.time_spent, 'number');
    assert.ok(sentEvents.some((e) => e.type == 'resource' && e.resource_url == 'https://api.shop.example/last-one'));
    // Regression: the visibilitychange to hidden that follows pagehide re-sent the final view in a second beacon.
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    try {
      document.dispatchEvent(new win.Event('visibilitychange') as unknown as Event);
    } finally {
      delete (document as unknown as Record<string, unknown>).visibilityState;
    }
    assert.equal(calls.length, 1, 'nothing more after pagehide');
  });
});
