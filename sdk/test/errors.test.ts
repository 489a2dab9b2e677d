// Error filtering and grouping: ignoreErrors and denyUrls, applied in
// reportError to every source, and addError's fingerprint on the wire.
import { win } from './dom.js';
import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';
import { initErrors, reportError } from '../src/errors.js';
import { addError, flush } from '../src/index.js';
import { matches } from '../src/lib/matches.js';
import { initNetwork } from '../src/network.js';
import { S } from '../src/state.js';
import { resetTransport } from '../src/transport.js';
import type { Options } from '../src/types.js';
import { events, setup } from './harness.js';

/** A thrown Error whose stack's top frame is in `file`, as V8 writes it. */
const thrown = (message: string, file: string, Ctor: ErrorConstructor = Error): Error => {
  const e = new Ctor(message);
  e.stack = `${e.name}: ${message}\n    at handler (${file}:12:34)\n    at https://shop.example/app.js:1:1`;
  return e;
};

const uncaught = (init: ErrorEventInit) => win.dispatchEvent(new win.ErrorEvent('error', init as never));
const rejection = (reason: unknown) => {
  const e = new win.Event('unhandledrejection') as unknown as { reason: unknown };
  e.reason = reason;
  win.dispatchEvent(e as unknown as InstanceType<typeof win.Event>);
};
const brokenImage = (src: string) => {
  const img = document.createElement('img');
  img.setAttribute('src', src);
  document.body.appendChild(img);
  img.dispatchEvent(new win.Event('error') as unknown as Event);
};

/** The errors sent, as [source, message]. */
const sentErrors = async () => {
  await flush();
  return events('error').map((e) => [e.source, e.message]);
};

