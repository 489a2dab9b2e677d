// `@fovea/browser/vue`: a real Vue 3 app mounted under happy-dom, with
// components that throw in setup and in render.
import { win } from './dom.js';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { createApp, defineComponent, h } from 'vue';
import { flush } from '../src/index.js';
import { resetTransport } from '../src/transport.js';
import { FoveaVue } from '../src/vue.js';
import { events, setup } from './harness.js';

// what app.mount() checks its container against
(globalThis as Record<string, unknown>).SVGElement = win.SVGElement;

const Checkout = defineComponent({
  name: 'CheckoutForm',
  setup() {
    throw new TypeError('price is undefined');
  },
});
const Basket = defineComponent({
  name: 'Basket',
  render() {
    throw new RangeError('too many items');
  },
});

const mount = (root: object, use: (app: ReturnType<typeof createApp>) => void) => {
  const app = createApp(root);
  use(app);
  const el = document.createElement('div');
  document.body.appendChild(el);
  app.mount(el as unknown as Element);
  return app;
};

describe('FoveaVue plugin', () => {
  const logged: unknown[][] = [];
  beforeEach(() => {
    resetTransport();
    setup();
    logged.length = 0;
    console.error = (...a: unknown[]) => void logged.push(a);
  });

  it('reports errors from setup and render with the component and lifecycle, and still calls the handler set before', async () => {
    const before: [unknown, unknown, string][] = [];
    mount({ render: () => h('div', [h(Checkout), h(Basket)]) }, (app) => {
      app.config.errorHandler = (err, vm, info) => void before.push([err, vm, info]);
      app.use(FoveaVue);
    });
    await flush();
    const errs = events('error');
    assert.deepEqual(
      errs.map((e) => [e.kind, e.message, e.source, e.handled, e.attrs]),
      [
        ['TypeError', 'price is undefined', 'custom', true, { framework: 'vue', component: 'CheckoutForm', lifecycle: 'setup function' }],
        ['RangeError', 'too many items', 'custom', true, { framework: 'vue', component: 'Basket', lifecycle: 'render function' }],
      ],
    );
    assert.deepEqual(
      before.map(([err, , info]) => [(err as Error).message, info]),
      [
        ['price is undefined', 'setup function'],
        ['too many items', 'render function'],
      ],
    );
    assert.equal(logged.length, 0, 'the handler before decides about logging');
  });

  it('logs the error as Vue does when no handler was set, unless logErrors is false', async () => {
    mount({ render: () => h(Basket) }, (app) => app.use(FoveaVue));
    assert.equal((logged[0]?.[0] as Error).message, 'too many items');
    logged.length = 0;
    mount({ render: () => h(Basket) }, (app) => app.use(FoveaVue, { logErrors: false }));
    assert.equal(logged.length, 0);
    await flush();
    assert.equal(events('error').length, 2);
  });
});
