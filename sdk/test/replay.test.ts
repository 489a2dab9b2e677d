import './dom.js';
import './clock.js';
import './rrweb-dom.js';
import assert from 'node:assert/strict';
import { beforeEach, describe, it, mock } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { reportError } from '../src/errors.js';
import { setConsent } from '../src/index.js';
import { replayMode } from '../src/lib/replayMode.js';
import type { ReplayHook } from '../src/replay.js';
import { attach, CHECKOUT_MS, MAX_SEGMENT, resetRecorder, SEGMENT_MS } from '../src/replay/recorder.js';
import { MAX_STORED, resetStoreMemory } from '../src/replay/store.js';
import { idle, KEEPALIVE, resetUpload, waiting } from '../src/replay/upload.js';
import { S } from '../src/state.js';
import { initTransport, resetTransport } from '../src/transport.js';
import type { Options } from '../src/types.js';
import { win } from './dom.js';
import { settle, setup, view } from './harness.js';

// Session ids whose replay decision is known: their bucket (lib/bucket.ts),
// compared with the rates (lib/replayMode.ts), is 474 and 8931 of 10 000.
const LOW = '00000001-0000-4000-8000-000000000000';
const HIGH = 'fffffff0-0000-4000-8000-000000000000';

interface Upload {
  url: string;
  init: RequestInit;
  gz: boolean;
  body: { v: number; session_id: string; view_id?: string; index: number; start: number; end: number; count: number; full_snapshot: boolean; sent_at: number; events: { type: number; timestamp: number }[] };
}
const uploads: Upload[] = [];
const answers: (() => Response | Promise<Response>)[] = [];
const beacons: { url: string; size: number; body: Upload['body'] }[] = [];
let beaconOk = true;

/**
 * The page's fetch as the SDK captured it: records replay uploads (gzip
 * sniffed by its magic bytes, as the server does). Like the browser's, it
 * refuses to be called as a method of another object: the chunk once called
 * it as `hook.f(...)` and every upload failed with "Illegal invocation".
 */
const fetchFake = async function (this: unknown, url: string, init: RequestInit) {
  if (this !== undefined && this !== globalThis) throw new TypeError("Failed to execute 'fetch' on 'Window': Illegal invocation");
  if (url.includes('/api/v1/replay')) {
    const raw = Buffer.from(await (init.body as Blob).arrayBuffer());
    const gz = raw[0] == 0x1f && raw[1] == 0x8b;
    uploads.push({ url, init, gz, body: JSON.parse((gz ? gunzipSync(raw) : raw).toString()) });
    const a = answers.shift();
    if (a) return a();
  }
  return new Response('{"accepted":1}', { status: 202 });
} as unknown as typeof fetch;

Object.defineProperty(navigator, 'sendBeacon', {
  configurable: true,
  value: (url: string, b: Blob) => {
    if (!beaconOk) return false;
    // Blob text is asynchronous; the body is JSON text, read it back in the test
    void b.text().then((t) => beacons.push({ url, size: b.size, body: JSON.parse(t) }));
    return true;
  },
});

const hook = (): ReplayHook => (globalThis as { __foveaReplay?: ReplayHook }).__foveaReplay!;

/** A page of a session with `o` set, the chunk attached as the core would after loading it. */
const page = (o: Partial<Options>, sid = LOW, consent?: 'pending') => {
  setup({ ...o, consent }, view({ sid, id: 'view-1' }));
  initTransport(fetchFake);
  const h: ReplayHook = { S, f: fetchFake };
  (globalThis as { __foveaReplay?: ReplayHook }).__foveaReplay = h;
  attach(h);
  return h;
};

/** Leaves the page (pagehide) and forgets all module state, as a full page load does; storage stays. */
const reload = () => {
  window.dispatchEvent(new win.Event('pagehide') as unknown as Event);
  resetRecorder();
  resetUpload();
  resetStoreMemory();
};

const mutate = async (text = 'changed') => {
  const p = document.createElement('p');
  p.textContent = text;
  document.body.append(p);
  await new Promise((r) => setImmediate(r)); // MutationObserver records (a microtask in happy-dom)
};

const sent = async () => {
  await idle();
  await settle();
  await idle();
};