describe('error filters', () => {
  const logged: unknown[][] = [];
  before(() => {
    console.error = (...a: unknown[]) => void logged.push(a); // keep the test output quiet
    (win as unknown as { fetch: unknown }).fetch = async (u: string) => {
      if (String(u).includes('/down')) throw new TypeError('Failed to fetch');
      return new Response('', { status: 503 });
    };
    setup({ trackConsoleErrors: true, trackResources: false });
    initErrors();
    initNetwork();
  });
  const use = (o: Partial<Options>) => {
    resetTransport();
    setup({ trackConsoleErrors: true, trackResources: false, ...o });
  };
  beforeEach(() => use({}));

  it('ignoreErrors: a string contained in the message or in "kind: message", from every source', async () => {
    use({ ignoreErrors: ['ResizeObserver loop', 'TypeError: x is', 'failed to load', 'GET https://api.shop.example/down', 'chatty'] });
    uncaught({ error: new Error('ResizeObserver loop completed with undelivered notifications'), message: 'ResizeObserver loop' });
    uncaught({ error: new TypeError('x is undefined'), message: 'x is undefined' });
    rejection(new TypeError('x is not a function'));
    console.error('chatty third-party log');
    brokenImage('https://cdn.shop.example/a.png');
    await window.fetch('https://api.shop.example/down').catch(() => 0);
    addError(new Error('ResizeObserver loop limit exceeded'));
    // and what does not match goes through
    uncaught({ error: new RangeError('x is too big'), message: 'x is too big' });
    rejection('x is a string reason'); // not an Error: "UnhandledRejection: x is a string reason"
    assert.deepEqual(await sentErrors(), [
      ['source', 'x is too big'],
      ['source', 'x is a string reason'],
    ]);
  });

  it('ignoreErrors: a RegExp tested against the message and against "kind: message"', async () => {
    use({ ignoreErrors: [/^Script error\.?$/, /^NetworkError: /, /^HTTPError: GET \S+ 503$/, /chunk \d+ failed/i, /^console\.error: noisy/g] });
    uncaught({ message: 'Script error.' }); // a cross-origin script's error: no details
    await window.fetch('https://api.shop.example/down').catch(() => 0); // NetworkError
    await window.fetch('https://api.shop.example/busy'); // HTTPError 503
    addError(new Error('Loading CHUNK 12 FAILED.'));
    console.error('noisy');
    console.error('noisy'); // a /g pattern matches every time (its lastIndex does not carry over)
    console.error('payment declined');
    uncaught({ message: 'Script error. Details follow' });
    assert.deepEqual(await sentErrors(), [
      ['console', 'payment declined'],
      ['source', 'Script error. Details follow'],
    ]);
  });

  it("denyUrls: the top stack frame's file, the error event's filename, a failed request's or resource's URL", async () => {
    use({ denyUrls: ['chrome-extension://', /^https:\/\/ads\.example\//, 'https://api.shop.example/tracking'] });
    uncaught({ error: thrown('in an extension', 'chrome-extension://abcdef/content.js'), message: 'x' });
    rejection(thrown('in an ad', 'https://ads.example/banner.js'));
    addError(thrown('ad again', 'https://ads.example/banner.js'));
    const firefox = new Error('firefox frame');
    firefox.stack = 'render@https://ads.example/banner.js:3:9\n@https://shop.example/app.js:1:1\n';
    console.error(firefox);
    // no stack (a thrown string): the event's filename says where it came from
    uncaught({ error: 'thrown string', message: 'Uncaught thrown string', filename: 'chrome-extension://abcdef/content.js', lineno: 1, colno: 2 });
    // the event's filename wins over a frame deeper in a library
    uncaught({ error: thrown('rethrown', 'https://shop.example/vendor.js'), message: 'x', filename: 'https://ads.example/loader.js' });
    await window.fetch('https://api.shop.example/tracking/pixel?id=1');
    brokenImage('https://ads.example/pixel.gif');
    // from the page's own scripts, all are reported
    uncaught({ error: thrown('own bug', 'https://shop.example/app.js'), message: 'own bug', filename: 'https://shop.example/app.js' });
    await window.fetch('https://api.shop.example/cart');
    brokenImage('https://cdn.shop.example/b.png');
    addError(new Error('no stack at all'), undefined);
    const sent = await sentErrors();
    assert.deepEqual(sent, [
      ['source', 'own bug'],
      ['network', 'GET https://api.shop.example/cart 503'],
      ['resource', 'img failed to load: https://cdn.shop.example/b.png'],
      ['custom', 'no stack at all'],
    ]);
  });

  it('ignored errors do not use up the rate limit (100 a minute)', async () => {
    use({ ignoreErrors: ['spam'] });
    for (let i = 0; i < 150; i++) reportError('source', new Error(`spam ${i}`));
    reportError('source', new Error('real'));
    assert.deepEqual(await sentErrors(), [['source', 'real']]);
  });

  it('never throws on odd patterns, and does not drop errors because of them', async () => {
    use({ ignoreErrors: [42, null] as never, denyUrls: [{}] as never });
    uncaught({ error: new Error('still reported'), message: 'x' });
    assert.deepEqual((await sentErrors()).filter(([s]) => s == 'source'), [['source', 'still reported']]);
  });
});

describe('addError fingerprint', () => {
  beforeEach(() => {
    resetTransport();
    setup();
  });

  it('sends the fingerprint as given, at most 128 characters, and none when absent', async () => {
    addError(new Error('timeout at step 3'), { step: 3 }, { fingerprint: 'checkout-timeout' });
    addError(new Error('long'), undefined, { fingerprint: 'f'.repeat(300) });
    addError(new Error('plain'));
    addError(new Error('empty'), undefined, { fingerprint: '' });
    addError(new Error('number'), undefined, { fingerprint: 42 as never });
    await flush();
    const e = events('error');
    assert.equal(e[0]!.fingerprint, 'checkout-timeout');
    assert.deepEqual(e[0]!.attrs, { step: 3 });
    assert.equal(e[0]!.handled, true);
    assert.equal(e[0]!.source, 'custom');
    assert.equal(e[1]!.fingerprint, 'f'.repeat(128));
    assert.ok(!('fingerprint' in e[2]!) && !('fingerprint' in e[3]!), 'absent, not null');
    assert.equal(e[4]!.fingerprint, '42');
    assert.equal(S.v!.m.error_count, 5);
  });
});

describe('pattern matching', () => {
  it('contains or starts with a string, or is found by a RegExp', () => {
    assert.ok(matches(['bar'], 'includes', 'foobarbaz'));
    assert.ok(!matches(['bar'], 'startsWith', 'foobarbaz'));
    assert.ok(matches([/^foo/], 'startsWith', 'nope', 'foobar'), 'any of the strings');
    assert.ok(!matches(undefined, 'includes', 'x'));
    assert.ok(!matches([], 'includes', 'x'));
  });
});
