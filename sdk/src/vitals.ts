// CLS from the attribution build: it names the shifted element as the shift
// is processed, before the element can leave the page. FCP needs no
// attribution; INP's (a Long Animation Frame breakdown, 1.1 KB gzip) is more
// than the SDK needs: its target and type come from the metric's own Event
// Timing entries; LCP's (load phases, and a buffer of resource entries kept
// to compute them) is too (350 bytes gzip): its element and URL come from
// the reported LCP entry, named as that build names it (lib/vitalsSelector).
// The plain builds share their internals with the attribution ones.
// TTFB is read from the Navigation Timing entry below, as web-vitals' onTTFB
// does, which spares its module (130 bytes gzip the 10 KB budget needs).
import { onCLS } from 'web-vitals/attribution/onCLS.js';
import { onLCP } from 'web-vitals/onLCP.js';
import { onFCP } from 'web-vitals/onFCP.js';
import { onINP } from 'web-vitals/onINP.js';
import type { Metric } from 'web-vitals';
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
  onCLS(safe((m) => at(m, { cls: Math.round(m.value * 1e4) / 1e4, cls_target: m.attribution.largestShiftTarget }, true)), opts);

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
