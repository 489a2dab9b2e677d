// The plain builds only: their attributions cost more than the SDK needs.
// CLS's target is named as the attribution build names it (the first
// element source of the largest shift, lib/vitalsSelector), and when it
// does: as each shift is processed, before the element can leave the page,
// by an observer of our own (1 KB less than that build). FCP needs no
// attribution; INP's (a Long Animation Frame breakdown, 1.1 KB gzip) is more
// than the SDK needs: its target and type come from the metric's own Event
// Timing entries; LCP's (load phases, and a buffer of resource entries kept
// to compute them) is too (350 bytes gzip): its element and URL come from
// the reported LCP entry, named as that build names it (lib/vitalsSelector).
// The plain builds share their internals with the attribution ones.
// TTFB is read from the Navigation Timing entry below, as web-vitals' onTTFB
// does, which spares its module (130 bytes gzip the 10 KB budget needs).
import { onCLS } from 'web-vitals/onCLS.js';
import { onLCP } from 'web-vitals/onLCP.js';
import { onFCP } from 'web-vitals/onFCP.js';
import { onINP } from 'web-vitals/onINP.js';
import type { Metric } from 'web-vitals';
import { observe } from './lib/observe.js';
import { round } from './lib/round.js';
import { safe } from './lib/safe.js';
import { selector } from './lib/selector.js';
import { timing } from './lib/timing.js';
import { vitalsSelector } from './lib/vitalsSelector.js';
import { setView, track } from './emit.js';
import { S, scrub } from './state.js';
import { startTTI } from './tti.js';

/**
 * Web vitals (web-vitals attribution build, every change reported) and
 * Navigation Timing. Which view a metric belongs to:
 * - soft navigations (Chromium 151+ detects SPA route changes that follow a
 *   user interaction and paint): FCP, LCP, INP and CLS of that route go to
 *   the route-change view with the same URL; TTFB is not meaningful there;
 * - otherwise TTFB, FCP and LCP belong to the page view (initial load or
 *   bfcache restore). INP and CLS go to the page view in browsers with soft
 *   navigations, and elsewhere to the view active when the value grew (the
 *   page-level worst interaction or shift window happened in that view).
 * ttfb, dns, connect, dcl, load and tti are measured for the initial load
 * only (a bfcache restore's view starts with ttfb 0, see views.ts).
 * Every callback is guarded: web-vitals calls them from its observers.
 */
interface Shift extends PerformanceEntry {
  value: number;
  hadRecentInput: boolean;
  sources?: { node?: Node | null }[];
}

/** The source web-vitals' attribution names a shift by: the first that is an element, else the first. */
const source = (e: Shift) => e.sources?.find((s) => s.node?.nodeType === 1) || e.sources?.[0];

export const initVitals = (): void => {
  const initial = S.v!;
  const soft = PerformanceObserver.supportedEntryTypes?.includes('soft-navigation');
  const opts = { reportAllChanges: true, reportSoftNavs: true };
  const at = (m: Metric, f: Record<string, unknown>, active?: boolean) => {
    const v =
      m.navigationType == 'soft-navigation'
        ? S.r.findLast((x) => x.u == m.navigationURL)
        : active && !soft
          ? S.v
          : S.p;
    setView(v, f);
  };
  onFCP(
    safe((m) => {
      at(m, { fcp: round(m.value) });
      if (S.p == initial && m.navigationType != 'soft-navigation') startTTI(m.value, (tti) => setView(initial, { tti }));
    }),
    opts,
  );
  // Read when the entry is reported, which is when it is processed: the
  // moment the attribution build names the element too.
  onLCP(
    safe((m) => {
      const e = m.entries.at(-1);
      at(m, {
        lcp: round(m.value),
        lcp_element: e?.element ? vitalsSelector(e.element) : e?.id ? '#' + e.id : undefined,
        lcp_resource_url: e?.url ? scrub(e.url) : undefined,
      });
    }),
    opts,
  );
  onINP(
    safe((m) => {
      const e = m.entries.find((x) => x.target);
      at(m, { inp: round(m.value), inp_target: selector(e?.target as Element), inp_type: e && (/^key/.test(e.name) ? 'keyboard' : 'pointer') }, true);
    }),
    opts,
  );
  // the shifts CLS counts (none right after an input), named while processed
  const shifted = new WeakMap<object, string>();
  observe('layout-shift', (es: Shift[]) => {
    for (const e of es) {
      const s = !e.hadRecentInput && source(e);
      if (s && s.node) shifted.set(s, vitalsSelector(s.node));
    }
  });
  onCLS(
    safe((m) => {
      const e = (m.entries as Shift[]).reduce<Shift | undefined>((a, b) => (a && a.value > b.value ? a : b), undefined);
      at(m, { cls: Math.round(m.value * 1e4) / 1e4, cls_target: shifted.get((e && source(e))!) }, true);
    }),
    opts,
  );

  const nav = safe(() => {
    const n = performance.getEntriesByType('navigation')[0] as (PerformanceNavigationTiming & { activationStart?: number }) | undefined;
    if (!n) return;
    setView(initial, {
      // as web-vitals: from activation for a prerendered page, none when the browser hides it (0)
      ttfb: n.responseStart > 0 ? round(Math.max(n.responseStart - (n.activationStart || 0), 0)) : undefined,
      dns: round(n.domainLookupEnd - n.domainLookupStart),
      connect: round(n.connectEnd - n.connectStart),
      dcl: round(n.domContentLoadedEventEnd),
      load: round(n.loadEventEnd),
    });
    track(
      'resource',
      { ...timing(n), resource_url: initial.url, kind: 'document', method: 'GET', status: (n as { responseStatus?: number }).responseStatus || undefined },
      initial.s,
      initial,
    );
  });
  // loadEventEnd is set once the load handlers have run: measure a task later.
  if (document.readyState == 'complete') setTimeout(nav);
  else addEventListener('load', () => setTimeout(nav), { once: true });
};