beforeEach(() => {
  resetRecorder();
  resetUpload();
  resetTransport();
  resetStoreMemory();
  localStorage.clear();
  sessionStorage.clear();
  uploads.length = answers.length = beacons.length = 0;
  beaconOk = true;
  document.body.innerHTML = '<h1>Shop</h1><input id="q">';
});

describe('replay: sampling decision', () => {
  it('is stable for a session and follows the rates', () => {
    const o = { replaySampleRate: 10, replayOnErrorSampleRate: 50 } as Options;
    const n = 20000;
    const count = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const v = view({ sid: crypto.randomUUID() });
      const m = replayMode(v, o);
      assert.equal(replayMode(v, o), m, 'same session, same decision');
      count[m]!++;
    }
    assert.ok(Math.abs(count[1]! / n - 0.1) < 0.015, `full ${count[1]}`);
    assert.ok(Math.abs(count[2]! / n - 0.45) < 0.02, `on-error ${count[2]} (50 % of the other 90 %)`);
    assert.equal(replayMode(view({ sid: LOW }), {} as Options), 0, 'default: no replay');
    assert.equal(replayMode(view({ sid: HIGH }), { replaySampleRate: 100 } as Options), 1);
    assert.equal(replayMode(view({ sid: 'not-a-uuid' }), { replaySampleRate: 100 } as Options), 1, 'any id has a bucket');
    // the shared bucket: LOW (474) is recorded at 4.75 %, not at 4.74 %
    assert.equal(replayMode(view({ sid: LOW }), { replaySampleRate: 4.75 } as Options), 1);
    assert.equal(replayMode(view({ sid: LOW }), { replaySampleRate: 4.74 } as Options), 0);
  });

  it("takes the lower of the page's replaySampleRate and the server rule's replay_rate", () => {
    const o = { replaySampleRate: 100 } as Options;
    assert.equal(replayMode(view({ sid: LOW, rr: 5 }), o), 1, 'bucket 474 < 500');
    assert.equal(replayMode(view({ sid: LOW, rr: 4 }), o), 0, 'bucket 474 >= 400');
    assert.equal(replayMode(view({ sid: LOW, rr: 50 }), { replaySampleRate: 1 } as Options), 0, 'the page caps the rule');
    assert.equal(replayMode(view({ sid: LOW, rr: 0 }), o), 0, 'a rule without replay');
  });
});

describe('replay: segments', () => {
  it('uploads a segment every 5 s: gzip, text/plain without Content-Encoding, keepalive, the intake body', async () => {
    page({ replaySampleRate: 100 });
    await mutate();
    await sent();
    assert.equal(uploads.length, 0, 'nothing before the interval');
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.equal(uploads.length, 1);
    const [u] = uploads;
    assert.equal(u!.url, 'https://fovea.example/api/v1/replay?key=k1');
    assert.ok(u!.gz, 'gzip magic bytes');
    assert.deepEqual(u!.init.headers, { 'Content-Type': 'text/plain' });
    assert.equal(u!.init.keepalive, true);
    assert.equal(u!.init.credentials, 'omit');
    const b = u!.body;
    assert.equal(b.v, 1);
    assert.equal(b.session_id, LOW);
    assert.equal(b.view_id, 'view-1');
    assert.equal(b.index, 0);
    assert.deepEqual(b.events.slice(0, 2).map((e) => e.type), [4, 2], 'a page starts with Meta and a full snapshot');
    assert.equal(b.full_snapshot, true);
    assert.equal(b.count, b.events.length);
    assert.equal(b.start, b.events[0]!.timestamp);
    assert.equal(b.end, b.events.at(-1)!.timestamp);
    assert.equal(b.sent_at, Date.now());
    assert.ok(b.events.some((e) => e.type == 3), 'the mutation');
  });

  it('closes a segment at the size cap', async () => {
    page({ replaySampleRate: 100 });
    const big = 'x'.repeat(MAX_SEGMENT / 3);
    for (let i = 0; i < 4; i++) await mutate(big);
    await sent();
    assert.equal(uploads.length, 1, 'one segment full before 5 s');
    assert.ok(JSON.stringify(uploads[0]!.body.events).length <= MAX_SEGMENT + 1000);
    assert.equal(uploads[0]!.init.keepalive, true, 'gzipped under the keepalive budget');
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.deepEqual(uploads.map((u) => u.body.index), [0, 1]);
  });

  it('retries 429/5xx/network failures with the same index', async () => {
    page({ replaySampleRate: 100 });
    answers.push(() => new Response('', { status: 503, headers: { 'Retry-After': '2' } }));
    answers.push(() => Promise.reject(new TypeError('offline')));
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.equal(uploads.length, 1);
    mock.timers.tick(2000);
    await sent();
    assert.equal(uploads.length, 2);
    mock.timers.tick(60000);
    await sent();
    assert.deepEqual(uploads.map((u) => u.body.index), [0, 0, 0]);
    assert.equal(waiting().length, 0);
  });

  it('numbers segments on across page loads of the session, each page starting with a full snapshot', async () => {
    page({ replaySampleRate: 100 });
    mock.timers.tick(SEGMENT_MS);
    await sent();
    reload();
    page({ replaySampleRate: 100 });
    mock.timers.tick(SEGMENT_MS);
    await sent();
    const b = uploads.at(-1)!.body;
    assert.equal(b.index, 1);
    assert.equal(b.events[1]!.type, 2);
    // a new session starts again from 0
    reload();
    page({ replaySampleRate: 100 }, '00000002-0000-4000-8000-000000000000');
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.equal(uploads.at(-1)!.body.index, 0);
  });
});

