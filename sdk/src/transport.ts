import { on } from './lib/on.js';
import { retryDelay } from './lib/retryDelay.js';
import { safe } from './lib/safe.js';
import { S } from './state.js';
import type { View } from './types.js';

/**
 * Transport. Events wait in a bounded queue (serialised, at most 1000) and
 * leave in batches when 50 are waiting or `flushInterval` (30 s) after the
 * first, or when the page is hidden or left: most page loads send one beacon
 * as they are left, not a request mid-page as well (each ~1.5 ms of main
 * thread; Datadog's browser SDK batches for 30 s too);
 * a view's updates collapse to its latest version. A batch is at most 100
 * events and ~60 KB of JSON, gzipped with CompressionStream where the browser
 * has it when over 8 KB, and sent with `fetch(keepalive)` (so it survives the page) through
 * the fetch captured before the SDK instrumented it. 429, 408, 5xx and
 * network failures put the batch back and retry after `Retry-After` or an
 * exponential backoff (at once when the browser is back `online`), with the
 * same event ids (the server dedupes). When the page is hidden or left,
 * what waits goes out with `sendBeacon` (text/plain, uncompressed: it must
 * be synchronous) as long as it fits the browser's keepalive quota (64 KiB
 * for all the page's keepalive requests together, beacons and keepalive
 * fetches: over it, sendBeacon returns false and a keepalive fetch fails)
 * and the browser is online; the rest (everything, offline) is stored in
 * localStorage (`fovea_e_<key>`, the newest ~1 MB) and sent by the next page
 * of the site that may send, with its own header (the session it belongs
 * to) and a `sent_at` of then (the server corrects clock skew with it).
 * Nothing leaves, and nothing is stored, before consent is granted and the
 * sampling decision is taken (sampling.ts), and the events of views that
 * are not kept are dropped then; denying consent deletes what is stored. A 429 with `Retry-After` (or the config's
 * `quota_until`) holds everything, on every page, until then (hold).
 */
declare const __VERSION__: string;

export const MAX_QUEUE = 1000;
const MAX_EVENTS = 100;
const MAX_BYTES = 60000;
/**
 * Characters of keepalive bodies one leave of the page may send (bytes, but
 * for non-ASCII text): one full batch (60 KB of events and its header),
 * within the browser's 64 KiB quota.
 */
const KEEPALIVE = 64000;

/** events, each with its view (whose decision may come later) */
let q: [string, View][] = [];
/** views changed since they were last taken, each with the builder of its event (serialised when a batch leaves, once however often it changed) */
const views = new Map<View, () => string | undefined>();
/**
 * batches kept for later, oldest first, as bodies without `sent_at` (part):
 * stored by earlier pages, or not sent at a leave of this page where storage
 * failed. Sent before the queue, whatever the view decisions of this page.
 */
let o: string[] = [];
let timer: ReturnType<typeof setTimeout> | 0 = 0;
let inflight: Promise<void> | 0 = 0;
let attempt = 0;
let until = 0;
/**
 * keepalive bytes sent by the current leave of the page, and when it ends:
 * calls of beacon() less than 10 s apart (visibilitychange to hidden, then
 * pagehide) share the page's quota, whose requests are not done yet
 */
let kb = 0;
let kt = 0;
export let F: typeof fetch;

/** Captures the page's fetch before anything wraps it. */
export const initTransport = (f: typeof fetch): void => {
  F = f;
  // back online: retry now rather than at the end of the backoff (a quota hold still holds)
  on(window, 'online', () => {
    until = S.q;
    send();
  });
};

/** URL of the API path `p` (`intake`, `sdk-config`) with the ingest key. */
export const api = (p: string): string => `${S.o!.endpoint.replace(/\/+$/, '')}/api/v1/${p}?key=${encodeURIComponent(S.o!.key)}`;

/** localStorage key of the quota hold of this app */
export const holdKey = (): string => 'fovea_q_' + S.o!.key;

/** localStorage key of the batches this app's pages could not send: bodies (part), one a line */
const sk = (): string => 'fovea_e_' + S.o!.key;

/**
 * Sends nothing until `until` (epoch ms), on this page and (stored, once
 * consent allows storage) on the next ones: events of that time are dropped.
 */
