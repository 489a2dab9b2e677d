// Network outcomes: what counts as a failed request. An aborted request and
// a no-cors (opaque) response have no status to read; stored with status 0
// they counted as failing on the Resources page.
import { win } from './dom.js';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { flush } from '../src/index.js';
import { initNetwork } from '../src/network.js';
import { events, setup } from './harness.js';

describe('request outcomes', () => {
  before(() => {
    (win as unknown as { fetch: unknown }).fetch = async (u: string) => {
      const url = String(u);
      if (url.includes('/aborted')) throw new DOMException('The user aborted a request.', 'AbortError');
      if (url.includes('/down')) throw new TypeError('Failed to fetch');
      // what fetch(url, { mode: 'no-cors' }) resolves with for another origin
      if (url.includes('/opaque')) return { status: 0, type: 'opaque' } as Response;
      return new Response('{}', { status: 200 });
    };
    setup();
    initNetwork();
  });

  it('an aborted or opaque request is no failure: no error, no status; a network failure is one', async () => {
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(window.fetch('https://api.shop.example/aborted', { signal: abort.signal }), /aborted/);
    await window.fetch('https://pixels.example/opaque', { mode: 'no-cors' });
    await assert.rejects(window.fetch('https://api.shop.example/down'), /Failed to fetch/);
    await new Promise((r) => setTimeout(r, 350)); // the resource waits for its timing entry
    await flush();
    const status = Object.fromEntries(events('resource').map((r) => [new URL(r.resource_url).pathname, r.status]));
    assert.deepEqual(status, { '/aborted': undefined, '/opaque': undefined, '/down': 0 });
    assert.deepEqual(
      events('error').map((e) => e.resource_url),
      ['https://api.shop.example/down'],
    );
  });
});
