// LCP comes from web-vitals' attribution build (element, resource URL,
// subparts). CLS targets are named by web-vitals' getSelector, copied in
// src/lib/vitalsSelector.ts because the package does not export it (CLS is
// per view: test/viewVitals.test.ts).
import { win } from './dom.js';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
// the original, for comparison (a test may reach into the package's files)
import { getSelector } from '../node_modules/web-vitals/dist/modules/lib/getSelector.js';
import { flush } from '../src/index.js';
import { vitalsSelector } from '../src/lib/vitalsSelector.js';
import { initVitals } from '../src/vitals.js';
import { events, setup } from './harness.js';
import { P } from './scrubList.js';

/** A PerformanceObserver that reports LCP, paint and layout-shift entries when the test emits them. */
const observers: ((entries: unknown[]) => void)[] = [];
const others: Record<string, ((entries: unknown[]) => void)[]> = {};
class FakeObserver {
  static supportedEntryTypes = ['largest-contentful-paint', 'paint', 'layout-shift'];
  constructor(private cb: (l: { getEntries: () => unknown[] }) => void) {}
  observe(o: { type: string }) {
    const f = (es: unknown[]) => this.cb({ getEntries: () => es });
    if (o.type == 'largest-contentful-paint') observers.push(f);
    else (others[o.type] ||= []).push(f);
  }
  disconnect() {}
  takeRecords() {
    return [];
  }
}
const emit = async (entry: Record<string, unknown>) => {
  for (const o of observers) o([{ entryType: 'largest-contentful-paint', id: '', url: '', element: null, ...entry }]);
  await new Promise((r) => setTimeout(r, 0)); // web-vitals handles entries in a microtask
};

document.body.innerHTML = `
  <main class="page b a"><section><div class="hero x"><img class="banner" src="/hero.jpg"></div></section></main>
  <div id="app"><p class="lead">Welcome</p></div>
  <div>${'<div class="a-rather-long-class-name">'.repeat(6)}<span class="z y">deep</span>${'</div>'.repeat(6)}</div>`;
const $ = (s: string) => document.querySelector(s)! as unknown as Element;

describe('vitalsSelector', () => {
  it('names nodes exactly as web-vitals does', () => {
    const fragment = document.createDocumentFragment();
    const loose = document.createElement('b');
    fragment.appendChild(loose);
    const nodes: (Node | null | undefined)[] = [
      $('img'),
      $('p'),
      $('span'),
      $('#app'),
      document.body,
      document.documentElement,
      $('p').firstChild, // a text node
      document.createElement('div'), // not in the page
      loose,
      null,
      undefined,
    ];
    for (const n of nodes) assert.equal(vitalsSelector(n), getSelector(n as Node), String(n?.nodeName));
    assert.equal(vitalsSelector($('img')), 'html>body>main.a.b.page>section>div.hero.x>img.banner');
  });
});

describe('LCP', () => {
  before(() => {
    (globalThis as { PerformanceObserver: unknown }).PerformanceObserver = FakeObserver;
    (win as unknown as { PerformanceObserver: unknown }).PerformanceObserver = FakeObserver;
    setup();
    initVitals();
  });

  const last = async () => {
    await flush();
    return events('view').at(-1)!;
  };

  it('sends the element (as the attribution build names it) and the scrubbed resource URL', async () => {
    await emit({ startTime: 800, element: $('img'), url: 'https://cdn.shop.example/hero.jpg?token=abc' });
    const v = await last();
    assert.equal(v.lcp, 800);
    assert.equal(v.lcp_element, 'html>body>main.a.b.page>section>div.hero.x>img.banner');
    assert.equal(v.lcp_resource_url, `https://cdn.shop.example/hero.jpg?token=${P}`);
    assert.equal(v.lcp_ttfb + v.lcp_load_delay + v.lcp_load_time + v.lcp_render_delay, v.lcp, 'the subparts add up to the LCP');
  });

  it('a text LCP has no resource URL; an element gone from the page is named by its id', async () => {
    await emit({ startTime: 900, element: $('p'), url: '' });
    let v = await last();
    assert.deepEqual([v.lcp, v.lcp_element, v.lcp_resource_url], [900, '#app>p.lead', undefined]);
    await emit({ startTime: 1000, id: 'gone' });
    v = await last();
    assert.deepEqual([v.lcp, v.lcp_element, v.lcp_resource_url], [1000, '#gone', undefined]);
  });
});