describe('replay: leaving the page', () => {
  it('beacons what fits the keepalive budget and keeps the rest for the next page', async () => {
    page({ replaySampleRate: 100 });
    // the server is unreachable: segments pile up
    for (let i = 0; i < 20; i++) answers.push(() => Promise.reject(new TypeError('offline')));
    for (let i = 0; i < 4; i++) {
      await mutate('y'.repeat(25000) + i);
      mock.timers.tick(SEGMENT_MS);
      await sent();
    }
    assert.ok(waiting().length >= 3);
    window.dispatchEvent(new win.Event('pagehide') as unknown as Event);
    await settle();
    assert.ok(beacons.length >= 1, 'some segments beaconed');
    assert.ok(beacons.reduce((a, b) => a + b.size, 0) <= KEEPALIVE, 'within the keepalive budget');
    assert.ok(beacons.every((b) => b.url.endsWith('/api/v1/replay?key=k1')));
    const stored = JSON.parse(sessionStorage.getItem('fovea_r')!) as { i: number }[];
    const beaconed = beacons.map((b) => b.body.index);
    assert.ok(stored.length > beaconed.length, 'what did not fit is stored');
    assert.ok(
      beaconed.every((i) => stored.some((g) => g.i == i)),
      'a beaconed segment is stored too (a beacon is not an acknowledgement): the next page sends it again',
    );
  });

  it('beacons the segment in flight when the page is left: its fetch may die with the page', async () => {
    page({ replaySampleRate: 100 });
    // the upload never answers, as when the page goes before compression and fetch are done
    answers.push(() => new Promise<Response>(() => undefined));
    mock.timers.tick(SEGMENT_MS);
    await settle();
    assert.equal(waiting().length, 1);
    window.dispatchEvent(new win.Event('pagehide') as unknown as Event);
    await settle();
    assert.deepEqual(beacons.map((b) => b.body.index), [0], 'the last page of a session reaches the server');
    const stored = JSON.parse(sessionStorage.getItem('fovea_r')!) as { i: number }[];
    assert.deepEqual(stored.map((g) => g.i), [0], 'and a next page would send it again');
  });

  it('sends an unacknowledged segment from the next page of the tab', async () => {
    page({ replaySampleRate: 100 });
    answers.push(() => new Response('', { status: 500 }));
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.equal(uploads.length, 1);
    beaconOk = false; // e.g. over the browser's budget
    reload();
    assert.ok(sessionStorage.getItem('fovea_r'));
    uploads.length = 0;
    page({ replaySampleRate: 100 });
    await sent();
    assert.deepEqual(uploads.map((u) => u.body.index), [0], 'the stored segment, same index');
    assert.equal(sessionStorage.getItem('fovea_r'), null);
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.deepEqual(uploads.map((u) => u.body.index), [0, 1], 'this page goes on from the next index');
    assert.equal(uploads.at(-1)!.body.events[1]!.type, 2);
  });

  it('bounds what is stored, dropping the oldest', async () => {
    page({ replaySampleRate: 100 });
    for (let i = 0; i < 30; i++) answers.push(() => new Response('', { status: 503, headers: { 'Retry-After': '3600' } }));
    for (let i = 0; i < 6; i++) {
      await mutate('z'.repeat(MAX_SEGMENT - 2000) + i);
      mock.timers.tick(SEGMENT_MS);
    }
    await sent();
    beaconOk = false;
    window.dispatchEvent(new win.Event('pagehide') as unknown as Event);
    const stored = JSON.parse(sessionStorage.getItem('fovea_r')!) as { i: number; e: string }[];
    assert.ok(stored.reduce((a, g) => a + g.e.length, 0) <= MAX_STORED);
    assert.equal(stored.at(-1)!.i, Math.max(...waiting().map((g) => g.i)), 'the newest kept');
    assert.ok(stored[0]!.i > 0, 'the oldest dropped');
  });
});

