// Resource Timing in the deferred chunk: entries become resource events, at
// most MAX_RESOURCES_PER_VIEW a view.
import './dom.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeferredHook } from '../src/deferred.js';
import { track } from '../src/emit.js';
import { flush } from '../src/index.js';
import { S, scrub } from '../src/state.js';
import { events, setup, view } from './harness.js';

let emit: (entries: unknown[]) => void = () => undefined;
class FakeObserver {
  static supportedEntryTypes = ['resource'];
  constructor(private cb: (l: { getEntries: () => unknown[] }) => void) {}
  observe() {
    emit = (es) => this.cb({ getEntries: () => es });
  }
  disconnect() {}
}
(globalThis as { PerformanceObserver: unknown }).PerformanceObserver = FakeObserver;

const entry = (i: number) => ({
  name: `https://cdn.shop.example/img/${i}.png`,
  initiatorType: 'img',
  startTime: 10 + i,
  duration: 5,
  fetchStart: 10 + i,
  responseEnd: 15 + i,
});

describe('resource events', () => {
  it('are capped per view: the first ones of each view are sent', async () => {
    setup();
    (globalThis as { __foveaDeferred?: DeferredHook }).__foveaDeferred = { S, t: track, s: scrub, n: 0 };
    const { initResources, MAX_RESOURCES_PER_VIEW } = await import('../src/deferred/resources.js');
    initResources();
    emit(Array.from({ length: MAX_RESOURCES_PER_VIEW + 50 }, (_, i) => entry(i)));
    await flush();
    const first = events('resource');
    assert.equal(first.length, MAX_RESOURCES_PER_VIEW);
    assert.equal(first[0]!.resource_url, 'https://cdn.shop.example/img/0.png');
    S.v = view({ id: 'view-2' });
    emit([entry(1000), entry(1001)]);
    await flush();
    assert.equal(events('resource').length, MAX_RESOURCES_PER_VIEW + 2, 'a new view starts a new count');
  });
});
