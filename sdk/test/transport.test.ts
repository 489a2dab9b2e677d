import { win } from './dom.js';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it, mock } from 'node:test';
import { emitView, track } from '../src/emit.js';
import { flush } from '../src/index.js';
import { beacon, clearQueue, idle, MAX_QUEUE, resetTransport } from '../src/transport.js';
import { answers, events, sent, settle, setup, view } from './harness.js';

const T0 = 1_764_100_000_000;
const custom = (i: number) => track('action', { action_type: 'custom', name: `a${i}` });
/** an error event of ~5 KB */
const big = (i: number) => track('error', { source: 'custom', message: `e${i} ` + 'x'.repeat(5000) });

/** Where a page left what it could not send (bodies without sent_at, one a line). */
const KEY = 'fovea_e_k1';
type Body = { events: Record<string, any>[]; [field: string]: any };
const stored = (): Body[] => (localStorage.getItem(KEY) || '').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const ids = (bodies: Body[]): string[] => bodies.flatMap((b) => b.events.map((e) => e.event_id));

/**
 * sendBeacon as browsers have it: one 64 KiB quota for the page's keepalive
 * requests in flight (which never finish here: the page is going away), and
 * false over it. Records what it accepted, and the bytes of every call.
 */
const beacons = (quota = 65536) => {
  const r = { accepted: [] as string[], tried: 0 };
  let used = 0;
  Object.defineProperty(navigator, 'sendBeacon', {
    value: (_: string, b: string) => {
      const n = Buffer.byteLength(b);
      r.tried += n;
      if (used + n > quota) return false;
      used += n;
      r.accepted.push(b);
      return true;
    },
    configurable: true,
  });
  return r;
};

