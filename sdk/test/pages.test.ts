// Page loads of one browser: each page a new instance of the SDK as built
// (dist/index.js, imported under another URL, so with its own state), all
// on the same cookies and localStorage: what must carry over from a page to
// the next (the quota hold, the opt-out) does.
import { win } from './dom.js';
import './clock.js';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { answers, configAnswers, configs, fakeFetch, sent } from './harness.js';

type Sdk = typeof import('../src/index.js');
let n = 0;
/** A new page: a fresh SDK instance, init with `key`, the fetch of a page that has none wrapped. */
const page = async (key: string): Promise<Sdk> => {
  (win as unknown as { fetch: unknown }).fetch = fakeFetch;
  const sdk = (await import(new URL(`../dist/index.js?page=${++n}`, import.meta.url).href)) as Sdk;
  sdk.init({ endpoint: 'https://fovea.example', key, flushInterval: 1000 });
  return sdk;
};
const intake = () => sent.filter((s) => s.url.includes('/api/v1/intake'));

describe('across page loads', () => {
  beforeEach(() => {
    sent.length = answers.length = configs.length = configAnswers.length = 0;
  });

  it('a 429 with Retry-After holds everything for that app until then, on the next pages too, without asking again', async () => {
    configAnswers.push(() => Response.json({ default: { session_rate: 100 } }));
    answers.push(() => new Response('{"error":"quota_exceeded"}', { status: 429, headers: { 'Retry-After': '3600' } }));
    const a = await page('kq');
    a.addAction('first');
    await a.flush();
    assert.equal(intake().length, 1, 'refused');
    assert.ok(+localStorage.getItem('fovea_q_kq')! > Date.now() + 3599_000, 'the hold is stored');

    sent.length = 0;
    configAnswers.push(() => Response.json({ default: { session_rate: 100 } }));
    const b = await page('kq'); // a new page of the same app
    b.addAction('second');
    await b.flush();
    b.startView('next');
    await b.flush();
    assert.equal(intake().length, 0, 'nothing sent during the hold, nothing learnt again');

    configAnswers.push(() => Response.json({ default: { session_rate: 100 } }));
    const c = await page('other-app'); // the hold is per app
    c.addAction('third');
    await c.flush();
    assert.ok(intake().some((s) => s.url.endsWith('key=other-app') && s.body.events.some((e) => e.name == 'third')));
  });

  it('init of a later page reads document.cookie once: the opt-out check and the session share the read (synchronous IO)', async () => {
    await page('kc'); // the first page of the visit stores the session
    let proto = Object.getPrototypeOf(document);
    while (!Object.getOwnPropertyDescriptor(proto, 'cookie')) proto = Object.getPrototypeOf(proto);
    const desc = Object.getOwnPropertyDescriptor(proto, 'cookie')!;
    let reads = 0;
    Object.defineProperty(document, 'cookie', {
      configurable: true,
      get: () => (reads++, desc.get!.call(document)),
      set: (v: string) => desc.set!.call(document, v),
    });
    try {
      await page('kc');
      assert.equal(reads, 1);
    } finally {
      delete (document as { cookie?: string }).cookie;
    }
  });

  it('with fovea_optout=1 at init, nothing is collected, fetched or sent; optOut(false) starts again', async () => {
    document.cookie = 'fovea_optout=1;path=/';
    const sdk = await page('ko');
    sdk.addAction('opted out');
    sdk.addError(new Error('opted out'));
    await sdk.flush();
    assert.equal(sent.length, 0);
    assert.equal(configs.length, 0, 'not even the sampling config');
    configAnswers.push(() => Response.json({ default: { session_rate: 100 } }));
    sdk.optOut(false);
    sdk.addAction('back');
    await sdk.flush();
    assert.equal(configs.length, 1);
    assert.deepEqual(
      intake()
        .flatMap((s) => s.body.events)
        .filter((e) => e.type == 'action')
        .map((e) => e.name),
      ['back'],
    );
  });
});
