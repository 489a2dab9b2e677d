import { hex } from './lib/hex.js';
import { matches } from './lib/matches.js';
import { epoch } from './lib/now.js';
import { round } from './lib/round.js';
import { safe } from './lib/safe.js';
import { timing } from './lib/timing.js';
import { wrap } from './lib/wrap.js';
import { activity } from './actions.js';
import { live, track } from './emit.js';
import { reportError } from './errors.js';
import { S, scrub } from './state.js';
import { ttiNet } from './tti.js';
import type { TracingUrl, View } from './types.js';

/**
 * fetch and XMLHttpRequest: each request becomes a `resource` event (method,
 * status, duration, merged with its Resource Timing entry for phases and
 * sizes); network failures and 5xx (4xx with `track4xx`) become `network`
 * errors. Requests to `allowedTracingUrls` get trace headers (W3C
 * `traceparent: 00-<trace id>-<span id>-<flags>` by default, or Zipkin `b3`,
 * Datadog `x-datadog-*`) and the ids are recorded on the resource and on its
 * `network` error. When the page set one of those headers itself, its own
 * trace context wins: none of ours is added and no ids are recorded (any
 * `tracestate` passes through). The page's own calls behave exactly as
 * before: same arguments, same promise, same errors.
 */
interface Req {
  m: string;
  u: string;
  /** start (performance.now) */
  s: number;
  ti?: string;
  si?: string;
  /** trace headers to add */
  h?: Record<string, string>;
  v?: View;
  /** XMLHttpRequest (else fetch) */
  x?: boolean;
}

const pending = new Set<() => void>();

const begin = (method: string, url: string): Req => {
  activity();
  ttiNet(1);
  const r: Req = { m: method.toUpperCase(), u: new URL(url, location.href).href, s: performance.now(), v: S.v };
  // [p, p.match]: a string or RegExp entry is its own pattern, an object's is
  // `match` (a string's `match` method, like the object, matches nothing).
  // `!= null`: the prefix '' matches every URL.
  const t = S.o!.allowedTracingUrls?.find((p) => matches([p, (p as TracingUrl)?.match], 'startsWith', r.u)) as TracingUrl | undefined;
  if (t != null) {
    const ti = (r.ti = hex(16));
    const si = (r.si = hex(8));
    // The sampled flag says whether this session is kept: sampled in by
    // `sessionSampleRate` and consent not denied (what `live` decides for
    // every event). A session that is not kept still sends its context,
    // flagged "not sampled" (-00, b3 0, Datadog priority 0): a backend that
    // follows its caller's decision (OpenTelemetry's default parent-based
    // sampler; Datadog's tracers honour the priority) then keeps no trace
    // that no kept session links to, where a request without a header
    // would start a root trace sampled at the backend's own rate. Kept
    // sessions flag "sampled" (-01) so that every trace they link to is kept.
    const f = +live(S.v);
    const h: Record<string, string> = (r.h = {});
    for (const p of t.propagators || ['tracecontext']) {
      if (p == 'tracecontext') h.traceparent = `00-${ti}-${si}-0${f}`;
      if (p == 'b3') h.b3 = `${ti}-${si}-${f}`;
      if (p == 'datadog') {
        // 64-bit decimal ids: the trace id's lower half, the span id
        h['x-datadog-trace-id'] = BigInt('0x' + ti.slice(16)) + '';
        h['x-datadog-parent-id'] = BigInt('0x' + si) + '';
        h['x-datadog-sampling-priority'] = f + '';
        h['x-datadog-origin'] = 'rum';
      }
    }
  }
  return r;
};

/**
 * Adds `r`'s trace headers with `set`, unless the page set one of them
 * itself (`has`, lowercase names): then its trace context wins and these ids
 * were not sent. No propagator: no header, so no ids either.
 */
const inject = (r: Req, has: (k: string) => unknown, set: (k: string, v: string) => void): void => {
  const k = Object.keys(r.h!);
  if (!k[0] || k.some(has)) r.ti = r.si = undefined;
  else for (const x of k) set(x, r.h![x]!);
};