describe('transport: batching and retry', () => {
  // Enabled once: Node 20's mock timers do not fire after a reset and re-enable.
  before(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 }));
  after(() => mock.timers.reset());
  let t0 = 0;
  beforeEach(() => {
    resetTransport();
    setup({ flushInterval: 1000 });
    localStorage.removeItem(KEY);
    t0 = Date.now();
  });

  it('sends a batch flushInterval after the first event: text/plain, keepalive, key in the URL; gzip over 8 KB', async () => {
    custom(1);
    custom(2);
    await settle();
    assert.equal(sent.length, 0, 'nothing before the interval');
    mock.timers.tick(1000);
    await idle();
    assert.equal(sent.length, 1);
    const [s] = sent;
    assert.equal(s!.url, 'https://fovea.example/api/v1/intake?key=k1');
    const h = s!.init.headers as Record<string, string>;
    assert.equal(h['Content-Type'], 'text/plain');
    assert.equal(h['Content-Encoding'], undefined, 'a small batch goes as it is');
    assert.equal(typeof s!.init.body, 'string');
    assert.equal(s!.init.keepalive, true);
    assert.equal(s!.init.method, 'POST');
    assert.equal(s!.body.sent_at, t0 + 1000);
    assert.deepEqual(s!.body.sdk, { name: 'fovea-browser', version: 'test' });
    assert.equal(s!.body.session.id, 'session-1');
    assert.deepEqual(
      events('action').map((e) => e.name),
      ['a1', 'a2'],
    );
    // every event: a UUID event_id, ts, session and view ids
    for (const e of s!.body.events) {
      assert.match(e.event_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(e.session_id, 'session-1');
      assert.equal(e.view_id, 'view-1');
      assert.equal(typeof e.ts, 'number');
    }
  });

  it('by default a batch waits 30 s, not 5: a page load sends once, as it is left', async () => {
    setup({ flushInterval: undefined });
    custom(1);
    await settle();
    mock.timers.tick(29_999);
    await settle();
    assert.equal(sent.length, 0, 'not at 5 s, nor before 30 s');
    mock.timers.tick(1);
    await idle();
    assert.equal(sent.length, 1);
  });

  it('sends at once when 50 events are waiting', async () => {
    for (let i = 0; i < 50; i++) custom(i);
    await idle();
    assert.equal(sent.length, 1);
    assert.equal(events('action').length, 50);
  });

  it('keeps a batch at 100 events and ~60 KB', async () => {
    const big = 'x'.repeat(5000);
    for (let i = 0; i < 30; i++) track('error', { source: 'custom', message: big });
    await flush();
    assert.ok(sent.length >= 3, `30 events of 5 KB go in ${sent.length} requests`);
    assert.equal(events('error').length, 30);
  });

  it('collapses unsent view updates into one version, serialised when the batch leaves', async () => {
    emitView();
    emitView();
    emitView();
    await flush();
    assert.deepEqual(events('view').map((v) => v.version), [1]);
    emitView();
    await flush();
    assert.deepEqual(events('view').map((v) => v.version), [1, 2]);
  });

  it('gzips a batch over 8 KB', async () => {
    for (let i = 0; i < 3; i++) big(i);
    await flush();
    const h = sent[0]!.init.headers as Record<string, string>;
    assert.equal(h['Content-Encoding'], 'gzip');
    assert.equal(events('error').length, 3);
  });

  // Regression: without CompressionStream a batch went as a string, and its characters, not its UTF-8 bytes, were held against the keepalive quota.
  it('without CompressionStream, a batch over 64 KiB of UTF-8 goes without keepalive', async () => {
    const cs = globalThis.CompressionStream;
    (globalThis as { CompressionStream?: unknown }).CompressionStream = undefined;
    try {
      track('error', { message: 'é'.repeat(30000) }); // 30 000 characters, 60 000 bytes
      track('error', { message: 'é'.repeat(10000) });
      await flush();
    } finally {
      globalThis.CompressionStream = cs;
    }
    assert.equal((sent[0]!.init.headers as Record<string, string>)['Content-Encoding'], undefined);
    assert.equal(sent[0]!.init.keepalive, false);
  });

  it('honours 429 Retry-After and re-sends the same event ids', async () => {
    answers.push(() => new Response('{"error":"rate_limited"}', { status: 429, headers: { 'Retry-After': '7' } }));
    custom(1);
    custom(2);
    await flush();
    assert.equal(sent.length, 1);
    const first = sent[0]!.body.events.map((e) => e.event_id);
    mock.timers.tick(6900);
    await idle();
    assert.equal(sent.length, 1, 'no retry before Retry-After');
    mock.timers.tick(200);
    await idle();
    assert.equal(sent.length, 2, 'retried after Retry-After');
    assert.deepEqual(sent[1]!.body.events.map((e) => e.event_id), first);
    assert.equal(sent[1]!.body.sent_at, t0 + 7100, 'sent_at is the time of this attempt');
  });

  it('backs off exponentially on 5xx and network failures', async () => {
    answers.push(
      () => new Response('', { status: 503 }),
      () => {
        throw new TypeError('Failed to fetch');
      },
    );
    custom(1);
    await flush();
    assert.equal(sent.length, 1);
    mock.timers.tick(1000); // first retry within 0.5-1 s
    await idle();
    assert.equal(sent.length, 2);
    mock.timers.tick(900);
    await idle();
    assert.equal(sent.length, 2, 'second retry waits 1-2 s');
    mock.timers.tick(1100);
    await idle();
    assert.equal(sent.length, 3);
    assert.equal(events('action').length, 3, 'the same event each time');
    assert.equal(new Set(events('action').map((e) => e.event_id)).size, 1);
  });

  it('drops a batch the server refuses for good (400, 401, 403, 413)', async () => {
    answers.push(() => new Response('{"error":"invalid_event"}', { status: 400 }));
    custom(1);
    await flush();
    custom(2);
    await flush();
    assert.deepEqual(
      events('action').map((e) => e.name),
      ['a1', 'a2'],
    );
  });

  it('bounds the queue while the server is down', async () => {
    for (let i = 0; i < 3; i++) answers.push(() => new Response('', { status: 500, headers: { 'Retry-After': '60' } }));
    custom(0);
    await flush(); // fails: backoff for 60 s
    for (let i = 1; i <= 3000; i++) custom(i);
    await idle();
    answers.length = 0;
    mock.timers.tick(60000);
    await idle();
    await flush();
    const names = sent.slice(1).flatMap((s) => s.body.events).filter((e) => e.type == 'action');
    assert.equal(names.length, MAX_QUEUE + 1, 'the failed batch, then at most MAX_QUEUE events of the queue');
    assert.equal(names[0]!.name, 'a0', 'the failed batch is retried first');
    assert.equal(names.at(-1)!.name, 'a3000', 'the newest are kept');
  });

  it('sends everything with sendBeacon, uncompressed, when the page is left', () => {
    const calls: [string, string][] = [];
    Object.defineProperty(navigator, 'sendBeacon', {
      value: (u: string, b: string) => (calls.push([u, b]), true),
      configurable: true,
    });
    custom(1);
    emitView();
    beacon();
    assert.equal(calls.length, 1);
    assert.equal(calls[0]![0], 'https://fovea.example/api/v1/intake?key=k1');
    const body = JSON.parse(calls[0]![1]);
    assert.deepEqual(
      body.events.map((e: { type: string }) => e.type),
      ['action', 'view'],
    );
    assert.equal(sent.length, 0);
  });

  it('the batch being compressed at pagehide was lost: it is beaconed', async () => {
    const calls: string[] = [];
    Object.defineProperty(navigator, 'sendBeacon', {
      value: (_: string, b: string) => (calls.push(b), true),
      configurable: true,
    });
    for (let i = 0; i < 60; i++) custom(i); // the 50th starts a send
    await Promise.resolve();
    await Promise.resolve(); // the batch is taken, and being gzipped
    beacon();
    const names = calls.flatMap((b) => JSON.parse(b).events).filter((e: { type: string }) => e.type == 'action');
    assert.equal(new Set(names.map((e: { name: string }) => e.name)).size, 60, 'all 60 actions leave with the beacon');
    await idle();
  });

  it('the batches after the first at pagehide were dropped: a 200 KB burst beacons at most 64 KB and stores the rest', async () => {
    const b = beacons();
    for (let i = 0; i < 40; i++) big(i);
    beacon(); // visibilitychange to hidden
    assert.ok(b.accepted.length >= 1, 'the first batch goes');
    assert.ok(b.tried <= 64000, `${b.tried} bytes handed to sendBeacon: over the keepalive quota`);
    const beaconed: Body[] = b.accepted.map((x) => JSON.parse(x));
    const kept = stored();
    assert.ok(kept.length >= 1, 'the rest is stored');
    for (const k of kept) {
      assert.equal(k.sent_at, undefined, 'sent_at is set when it is sent');
      assert.equal(k.session.id, 'session-1');
    }
    const all = [...ids(beaconed), ...ids(kept)];
    assert.equal(all.length, 41, '40 errors and the view, each once');
    assert.equal(new Set(all).size, 41);

    // pagehide right after: the quota is still taken by the first beacons
    beacon();
    assert.equal(b.accepted.length, beaconed.length, 'nothing more beaconed within the same leave');
    assert.deepEqual(ids(stored()).sort(), ids(kept).sort(), 'still stored, once');
    await settle();
    assert.equal(sent.length, 0, 'a send starting during the leave does not take them out of storage');
  });

  it('the next page sends the stored batches under their own session, with a new sent_at, and deletes them', async () => {
    beacons(0); // every beacon refused (the quota taken by other requests)
    custom(1);
    big(2);
    emitView();
    beacon();
    const kept = stored();
    assert.ok(kept.length >= 1);
    const before = kept.flatMap((k) => k.events);
    assert.equal(before.length, 3);

    // the next page: a fresh SDK on the same storage, in a new session, a minute later
    resetTransport();
    setup({}, view({ id: 'view-2', sid: 'session-2' }));
    mock.timers.tick(60_000);
    custom(3);
    await flush();
    assert.equal(localStorage.getItem(KEY), null, 'deleted once taken');
    const old = sent.filter((s) => s.body.session.id == 'session-1');
    assert.equal(old.length, kept.length, 'one request a stored batch');
    for (const s of old) assert.equal(s.body.sent_at, t0 + 60_000, 'sent_at of the send, for the clock skew');
    assert.deepEqual(
      old.flatMap((s) => s.body.events),
      before,
      'the same events: ids, ts and session as when they were collected',
    );
    const now = sent.filter((s) => s.body.session.id == 'session-2').flatMap((s) => s.body.events);
    assert.deepEqual(
      now.filter((e) => e.type == 'action').map((e) => e.name),
      ['a3'],
    );
  });

  it('what failed offline is stored when the page is left, and the next page sends it with the same event ids', async () => {
    answers.push(() => {
      throw new TypeError('Failed to fetch');
    });
    custom(1);
    await flush();
    assert.equal(sent.length, 1);
    const first = sent[0]!.body.events.map((e) => e.event_id);
    const b = beacons();
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
    try {
      beacon();
    } finally {
      delete (navigator as { onLine?: boolean }).onLine;
    }
    assert.equal(b.tried, 0, 'offline, a beacon would be accepted and lost');
    assert.deepEqual(ids(stored()), first);

    resetTransport();
    setup({}, view({ id: 'view-2', sid: 'session-2' }));
    await flush();
    assert.deepEqual(sent.flatMap((s) => s.body.events).map((e) => e.event_id), first);
  });

  it('stores at most ~1 MB, the newest', async () => {
    beacons(0);
    for (let i = 0; i < 300; i++) big(i); // 1.5 MB
    beacon();
    const raw = localStorage.getItem(KEY)!;
    assert.ok(raw.length <= 1_000_100, `${raw.length} characters stored`);
    const names = stored()
      .flatMap((k) => k.events)
      .filter((e) => e.type == 'error')
      .map((e) => +e.message.split(' ')[0].slice(1));
    assert.ok(names.length > 150 && names.length < 200, `${names.length} errors kept`);
    assert.equal(names.at(-1), 299, 'the newest are kept');
    assert.equal(names[0], 300 - names.length, 'the oldest dropped');
    await settle();
    assert.equal(sent.length, 0);
  });

  it('sends at once when the browser is back online, not at the end of the backoff', async () => {
    answers.push(() => {
      throw new TypeError('Failed to fetch');
    });
    custom(1);
    await flush();
    assert.equal(sent.length, 1);
    mock.timers.tick(200); // the backoff is at least 500 ms
    await idle();
    assert.equal(sent.length, 1);
    win.dispatchEvent(new win.Event('online'));
    await idle();
    assert.equal(sent.length, 2);
    assert.equal(sent[1]!.body.events[0]!.event_id, sent[0]!.body.events[0]!.event_id);
  });

  it('stores nothing without consent, and deletes what is stored when consent is denied', () => {
    const b = beacons(0);
    setup({ consent: 'pending' });
    custom(1);
    beacon();
    assert.equal(b.tried, 0);
    assert.equal(localStorage.getItem(KEY), null, 'pending: nothing stored');

    setup();
    custom(2);
    beacon();
    assert.ok(localStorage.getItem(KEY));
    clearQueue(); // what setConsent('denied') and optOut() do
    assert.equal(localStorage.getItem(KEY), null);
  });
});
