// The async snippet of docs/sdk.md: its stub queues the calls made before the
// SDK arrives, and the script-tag entry (src/global.ts) takes the stub's place
// and replays them in order, each guarded. Its own file: the entry runs once.
import { win } from './dom.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInNewContext, runInThisContext } from 'node:vm';
import { describe, it } from 'node:test';
import type { DeferredHook } from '../src/deferred.js';
import { events, fakeFetch, sent } from './harness.js';

const API = ['addAction', 'addError', 'flush', 'init', 'optOut', 'setConsent', 'setContext', 'setUser', 'startReplay', 'startView', 'stopReplay'];

type Fovea = Record<string, (...a: unknown[]) => unknown> & { q?: [string, unknown[]][] };
const g = globalThis as { Fovea?: Fovea; __foveaDeferred?: DeferredHook };

/** The inline script of the async snippet in docs/sdk.md, filled in. */
const docs = readFileSync(new URL('../../docs/sdk.md', import.meta.url), 'utf8');
const snippet = docs.match(/<!-- async-snippet:start -->\s*```html\n([\s\S]*?)```\s*<!-- async-snippet:end -->/)?.[1];
const inline = snippet?.match(/<script>([\s\S]*?)<\/script>/)?.[1];
const src = snippet?.match(/<script src="([^"]+)" async/)?.[1];
const filled = (inline ?? '').replaceAll('https://fovea.example.com', 'https://fovea.example').replaceAll('YOUR_INGEST_KEY', 'k1');
/** Runs the snippet's inline script with `window` the global object, as in a browser. */
const runSnippet = () => runInThisContext(`(function (window) {${filled}\n})(globalThis)`);

describe('the async snippet', () => {
  it('is in docs/sdk.md: a stub and init inline, the SDK from the Fovea server with async', () => {
    assert.ok(inline, 'docs/sdk.md has the marked async snippet');
    assert.equal(src, 'https://fovea.example.com/sdk/fovea.min.js');
    assert.ok(inline!.trim().split('\n')[0]!.length < 300, 'the stub is one short line');
  });

  it('queues the calls made before the SDK; the SDK replays them in order, skipping the ones that fail', async () => {
    (win as unknown as { fetch: unknown }).fetch = fakeFetch;
    // the chunks' URLs, as the SDK computes them from its <script> element
    const chunks: string[] = [];
    g.__foveaDeferred = { i: (u) => (chunks.push(u), Promise.reject(new Error('not in this test'))) };
    runSnippet();
    const stub = g.Fovea!;
    assert.deepEqual(Object.keys(stub).filter((k) => k != 'q').sort(), API, 'the stub has every method of the API');
    // the page's own calls, before the SDK arrives
    stub.setUser!({ id: 'u-42', plan: 'pro' });
    stub.setContext!('tenant', 'acme');
    stub.addAction!('checkout', { items: 3 });
    // a method this SDK does not have (a newer snippet), and arguments that throw when read
    stub.q!.push(['notYetInvented', [1]]);
    stub.addAction!({
      toString() {
        throw new Error('bad name');
      },
    });
    stub.setContext!('step', 2);
    stub.addError!(new Error('boom'), { where: 'cart' });
    stub.flush!();
    assert.deepEqual(
      stub.q!.map(([n]) => n),
      ['init', 'setUser', 'setContext', 'addAction', 'notYetInvented', 'addAction', 'setContext', 'addError', 'flush'],
    );
    assert.equal(sent.length, 0);

    // the SDK arrives, from an async <script> (document.currentScript is it while it runs)
    Object.defineProperty(document, 'currentScript', { configurable: true, value: { src: 'https://fovea.example/sdk/fovea.min.js' } });
    await import('../src/global.js');
    Object.defineProperty(document, 'currentScript', { configurable: true, value: null });

    const real = g.Fovea!;
    assert.notEqual(real, stub, 'the stub is replaced');
    assert.deepEqual(Object.keys(real).sort(), API);
    assert.equal(real.q, undefined);
    assert.equal(chunks[0], 'https://fovea.example/sdk/fovea-deferred.min.js', 'the chunks are loaded from beside the script');

    // the replayed init started the SDK, so a call now goes straight to it
    real.addAction!('after load');
    await real.flush!();
    const actions = events('action');
    assert.deepEqual(
      actions.map((e) => [e.name, e.attrs]),
      [
        ['checkout', { user: { plan: 'pro' }, tenant: 'acme', items: 3 }],
        ['after load', { user: { plan: 'pro' }, tenant: 'acme', step: 2 }],
      ],
    );
    const [err] = events('error');
    assert.equal(err!.message, 'boom');
    assert.deepEqual(err!.attrs, { user: { plan: 'pro' }, tenant: 'acme', step: 2, where: 'cart' }, 'replayed after the calls before it');
    assert.ok(sent.every((s) => s.body.session.user_id == 'u-42'));
    assert.ok(sent.every((s) => s.url.startsWith('https://fovea.example/api/v1/intake?key=k1')));

    // the snippet pasted twice, or run after the SDK: the real API stays
    runSnippet();
    assert.equal(g.Fovea, real);
  });

  it('a second copy of the SDK keeps the first; a stub is replaced even when its queue is broken', () => {
    const code = readFileSync(new URL('../dist/fovea.min.js', import.meta.url), 'utf8');
    const first = { init() {} };
    const page: { Fovea?: unknown } = { Fovea: first };
    runInNewContext(code, page);
    assert.equal(page.Fovea, first);
    // a page that pushed something else onto the queue: nothing reaches the page
    for (const q of [[['init']], [null, ['addAction', ['x']]], 'not a queue']) {
      const stub: { Fovea: Record<string, unknown> } = { Fovea: { q, init() {} } };
      runInNewContext(code, stub);
      assert.deepEqual(Object.keys(stub.Fovea).sort(), API);
    }
  });
});
