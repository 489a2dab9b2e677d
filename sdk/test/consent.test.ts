import './dom.js';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { track } from '../src/emit.js';
import { flush, setConsent } from '../src/index.js';
import { persistSession, session } from '../src/session.js';
import { MAX_QUEUE, resetTransport } from '../src/transport.js';
import { events, sent, setup, view } from './harness.js';

const custom = (name: string) => track('action', { action_type: 'custom', name });
const cookie = () => document.cookie.match(/fovea_s=([^;]+)/)?.[1];

describe('consent', () => {
  beforeEach(() => {
    resetTransport();
    persistSession('denied');
  });

  it('buffers while pending and sends everything on grant', async () => {
    setup({ consent: 'pending' });
    custom('before');
    await flush();
    assert.equal(sent.length, 0, 'nothing leaves before consent');
    setConsent('granted');
    await flush();
    assert.deepEqual(
      events('action').map((e) => e.name),
      ['before'],
    );
  });

  it('bounds the buffer while pending', async () => {
    setup({ consent: 'pending' });
    for (let i = 0; i < MAX_QUEUE + 500; i++) custom(`a${i}`);
    setConsent('granted');
    await flush();
    const a = events('action');
    assert.equal(a.length, MAX_QUEUE);
    assert.equal(a.at(-1)!.name, `a${MAX_QUEUE + 499}`);
  });

  it('drops the buffer on deny and collects nothing after', async () => {
    setup({ consent: 'pending' });
    custom('before');
    setConsent('denied');
    custom('after');
    await flush();
    assert.equal(sent.length, 0);
    // granted later: only what happens from then on
    setConsent('granted');
    custom('later');
    await flush();
    assert.deepEqual(
      events('action').map((e) => e.name),
      ['later'],
    );
  });

  it('writes no cookie before consent and stores the session on grant', () => {
    setup({ consent: 'pending' });
    const s = session(true);
    assert.equal(cookie(), undefined);
    setConsent('granted');
    assert.equal(cookie()?.split('|')[0], s.id);
    setConsent('denied');
    assert.equal(cookie(), undefined);
  });
});

describe('sampling', () => {
  beforeEach(() => resetTransport());

  it('sends nothing at all for a sampled-out session', async () => {
    setup({}, view({ ss: false }));
    custom('x');
    await flush();
    assert.equal(sent.length, 0);
  });

  it('sends everything for a sampled-in session', async () => {
    setup({}, view({ ss: true }));
    custom('x');
    await flush();
    assert.equal(events('action').length, 1);
  });
});

describe('beforeSend', () => {
  beforeEach(() => resetTransport());

  it('can drop, change or keep events, and a throwing hook drops the event', async () => {
    setup({
      beforeSend: (e) => {
        if (e.name == 'drop') return false;
        if (e.name == 'throw') throw new Error('bug in hook');
        if (e.name == 'rename') return { ...e, name: 'renamed' };
        if (e.name == 'mutate') e.name = 'mutated';
        return undefined;
      },
    });
    for (const n of ['drop', 'throw', 'rename', 'mutate', 'keep']) custom(n);
    await flush();
    assert.deepEqual(
      events('action').map((e) => e.name),
      ['renamed', 'mutated', 'keep'],
    );
  });

  it('adds the global context and the event context as attrs', async () => {
    setup();
    const { setContext } = await import('../src/index.js');
    setContext('plan', 'pro');
    track('action', { action_type: 'custom', name: 'x', attrs: { items: 3 } });
    setContext('plan', undefined);
    track('action', { action_type: 'custom', name: 'y' });
    await flush();
    const [x, y] = events('action');
    assert.deepEqual(x!.attrs, { plan: 'pro', items: 3 });
    assert.equal(y!.attrs, undefined);
  });
});