export const hold = (until: number): void => {
  S.q = until;
  if (S.c == 'granted')
    try {
      localStorage.setItem(holdKey(), until + '');
    } catch {
      /* this page only */
    }
};

/** Sends in `ms` (default: `flushInterval`), unless a send is already scheduled. */
export const schedule = (ms = S.o!.flushInterval ?? 30000): void => {
  timer ||= setTimeout(
    safe(() => {
      timer = 0;
      send();
    }),
    ms,
  );
};

/** Queues one event (already serialised) of view `v`. */
export const enqueue = (ev: string, v: View): void => {
  q.push([ev, v]);
  if (q.length > MAX_QUEUE) q.shift();
  if (q.length >= 50) send();
  else schedule();
};

/** Queues a view snapshot, replacing any unsent older version of it. */
export const enqueueView = (v: View, ev: () => string | undefined): void => {
  views.set(v, ev);
  schedule();
};

/** Forgets all transport state (unit tests only; tree-shaken from builds). */
export const resetTransport = (): void => {
  clearTimeout(timer);
  q = [];
  o = [];
  views.clear();
  timer = inflight = attempt = until = kb = kt = 0;
};

/** Resolves when the request in flight, if any, is done (unit tests only). */
export const idle = (): Promise<void> => inflight || Promise.resolve();

/** Drops everything waiting, stored batches included (consent denied, quota). */
export const clearQueue = (): void => {
  q = [];
  o = [];
  views.clear();
  try {
    localStorage.removeItem(sk());
  } catch {
    /* nothing stored */
  }
};

/** Whether anything may be sent or stored: consent, the sampling decision, no quota hold. */
const may = (): boolean => S.c == 'granted' && S.g !== undefined && S.q <= Date.now();

/**
 * Takes the batches stored by earlier pages (or tabs) out of storage, ahead
 * of the queue: from now on they are this page's to send, or to store again
 * when it is left. (JSON has no raw newline: one body a line.)
 */
const load = (): void => {
  if (may())
    try {
      const s = localStorage.getItem(sk());
      if (s) {
        localStorage.removeItem(sk());
        o.unshift(...s.split('\n'));
      }
    } catch {
      /* no storage, or unreadable: nothing to send */
    }
};

/** Takes the next batch off the queue, dropping the events of views not kept. */
const take = (): [string, View][] => {
  views.forEach((f, v) => {
    const e = f();
    if (e) q.push([e, v]);
  });
  views.clear();
  q = q.filter((x) => x[1].ss);
  const b: [string, View][] = [];
  for (let n = 0; q.length && b.length < MAX_EVENTS; ) {
    n += q[0]![0].length;
    if (n > MAX_BYTES && b.length) break;
    b.push(q.shift()!);
  }
  return b;
};

/**
 * The body of batch `b` but its `sent_at`, which json() adds when it is
 * sent: a batch stored by a page keeps that page's header (session id,
 * rate, key) and its events their ids and `ts`.
 */
const part = (b: [string, View][]): string => {
  const nav = navigator as Navigator & { connection?: { effectiveType?: string } };
  return `${JSON.stringify({
    sdk: { name: 'fovea-browser', version: __VERSION__ },
    // the decision: the rate the session is kept at, `key` when a key page upgraded it
    session: { id: S.v?.sid, user_id: S.u, ...S.d },
    context: {
      env: S.o!.env,
      release: S.o!.release,
      connection: nav.connection?.effectiveType,
      viewport: `${innerWidth}x${innerHeight}`,
      automation: S.b,
    },
  }).slice(0, -1)},"events":[${b.map((x) => x[0]).join(',')}]}`;
};

/**
 * A body to send: `sent_at` is now, for a stored batch too, since the server
 * corrects the events' clock skew with it (received_at - sent_at).
 */
const json = (p: string): string => `{"sent_at":${Date.now()},${p.slice(1)}`;

/** POSTs a body to the intake through the page's original fetch, without cookies. */
const req = (body: BodyInit, headers: Record<string, string>, keepalive: boolean) =>
  F(api('intake'), { method: 'POST', body, headers, keepalive, credentials: 'omit' });

