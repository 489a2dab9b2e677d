import './dom.js';
import './rrweb-dom.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInThisContext } from 'node:vm';
import { beforeEach, describe, it } from 'node:test';
import { reportError } from '../src/errors.js';
import { setConsent, startReplay } from '../src/index.js';
import { captureBase, replay, type ReplayHook } from '../src/replay.js';
import { S } from '../src/state.js';
import { resetTransport } from '../src/transport.js';
import type { Options } from '../src/types.js';
import { setup, view } from './harness.js';

// The core's side of replay: the decision and the loader (src/replay.ts).
const LOW = '00000001-0000-4000-8000-000000000000';
const g = globalThis as { __foveaReplay?: ReplayHook };
// The chunk URLs the core imported (through the hook's importer).
let loaded: string[] = [];
const scripts = () => loaded;


const page = (o: Partial<Options>, v = view({ sid: LOW })) => {
  setup(o, v);
  replay(0); // as startView does
};

describe('replay loader (core)', () => {
  beforeEach(() => {
    resetTransport();
    loaded = [];
    g.__foveaReplay = { i: (u) => (loaded.push(u), Promise.resolve()) };
  });

  it('loads fovea-replay.min.js from beside the core script for a picked session, once', () => {
    Object.defineProperty(document, 'currentScript', { configurable: true, value: { src: 'https://fovea.example/sdk/fovea.min.js?v=2' } });
    captureBase();
    Object.defineProperty(document, 'currentScript', { configurable: true, value: null });
    page({ replaySampleRate: 100 });
    replay(0);
    assert.deepEqual(scripts(), ['https://fovea.example/sdk/fovea-replay.min.js']);
    assert.equal(g.__foveaReplay!.S, S, 'the chunk gets the core state');
    assert.equal(typeof g.__foveaReplay!.f, 'function', 'and the fetch the SDK captured');
  });

  it('uses replayUrl when given', () => {
    page({ replayOnErrorSampleRate: 100, replayUrl: 'https://cdn.example/r.js' }, view({ sid: 'ffffffff-0000-4000-8000-000000000000' }));
    assert.deepEqual(scripts(), ['https://cdn.example/r.js']);
  });

  it('loads nothing for a session not picked, sampled out, or before consent', () => {
    page({ replaySampleRate: 0, replayUrl: '/r.js' });
    page({ replaySampleRate: 100, replayUrl: '/r.js' }, view({ sid: LOW, ss: false }));
    page({ replaySampleRate: 100, replayUrl: '/r.js', consent: 'pending' });
    assert.deepEqual(scripts(), []);
    setConsent('granted');
    assert.deepEqual(scripts(), ['/r.js'], 'a later grant loads it');
  });

  it('startReplay loads the chunk for any sampled-in session', () => {
    page({ replayUrl: '/r.js' });
    assert.deepEqual(scripts(), []);
    startReplay();
    assert.deepEqual(scripts(), ['/r.js']);
    assert.equal(g.__foveaReplay!.m, 1);
  });

  it('passes state changes and errors to the chunk once it registered', () => {
    page({ replaySampleRate: 100, replayUrl: '/r.js' });
    const got: number[] = [];
    g.__foveaReplay!.n = (k) => got.push(k);
    setConsent('denied');
    setConsent('granted');
    reportError('network', { name: 'HTTPError', message: 'GET /x 500' });
    assert.deepEqual(got, [0, 0, 1]);
    assert.equal(scripts().length, 1);
  });

  it('never throws into the page, even without a base URL', () => {
    S.o = undefined;
    setup({ replaySampleRate: 100 }, view({ sid: LOW }));
    Object.defineProperty(document, 'currentScript', { configurable: true, value: null });
    captureBase();
    assert.doesNotThrow(() => replay(0));
  });
});

describe('replay chunk in the npm build', () => {
  it('dist/index.js imports ./replay.js lazily; dist/replay.js keeps @rrweb/record as an import', () => {
    const core = readFileSync(new URL('../dist/index.js', import.meta.url), 'utf8');
    assert.match(core, /import\("\.\/replay\.js"\)/);
    assert.doesNotMatch(core, /rrweb/);
    const chunk = readFileSync(new URL('../dist/replay.js', import.meta.url), 'utf8');
    assert.match(chunk, /from "@rrweb\/record"/);
  });
});

describe('replay chunk, the script-tag build', () => {
  it('registers on the hook, records and uploads (dist/fovea-replay.min.js as built)', async () => {
    resetTransport();
    document.body.innerHTML = '<p>Hello</p><input value="typed-secret">';
    const bodies: string[] = [];
    const f = (async (url: string, init: RequestInit) => {
      if (url.includes('/api/v1/replay')) bodies.push(new TextDecoder().decode(await new Response((init.body as Blob).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer()));
      return new Response('{"accepted":1}', { status: 202 });
    }) as unknown as typeof fetch;
    setup({ replaySampleRate: 100 }, view({ sid: LOW }));
    g.__foveaReplay = { S, f };
    runInThisContext(readFileSync(new URL('../dist/fovea-replay.min.js', import.meta.url), 'utf8'));
    assert.equal(typeof g.__foveaReplay.n, 'function');
    g.__foveaReplay.m = 0; // as stopReplay: closes and sends the open segment
    g.__foveaReplay.n!(0);
    for (let i = 0; i < 50 && !bodies.length; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(bodies.length, 1);
    const b = JSON.parse(bodies[0]!);
    assert.equal(b.session_id, LOW);
    assert.deepEqual(b.events.slice(0, 2).map((e: { type: number }) => e.type), [4, 2]);
    assert.ok(bodies[0]!.includes('Hello') && !bodies[0]!.includes('typed-secret'));
  });
});
