import './dom.js';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it, mock } from 'node:test';
import { emitView, track } from '../src/emit.js';
import { flush } from '../src/index.js';
import { beacon, idle, MAX_QUEUE, resetTransport } from '../src/transport.js';
import { answers, events, sent, settle, setup } from './harness.js';

const T0 = 1_764_100_000_000;
const custom = (i: number) => track('action', { action_type: 'custom', name: `a${i}` });

describe('transport: batching and retry', () => {
  // Enabled once: Node 20's mock timers do not fire after a reset and re-enable.
  before(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 }));
  after(() => mock.timers.reset());
  let t0 = 0;
  beforeEach(() => {
    resetTransport();
    setup({ flushInterval: 1000 });
    t0 = Date.now();
  });

  it('sends a batch flushInterval after the first event: gzip, text/plain, keepalive, key in the URL', async () => {
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
    assert.equal(h['Content-Encoding'], 'gzip');
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

  it('collapses unsent view updates to the latest version', async () => {
    emitView();
    emitView();
    emitView();
    await flush();
    const v = events('view');
    assert.equal(v.length, 1);
    assert.equal(v[0]!.version, 3);
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
    assert.equal(names.length, MAX_QUEUE, 'at most MAX_QUEUE events survive');
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
});