/**
 * Whether a body fits the browser's keepalive quota (64 KiB): a string's
 * UTF-8 bytes, at most 3 a UTF-16 unit, are counted only when they could be over.
 */
const fits = (b: Blob | string): boolean => (typeof b == 'string' ? b.length * 3 < 65000 || new Blob([b]).size < 65000 : b.size < 65000);

/** Sends one batch (see part); true when it is done with (accepted, or refused for good). */
const post = async (p: string): Promise<boolean> => {
  let body: Blob | string = json(p);
  const headers: Record<string, string> = { 'Content-Type': 'text/plain' };
  // Small batches go as they are: the Blob and stream plumbing costs the
  // main thread ~1 ms a batch, three times the deflate (bench/sdk-cost.mjs).
  if (body.length > 8000)
    try {
      body = await new Response(new Blob([body]).stream().pipeThrough(new CompressionStream('gzip'))).blob();
      headers['Content-Encoding'] = 'gzip';
    } catch {
      /* no CompressionStream: send it as it is */
    }
  let r: Response | undefined;
  try {
    r = await req(body, headers, fits(body));
  } catch {
    /* offline or blocked: retry */
  }
  const st = r?.status;
  // 2xx, and client errors a retry cannot fix (400, 401, 403, 413, 415): done.
  if (st && st != 408 && st != 429 && st < 500) {
    attempt = 0;
    return true;
  }
  const ra = r?.headers.get('Retry-After');
  // over quota (or rate-limited): hold until then; this batch is retried then
  if (st == 429 && +ra! > 0) hold(Date.now() + +ra! * 1000);
  until = Math.max(S.q, Date.now() + retryDelay(++attempt, ra));
  return false;
};

const drain = async (): Promise<void> => {
  await 0;
  // not within a leave of the page: the stored batches would go from storage
  // into the memory of a page going away
  if (Date.now() > kt) load();
  while (S.c == 'granted' && S.g !== undefined && (o[0] || q.length || views.size)) {
    if (Date.now() < until) return schedule(until - Date.now());
    // kept batches first (they are older), then one from the queue; a batch
    // stays in `o` while it is compressed and sent, and until it is
    // accepted, so that a leave meanwhile beacons or stores it (if both
    // copies arrive, the server dedupes)
    if (!o[0]) {
      const b = take();
      if (!b[0]) return; // all of views not kept
      o.push(part(b));
    }
    const p = o[0]!;
    if (await post(p) && o[0] == p) o.shift();
  }
};

/** Sends everything waiting; resolves when the queue is empty or sending must wait (backoff, consent). */
export const send = (): Promise<void> =>
  inflight || (inflight = drain()
    .catch(() => undefined) // never an unhandled rejection in the page
    .finally(() => (inflight = 0)));

/**
 * Synchronous last-chance send when the page is hidden or left: oldest
 * first, the batches that fit the keepalive quota, counted over the whole
 * leave (kb). What sendBeacon refuses is not retried with a keepalive fetch,
 * which shares the quota. The rest is stored for the next page, the newest
 * ~1 MB (the app's own storage is shared with it); where storage fails, it
 * stays in memory, should the page live on.
 */
export const beacon = (): void => {
  if (!may()) return;
  load();
  const t = Date.now();
  if (t > kt) kb = 0;
  kt = t + 1e4;
  for (let b = take(); b[0]; b = take()) o.push(part(b));
  let z = 0;
  o = o
    .filter((p) => {
      const s = json(p);
      // characters, not bytes: a non-ASCII body the browser finds over its
      // quota is refused, and stored
      const n = s.length;
      // offline, a beacon is accepted and lost: stored instead
      let ok: unknown = navigator.onLine && kb + n <= KEEPALIVE;
      if (ok)
        try {
          ok = navigator.sendBeacon(api('intake'), s);
        } catch {
          // no sendBeacon: a keepalive fetch, counted alike
          req(s, { 'Content-Type': 'text/plain' }, true).catch(() => 0);
        }
      if (ok) kb += n;
      return !ok;
    })
    .reverse()
    .filter((p) => (z += p.length) <= 1e6)
    .reverse();
  if (o[0])
    try {
      localStorage.setItem(sk(), o.join('\n'));
      o = [];
    } catch {
      /* full or blocked: kept in memory */
    }
};
