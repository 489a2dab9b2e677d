import { epoch } from './lib/now.js';
import { on } from './lib/on.js';
import { safe } from './lib/safe.js';
import { wrap } from './lib/wrap.js';
import { uuid } from './lib/uuid.js';
import { activity, flushClicks } from './actions.js';
import { emitView } from './emit.js';
import { flushNetwork } from './network.js';
import { replay } from './replay.js';
import { D } from './deferred.js';
import { decide, judge } from './sampling.js';
import { session } from './session.js';
import { S, scrub } from './state.js';
import { beacon } from './transport.js';
import type { LoadingType, View } from './types.js';

/**
 * Views: the initial page load, every SPA route change (History
 * pushState/replaceState, popstate, hashchange: a change of path, or of a
 * `#/` or `#!/` hash route; query-only and anchor changes are not new views),
 * and bfcache restores. A view is re-sent with a higher `version` whenever
 * its metrics or counters change, and finalised (`time_spent`) when the next
 * one starts or the page is left. The initial load carries the trace of its
 * document request when the backend named it in `Server-Timing`.
 */
const routeKey = (l: Location = location): string => l.pathname + (/^#!?\//.test(l.hash) ? l.hash.split('?')[0] : '');

const routeOf = (href: string): string => {
  try {
    const r = S.o!.routeName?.(href);
    if (r) return String(r);
  } catch {
    /* a throwing routeName falls back to the path */
  }
  return routeKey();
};

/**
 * The trace the page's own document request belongs to, from the response's
 * `Server-Timing: traceparent;desc="00-<trace id>-<span id>-<flags>"`: ids
 * of a well-formed context only (lowercase hex, neither all zeros).
 */
const pageTrace = safe(() => {
  for (const e of (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.serverTiming || []) {
    const m = e.name == 'traceparent' && /^(?!ff)[\da-f]{2}-(?!0{32})([\da-f]{32})-(?!0{16})([\da-f]{16})-[\da-f]{2}$/.exec(e.description);
    if (m) return { trace_id: m[1], span_id: m[2] };
  }
});

/** Finalises view `v`: its last update carries `time_spent`. */
const finish = (v: View): void => {
  v.end ??= Date.now() - v.s;
  emitView(v);
};

/** Starts a new view (finalising the current one); `name` overrides the route name. */
export const startView = (name?: string, lt: LoadingType = 'route_change'): void => {
  const old = S.v;
  if (old) finish(old);
  const s = session(true);
  const href = location.href;
  const v: View = {
    id: uuid(),
    sid: s.id,
    n: 0,
    // the initial load starts with the navigation (epoch(0)), others now
    s: epoch(lt == 'initial_load' ? 0 : undefined),
    u: href,
    k: routeKey(),
    nm: name,
    url: scrub(href),
    route: name || routeOf(href),
    referrer: old ? old.url : document.referrer ? scrub(document.referrer) : undefined,
    lt,
    // a bfcache restore fetches nothing: TTFB 0, as web-vitals reports it
    m: { error_count: 0, action_count: 0, resource_count: 0, long_task_count: 0, frustration_count: 0, ttfb: lt == 'bf_cache' ? 0 : undefined, ...(lt == 'initial_load' && pageTrace()) },
  };
  // kept? (a key page upgrades the session here)
  judge(v, s);
  S.v = v;
  if (lt != 'route_change') S.p = v;
  S.r.push(v);
  if (S.r.length > 10) S.r.shift();
  activity();
  emitView(v);
  D?.w?.(v);
  replay(0);
};

/** A user interaction: extends the session, or starts a new session (and view) after expiry. */
const touch = (): void => {
  const v = S.v!;
  if (session(true).id != v.sid) startView(v.nm);
};

export const initViews = (): void => {
  startView(undefined, 'initial_load');
  const route = () => {
    if (routeKey() != S.v!.k) startView();
  };
  for (const k of ['pushState', 'replaceState'] as const) wrap(history, k, route, true);
  on(window, 'popstate', route);
  on(window, 'hashchange', route);
  // left: pagehide came (the view is final and sent); the visibilitychange
  // to hidden that follows it has nothing to add
  let left = false;
  on(window, 'pageshow', (e: PageTransitionEvent) => {
    left = false;
    if (e.persisted) startView(undefined, 'bf_cache');
  });
  on(window, 'pagehide', () => {
    left = true;
    decide();
    flushNetwork();
    flushClicks(true);
    finish(S.v!);
    beacon();
  });
  on(document, 'visibilitychange', () => {
    if (document.visibilityState == 'hidden') {
      if (left) return;
      decide();
      emitView();
      beacon();
    } else touch();
  });
  let last = 0;
  for (const t of ['pointerdown', 'keydown', 'scroll', 'touchstart']) {
    // the inputs whose targets INP names (deferred/viewVitals.ts): told
    // from here, since every call from the browser into the SDK costs the
    // page more than what most listeners do (bench/README.md)
    const input = t == 'pointerdown' || t == 'keydown';
    on(window, t, (e: Event) => {
      if (input) D?.p?.(e);
      const now = Date.now();
      if (now - last > 1000) {
        last = now;
        touch();
      }
    });
  }
};
