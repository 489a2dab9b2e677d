import { hex } from './lib/hex.js';
import { matches } from './lib/matches.js';
import { epoch } from './lib/now.js';
import { round } from './lib/round.js';
import { safe } from './lib/safe.js';
import { timing } from './lib/timing.js';
import { activity } from './actions.js';
import { track } from './emit.js';
import { reportError } from './errors.js';
import { S, scrub } from './state.js';
import { ttiNet } from './tti.js';
import type { View } from './types.js';

/**
 * fetch and XMLHttpRequest: each request becomes a `resource` event (method,
 * status, duration, merged with its Resource Timing entry for phases and
 * sizes); network failures and 5xx (4xx with `track4xx`) become `network`
 * errors. Requests to `allowedTracingUrls` get a W3C `traceparent`
 * (`00-<trace id>-<span id>-01`; a `traceparent` the page set itself is
 * kept, and so is any `tracestate`) and the ids are recorded on the resource. The page's own
 * calls behave exactly as before: same arguments, same promise, same errors.
 */
interface Req {
  m: string;
  u: string;
  /** start (performance.now) */
  s: number;
  ti?: string;
  si?: string;
  v?: View;
  /** XMLHttpRequest (else fetch) */
  x?: boolean;
}

const pending = new Set<() => void>();

const begin = (method: string, url: string): Req => {
  activity();
  ttiNet(1);
  const r: Req = { m: method.toUpperCase(), u: new URL(url, location.href).href, s: performance.now(), v: S.v };
  if (S.v?.ss && matches(S.o!.allowedTracingUrls, 'startsWith', r.u)) {
    r.ti = hex(16);
    r.si = hex(8);
  }
  return r;
};

const end = (r: Req, status: number, quiet?: boolean): void => {
  ttiNet(-1);
  const d = performance.now() - r.s;
  const url = scrub(r.u);
  if (!quiet && (!status || status >= 500 || (S.o!.track4xx && status >= 400)))
    reportError(
      'network',
      { name: status ? 'HTTPError' : 'NetworkError', message: `${r.m} ${url.split(/[?#]/)[0]} ${status || 'failed'}` },
      { resource_url: url, status },
    );
  if (S.o!.trackResources === false) return;
  // The Resource Timing entry is queued when the body is read: wait a moment
  // for it (or until the page is left, see flushNetwork).
  const fin = () => {
    pending.delete(fin);
    const e = (performance.getEntriesByName(r.u, 'resource') as PerformanceResourceTiming[]).find(
      (x) => x.startTime >= r.s - 5 && /^(fetch|xmlhttprequest)$/.test(x.initiatorType),
    );
    track(
      'resource',
      {
        ...(e && timing(e)),
        resource_url: url,
        kind: r.x ? 'xhr' : 'fetch',
        method: r.m,
        // aborted and no-cors (opaque) requests have no status, and are no failure
        status: quiet ? void 0 : status,
        duration: round(e ? e.duration : d),
        trace_id: r.ti,
        span_id: r.si,
      },
      epoch(r.s),
      r.v,
    );
  };
  pending.add(fin);
  setTimeout(safe(() => pending.has(fin) && fin()), 300);
};

/** Sends the finished requests still waiting for their timing entry (the page is being left). */
export const flushNetwork = (): void => pending.forEach((f) => f());

const traceparent = (r: Req) => `00-${r.ti}-${r.si}-01`;

export const initNetwork = (): void => {
  const F = window.fetch;
  if (F)
    window.fetch = function (this: unknown, input: RequestInfo | URL, init?: RequestInit) {
      let r: Req | undefined;
      try {
        const req = input instanceof Request ? input : undefined;
        r = begin(init?.method || req?.method || 'GET', req ? req.url : String(input));
        if (r.ti) {
          const h = new Headers(init?.headers || req?.headers);
          // The page's own trace context wins; then these ids were not sent.
          if (h.has('traceparent')) r.ti = r.si = undefined;
          else h.set('traceparent', traceparent(r));
          init = { ...init, headers: h };
        }
      } catch {
        /* measure nothing, change nothing */
      }
      // eslint-disable-next-line prefer-rest-params
      const p = F.apply(this, (r?.ti ? [input, init] : arguments) as unknown as [RequestInfo, RequestInit]);
      if (r) {
        const q = r;
        p.then(
          safe((res: Response) => end(q, res.status, res.type == 'opaque')),
          safe((err: Error) => end(q, 0, err && err.name == 'AbortError')),
        );
      }
      return p;
    };

  const X = window.XMLHttpRequest?.prototype;
  if (!X) return;
  const open = X.open;
  const send = X.send;
  const xhrs = new WeakMap<XMLHttpRequest, [string, string]>();
  X.open = function (this: XMLHttpRequest, m: string, u: string | URL) {
    try {
      xhrs.set(this, [m, String(u)]);
    } catch {
      /* ignore */
    }
    // eslint-disable-next-line prefer-rest-params
    return open.apply(this, arguments as unknown as Parameters<typeof open>);
  } as typeof open;
  X.send = function (this: XMLHttpRequest) {
    try {
      const d = xhrs.get(this);
      if (d) {
        const r = begin(d[0], d[1]);
        r.x = true;
        if (r.ti) this.setRequestHeader('traceparent', traceparent(r));
        let aborted = false;
        this.addEventListener('abort', () => (aborted = true));
        this.addEventListener('loadend', safe(() => end(r, this.status, aborted)));
      }
    } catch {
      /* ignore */
    }
    // eslint-disable-next-line prefer-rest-params
    return send.apply(this, arguments as unknown as Parameters<typeof send>);
  };
};
