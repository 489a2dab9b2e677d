// "The SDK never throws into the host page": bad input, throwing callbacks,
// calls before init, a second init.
import { win } from './dom.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addAction, addError, flush, init, setConsent, setContext, setUser, startView } from '../src/index.js';
import { events, fakeFetch, sent } from './harness.js';

describe('robustness', () => {
  it('ignores every call before init', async () => {
    addAction('early');
    addError(new Error('early'));
    setUser({ id: 1 });
    setContext('a', 1);
    setConsent('granted');
    startView('x');
    await flush();
  });

  it('ignores init without endpoint or key, and garbage', () => {
    for (const bad of [undefined, null, 42, 'x', {}, { endpoint: 'https://f.example' }, { key: 'k' }]) init(bad as never);
  });

  it('ignores init without a window (server-side rendering), leaving it to the page', () => {
    const g = globalThis as { window?: unknown };
    const w = g.window;
    delete g.window;
    try {
      init({ endpoint: 'https://ssr.example', key: 'ssr' });
    } finally {
      g.window = w;
    }
    // the next test's init is the first that takes
  });

  it('survives throwing callbacks and odd arguments once running', async () => {
    (win as unknown as { fetch: unknown }).fetch = fakeFetch;
    init({
      endpoint: 'https://fovea.example',
      key: 'k',
      routeName: () => {
        throw new Error('bug in routeName');
      },
    });
    init({ endpoint: 'https://other.example', key: 'other' }); // a second init is ignored
    history.pushState({}, '', '/orders/7');
    addAction(undefined as never);
    addError(undefined);
    addError({ weird: true });
    setUser(null);
    setUser({} as never);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    addAction('circular', circular); // cannot be serialised: dropped, not thrown
    setContext(undefined as never, undefined);
    startView(undefined);
    await flush();
    const views = events('view');
    assert.ok(views.some((v) => v.route == '/orders/7'), 'a throwing routeName falls back to the path');
    assert.ok(sent.length > 0);
    assert.ok(sent.every((s) => s.url == 'https://fovea.example/api/v1/intake?key=k'), 'everything went to the first init');
    const errors = events('error');
    assert.deepEqual(
      errors.map((e) => e.message),
      ['undefined', '{"weird":true}'],
    );
  });
});