const end = (r: Req, status: number, quiet?: boolean): void => {
  ttiNet(-1);
  const d = performance.now() - r.s;
  const url = scrub(r.u);
  if (!quiet && (!status || status >= 500 || (S.o!.track4xx && status >= 400)))
    reportError(
      'network',
      { name: status ? 'HTTPError' : 'NetworkError', message: `${r.m} ${url.split(/[?#]/)[0]} ${status || 'failed'}` },
      { resource_url: url, status, trace_id: r.ti, span_id: r.si },
    );
  if (S.o!.trackResources === false) return;
  // The Resource Timing entry is queued when the body is read: wait a moment
  // for it, or until the page is left (flushNetwork), whichever comes first.
  const fin = () => {
    if (!pending.delete(fin)) return;
    const e = (performance.getEntriesByName(r.u, 'resource') as PerformanceResourceTiming[]).find(
      (x) => x.startTime >= r.s - 5 && /^(fetch|xmlhttprequest)$/.test(x.initiatorType),
    );
    track(
      'resource',
      {
        // the entry's duration, when there is one
        duration: round(d),
        ...(e && timing(e)),
        resource_url: url,
        kind: r.x ? 'xhr' : 'fetch',
        method: r.m,
        // aborted and no-cors (opaque) requests have no status, and are no failure
        status: quiet ? void 0 : status,
        trace_id: r.ti,
        span_id: r.si,
      },
      epoch(r.s),
      r.v,
    );
  };
  pending.add(fin);
  setTimeout(safe(fin), 300);
};

/** Sends the finished requests still waiting for their timing entry (the page is being left). */
export const flushNetwork = (): void => pending.forEach((f) => f());

export const initNetwork = (): void => {
  const F = window.fetch;
  if (F)
    window.fetch = function (this: unknown, input: RequestInfo | URL, init?: RequestInit) {
      let r: Req | undefined;
      try {
        const req = input instanceof Request ? input : undefined;
        r = begin(init?.method || req?.method || 'GET', req ? req.url : String(input));
        if (r.h) {
          const h = new Headers(init?.headers || req?.headers);
          inject(r, (k) => h.has(k), (k, v) => h.set(k, v));
          init = { ...init, headers: h };
        }
      } catch {
        /* measure nothing, change nothing */
      }
      // eslint-disable-next-line prefer-rest-params
      const p = F.apply(this, (r?.ti ? [input, init] : arguments) as unknown as [RequestInfo, RequestInit]);
      if (r)
        p.then(
          safe((res: Response) => end(r!, res.status, res.type == 'opaque')),
          safe((err: Error) => end(r!, 0, err && err.name == 'AbortError')),
        );
      return p;
    };

  const X = window.XMLHttpRequest?.prototype;
  if (!X) return;
  // method, URL, and the (lowercase) names of the headers the page set
  const xhrs = new WeakMap<XMLHttpRequest, [string, string, Record<string, 1>]>();
  const set = X.setRequestHeader;
  wrap(X, 'open', (x: XMLHttpRequest, [m, u]: [string, string | URL]) => xhrs.set(x, [m, String(u), {}]));
  // Known so that ours are not added to them: a header set twice is joined
  // with ", ", and two trace contexts in one `traceparent` are invalid. (An
  // XHR opened before init has no entry: the TypeError is swallowed.)
  wrap(X, 'setRequestHeader', (x: XMLHttpRequest, [k]: string[]) => (xhrs.get(x)![2][k!.toLowerCase()] = 1));
  wrap(X, 'send', (x: XMLHttpRequest) => {
    const d = xhrs.get(x);
    if (d) {
      const r = begin(d[0], d[1]);
      r.x = true;
      if (r.h) inject(r, (k) => d[2][k], (k, v) => set.call(x, k, v));
      let aborted: boolean | undefined;
      x.addEventListener('abort', () => (aborted = true));
      x.addEventListener('loadend', safe(() => end(r, x.status, aborted)));
    }
  });
};
