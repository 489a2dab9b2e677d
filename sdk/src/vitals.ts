// FCP and LCP from web-vitals (LCP from its attribution build: the
// subparts, computed from the navigation and resource entries as web.dev
// defines them, and the element named by its selector function). CLS and
// INP are the view's own: computed per view by the deferred chunk
// (deferred/viewVitals.ts), since web-vitals reports them for the page (or,
// in Chromium, per soft navigation only) and a route change must start
// from zero in every browser. TTFB is read from the Navigation Timing entry
// below, as web-vitals' onTTFB does, which spares its module.
import { onLCP } from 'web-vitals/attribution/onLCP.js';
import { onFCP } from 'web-vitals/onFCP.js';
import type { Metric } from 'web-vitals';
import { round } from './lib/round.js';
import { split } from './lib/split.js';
import { safe } from './lib/safe.js';
import { timing } from './lib/timing.js';
import { setView, track } from './emit.js';
import { S, scrub } from './state.js';
import { startTTI } from './tti.js';

/**
 * Web vitals and Navigation Timing. Which view a metric belongs to: FCP and
 * LCP of a soft navigation (Chromium 151+ detects SPA route changes that
 * follow a user interaction and paint) go to the route-change view with the
 * same URL (TTFB is not meaningful there); otherwise they belong to the page
 * view (initial load or bfcache restore). ttfb, the load phases, dcl, load
 * and tti are measured for the initial load only (a bfcache restore's view
 * starts with ttfb 0, see views.ts). Every callback is guarded: web-vitals
 * calls them from its observers.
 */
export const initVitals = (): void => {
  const initial = S.v!;
  const opts = { reportAllChanges: true, reportSoftNavs: true };
  const at = (m: Metric, f: Record<string, unknown>) =>
    setView(m.navigationType == 'soft-navigation' ? S.r.findLast((x) => x.u == m.navigationURL) : S.p, f);
  onFCP(
    safe((m) => {
      at(m, { fcp: round(m.value) });
      if (S.p == initial && m.navigationType != 'soft-navigation') startTTI(m.value, (tti) => setView(initial, { tti }));
    }),
    opts,
  );
  onLCP(
    safe((m) => {
      const a = m.attribution;
      const [t, d, l, r] = split([a.timeToFirstByte, a.resourceLoadDelay, a.resourceLoadDuration, a.elementRenderDelay]);
      at(m, {
        lcp: round(m.value),
        lcp_element: a.target,
        lcp_resource_url: a.url ? scrub(a.url) : undefined,
        lcp_ttfb: t,
        lcp_load_delay: d,
        lcp_load_time: l,
        lcp_render_delay: r,
      });
    }),
    opts,
  );

  const nav = safe(() => {
    const n = performance.getEntriesByType('navigation')[0] as (PerformanceNavigationTiming & { activationStart?: number }) | undefined;
    if (!n) return;
    setView(initial, {
      // as web-vitals: from activation for a prerendered page, none when the browser hides it (0)
      ttfb: n.responseStart > 0 ? round(Math.max(n.responseStart - (n.activationStart || 0), 0)) : undefined,
      redirect: round(n.redirectEnd - n.redirectStart),
      dns: round(n.domainLookupEnd - n.domainLookupStart),
      connect: round(n.connectEnd - n.connectStart),
      request: n.responseStart > 0 ? round(n.responseStart - n.requestStart) : undefined,
      response: n.responseStart > 0 ? round(n.responseEnd - n.responseStart) : undefined,
      dom_interactive: round(n.domInteractive),
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
