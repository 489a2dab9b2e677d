// `@fovea/browser/react`: a real React render under happy-dom, with a
// component that throws inside an ErrorBoundary.
import './dom.js';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { createElement as h, useState } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import { flush } from '../src/index.js';
import { ErrorBoundary } from '../src/react.js';
import { resetTransport } from '../src/transport.js';
import { events, setup } from './harness.js';

let broken = true;
const Cart = () => {
  if (broken) throw new TypeError('cart.items is undefined');
  return h('p', null, 'cart');
};
const Page = () => h('main', null, h(Cart));

/** Renders `el` into a fresh container, synchronously; React's own logging of caught errors is silenced. */
const render = (el: ReturnType<typeof h>) => {
  const div = document.createElement('div');
  document.body.appendChild(div);
  const root = createRoot(div as unknown as Element, { onCaughtError: () => {} });
  flushSync(() => root.render(el));
  return div;
};

describe('ErrorBoundary', () => {
  beforeEach(() => {
    resetTransport();
    setup();
    broken = true;
  });

  it('renders the fallback and reports the error with the component stack', async () => {
    const seen: [unknown, string | undefined][] = [];
    const div = render(
      h(ErrorBoundary, { fallback: h('p', null, 'Something went wrong'), onError: (e, stack) => seen.push([e, stack]) }, h(Page)),
    );
    assert.equal(div.textContent, 'Something went wrong');
    await flush();
    const [e] = events('error');
    assert.equal(e!.source, 'custom');
    assert.equal(e!.handled, true);
    assert.equal(e!.kind, 'TypeError');
    assert.equal(e!.message, 'cart.items is undefined');
    assert.match(e!.stack, /TypeError: cart.items is undefined/);
    assert.equal(e!.attrs.framework, 'react');
    assert.match(e!.attrs.componentStack, /Cart[\s\S]*Page/, 'the component stack, innermost first');
    assert.equal(seen.length, 1);
    assert.equal((seen[0]![0] as Error).message, 'cart.items is undefined');
    assert.equal(seen[0]![1], e!.attrs.componentStack);
  });

  it('calls a render-function fallback with the error and a reset that renders the children again', async () => {
    let reset = () => {};
    const div = render(
      h(ErrorBoundary, {
        fallback: (error, r) => {
          reset = r;
          return h('p', null, `failed: ${(error as Error).message}`);
        },
        children: h(Page),
      }),
    );
    assert.equal(div.textContent, 'failed: cart.items is undefined');
    broken = false;
    flushSync(reset);
    assert.equal(div.textContent, 'cart');
    await flush();
    assert.equal(events('error').length, 1);
  });

  it('renders its children when nothing throws, and nothing when a throwing tree has no fallback', async () => {
    broken = false;
    assert.equal(render(h(ErrorBoundary, null, h(Page))).textContent, 'cart');
    broken = true;
    const Thrower = () => {
      const [v] = useState<null>(null);
      throw v; // a thrown null is still an error
    };
    assert.equal(render(h(ErrorBoundary, null, h(Thrower))).textContent, '');
    await flush();
    assert.deepEqual(events('error').map((e) => e.message), ['null']);
  });
});