describe('replay: on-error buffer', () => {
  it('keeps only the last 60 s, uploads nothing before an error, everything once one happens, then records on', async () => {
    const h = page({ replayOnErrorSampleRate: 100 }, HIGH);
    // the page changes every second for 200 s
    for (let t = 1; t <= 200; t++) {
      mock.timers.tick(1000);
      await mutate(`t${t}`);
    }
    await sent();
    assert.equal(uploads.length, 0, 'nothing before an error');
    assert.equal(h, hook());
    reportError('source', new TypeError('boom')); // any error of the core
    await sent();
    assert.ok(uploads.length >= 1, 'uploaded on error');
    const ev = uploads.flatMap((u) => u.body.events);
    assert.deepEqual(ev.slice(0, 2).map((e) => e.type), [4, 2], 'starts with a full snapshot');
    const span = ev.at(-1)!.timestamp - ev[0]!.timestamp;
    assert.ok(span <= 2 * CHECKOUT_MS && span >= CHECKOUT_MS, `buffer spans ${span} ms`);
    assert.ok(ev.every((e) => e.timestamp >= Date.now() - 2 * CHECKOUT_MS - 1000));
    assert.equal(uploads[0]!.body.session_id, HIGH);
    assert.match(localStorage.getItem('fovea_r')!, /\|1$/, 'the session is recorded in full from now on');
    // recording goes on normally
    const n = uploads.length;
    await mutate();
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.equal(uploads.length, n + 1);
    assert.equal(uploads.at(-1)!.body.index, n);
    // and on the next page of the session too
    reload();
    page({ replayOnErrorSampleRate: 100 }, HIGH);
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.equal(uploads.at(-1)!.body.index, n + 1);
  });
});

describe('replay: consent and manual control', () => {
  it('records nothing while pending, starts on grant, stops and drops everything on deny', async () => {
    page({ replaySampleRate: 100 }, LOW, 'pending');
    await mutate();
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.equal(uploads.length, 0);
    setConsent('granted');
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.equal(uploads.length, 1);
    assert.equal(uploads[0]!.body.events[1]!.type, 2);
    answers.push(() => new Response('', { status: 503, headers: { 'Retry-After': '3600' } }));
    await mutate();
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.equal(waiting().length, 1);
    setConsent('denied');
    assert.equal(waiting().length, 0, 'unsent segments dropped');
    assert.equal(localStorage.getItem('fovea_r'), null);
    assert.equal(sessionStorage.getItem('fovea_r'), null);
    await mutate();
    mock.timers.tick(3600_000);
    await sent();
    assert.equal(uploads.length, 2, 'nothing more');
  });

  it('startReplay records a session the sampling left out; stopReplay stops and sends what was recorded', async () => {
    const { startReplay, stopReplay } = await import('../src/index.js');
    page({});
    await mutate();
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.equal(uploads.length, 0);
    startReplay();
    await mutate('after start');
    stopReplay();
    await sent();
    assert.equal(uploads.length, 1, 'stop closes the open segment');
    assert.ok(JSON.stringify(uploads[0]!.body.events).includes('after start'));
    await mutate();
    mock.timers.tick(SEGMENT_MS);
    await sent();
    assert.equal(uploads.length, 1);
  });
});
