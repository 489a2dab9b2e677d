// CLS and INP per view, and the route change duration (the deferred
// chunk's deferred/viewVitals.ts): entries go to the view they happened in,
// and every view starts from zero.
import './dom.js';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { DeferredHook } from '../src/deferred.js';
import { setView, track } from '../src/emit.js';
import { flush } from '../src/index.js';
import { S, scrub } from '../src/state.js';
import { events, settle, setup, view } from './harness.js';

const observers: Record<string, ((entries: unknown[]) => void)[]> = {};
class FakeObserver {
  static supportedEntryTypes = ['layout-shift', 'event', 'first-input'];
  constructor(private cb: (l: { getEntries: () => unknown[] }) => void) {}
  observe(o: { type: string }) {
    (observers[o.type] ||= []).push((es) => this.cb({ getEntries: () => es }));
  }
  disconnect() {}
}
(globalThis as { PerformanceObserver: unknown }).PerformanceObserver = FakeObserver;
(globalThis as { requestAnimationFrame: unknown }).requestAnimationFrame = (cb: (t: number) => void) => setTimeout(() => cb(performance.now()), 16);

const emit = (type: string, entries: Record<string, unknown>[]) => {
  for (const o of observers[type] || []) o(entries.map((e) => ({ entryType: type, ...e })));
};
const shift = (startTime: number, value: number, sources: unknown[] = [], hadRecentInput = false) =>
  emit('layout-shift', [{ startTime, value, sources, hadRecentInput }]);
/** An interaction of `duration` ms starting at `start`: 10 ms input delay, `work` ms of handlers. */
const interaction = (id: number, start: number, duration: number, work: number, target: Node | null = null, name = 'pointerdown') =>
  emit('event', [{ name, interactionId: id, startTime: start, duration, processingStart: start + 10, processingEnd: start + 10 + work, target }]);

/** The latest version of each view, by id. */
const latest = async () => {
  await flush();
  const out: Record<string, Record<string, any>> = {};
  for (const e of events('view')) out[e.view_id] = e;
  return out;
};

// A page loaded 0 ms after the time origin, and a route change 5 s later.
const t0 = performance.timeOrigin;
const page = view({ id: 'page', s: t0 });
const route = view({ id: 'route', s: t0 + 5000, lt: 'route_change' });

describe('per-view CLS and INP', () => {
  before(async () => {
    document.body.innerHTML = '<main id="m"><button class="buy">Buy</button><div class="modal"><a class="close">x</a></div></main>';
    setup({}, page);
    (globalThis as { __foveaDeferred?: DeferredHook }).__foveaDeferred = { S, t: track, s: scrub, n: 0, u: setView, f: () => 0 };
    const { initViewVitals } = await import('../src/deferred/viewVitals.js');
    initViewVitals();
  });

  it('a view starts with CLS 0 where layout shifts are observable', async () => {
    assert.equal((await latest()).page!.cls, 0);
  });

  it('counts the largest session window and names its largest shift, even once the node is gone', async () => {
    const btn = document.querySelector('.buy')!;
    const modal = document.querySelector('.modal')!;
    shift(100, 0.05, [{ node: modal }]);
    shift(300, 0.2, [{ node: document.createTextNode('x') }, { node: btn }]);
    shift(400, 0.3, [{ node: modal }], true); // right after an input: not counted
    shift(3000, 0.1, [{ node: modal }]); // a window of its own, smaller
    const v = (await latest()).page!;
    assert.equal(v.cls, 0.25);
    assert.equal(v.cls_target, '#m>button.buy', 'as web-vitals names it');
  });

  it("a route change after a layout shift and a slow interaction gets its own, smaller CLS and INP", async () => {
    const btn = document.querySelector('.buy')!;
    interaction(1, 1000, 400, 300, btn);
    S.r.push(route);
    S.v = route;
    (globalThis as { __foveaDeferred?: DeferredHook }).__foveaDeferred!.w!(route);
    shift(5200, 0.02, [{ node: btn }]);
    interaction(2, 6000, 88, 40, btn);
    interaction(2, 6000, 96, 50, btn, 'click'); // the same interaction's click: one interaction, the longest entry
    const all = await latest();
    assert.deepEqual([all.page!.cls, all.page!.inp], [0.25, 400]);
    const r = all.route!;
    assert.deepEqual([r.cls, r.inp, r.inp_type, r.inp_target], [0.02, 96, 'pointer', 'main#m>button.buy']);
    assert.deepEqual([r.inp_input_delay, r.inp_processing, r.inp_presentation], [10, 50, 36]);
    assert.equal(r.inp_input_delay + r.inp_processing + r.inp_presentation, r.inp, 'the phases add up to the INP');
  });

  // Regression: handlers ending past the browser's 8 ms-rounded duration gave a negative presentation delay (dropped by the server).
  it('INP phases are never negative and still add up when processing ends after the rounded duration', async () => {
    const v = view({ id: 'rounded', s: t0 + 20000, lt: 'route_change' });
    S.r.push(v);
    S.v = v;
    interaction(4, 21000, 352, 343); // processing ends at 353 ms, the duration says 352
    const r = (await latest()).rounded!;
    assert.deepEqual([r.inp, r.inp_input_delay, r.inp_processing, r.inp_presentation], [352, 10, 342, 0]);
  });

  it('names the target of an interaction that removed it (a menu, a modal) from the input', async () => {
    const close = document.querySelector('.close')!;
    // a view started now: the input's real time stamp falls in it
    const v = view({ id: 'modal', s: performance.timeOrigin + performance.now() - 1, lt: 'route_change' });
    S.r.push(v);
    S.v = v;
    // the core's activity listener (views.ts) hands every pointerdown to the chunk
    const hook = (globalThis as { __foveaDeferred?: DeferredHook }).__foveaDeferred!;
    let at = 0;
    window.addEventListener(
      'pointerdown',
      (e) => {
        at = e.timeStamp;
        hook.p!(e);
      },
      { once: true },
    );
    close.dispatchEvent(new window.PointerEvent('pointerdown', { bubbles: true }) as unknown as Event);
    document.querySelector('.modal')!.remove();
    // the entry comes after the next paint, its target gone
    interaction(3, at, 500, 450, null);
    const r = (await latest()).modal!;
    assert.equal(r.inp, 500);
    assert.equal(r.inp_target, 'main#m>div.modal>a.close');
  });

  it('past 50 interactions, one in 50 of the longest is discarded (the 98th percentile)', async () => {
    const v = view({ id: 'busy', s: t0 + 1e9, lt: 'route_change' });
    S.r.push(v);
    S.v = v;
    for (let i = 0; i < 60; i++) interaction(100 + i, 1e9 + 100 + i * 100, i == 7 ? 900 : 48 + (i % 5) * 8, 20);
    const b = (await latest()).busy!;
    assert.equal(b.inp, 80, 'the worst (900) is dropped, the next is 80');
  });
});

describe('route change duration', () => {
  it('runs until the DOM and the network are quiet for 100 ms', async () => {
    const start = performance.now();
    const v = view({ id: 'settling', s: performance.timeOrigin + start, lt: 'route_change' });
    S.r.push(v);
    S.v = v;
    (globalThis as { __foveaDeferred?: DeferredHook }).__foveaDeferred!.w!(v);
    for (let i = 0; i < 3; i++) {
      await settle(60);
      document.body.append(document.createElement('p'));
    }
    await settle(400);
    const d = (await latest()).settling!.route_change_duration;
    assert.ok(d >= 150 && d < 350, `the last mutation came ~180 ms in: ${d}`);
  });
});
