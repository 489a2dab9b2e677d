import { retryDelay } from './lib/retryDelay.js';
import { safe } from './lib/safe.js';
import { S } from './state.js';
import type { View } from './types.js';

/**
 * Transport. Events wait in a bounded queue (serialised, at most 1000) and
 * leave in batches when 50 are waiting or `flushInterval` after the first;
 * a view's updates collapse to its latest version. A batch is at most 100
 * events and ~60 KB of JSON, gzipped with CompressionStream where the browser
 * has it, and sent with `fetch(keepalive)` (so it survives the page) through
 * the fetch captured before the SDK instrumented it. 429, 408, 5xx and
 * network failures put the batch back and retry after `Retry-After` or an
 * exponential backoff, with the same event ids (the server dedupes). When
 * the page is hidden or left, everything goes out with `sendBeacon`
 * (text/plain, uncompressed: it must be synchronous). Nothing leaves before
 * consent is granted and the sampling decision is taken (sampling.ts), and
 * the events of views that are not kept are dropped then. A 429 with
 * `Retry-After` (or the config's `quota_until`) holds everything, on every
 * page, until then (hold).
 */
declare const __VERSION__: string;

export const MAX_QUEUE = 1000;
const MAX_EVENTS = 100;
const MAX_BYTES = 60000;

/** events, each with its view (whose decision may come later) */
let q: [string, View][] = [];
const views = new Map<View, string>();
let timer: ReturnType<typeof setTimeout> | 0 = 0;
let inflight: Promise<void> | 0 = 0;
let attempt = 0;
let until = 0;
export let F: typeof fetch;

/** Captures the page's fetch before anything wraps it. */
export const initTransport = (f: typeof fetch): void => {
  F = f;
};

/** URL of the API path `p` (`intake`, `sdk-config`) with the ingest key. */
export const api = (p: string): string => `${S.o!.endpoint.replace(/\/+$/, '')}/api/v1/${p}?key=${encodeURIComponent(S.o!.key)}`;

/** localStorage key of the quota hold of this app */
export const holdKey = (): string => 'fovea_q_' + S.o!.key;

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
const schedule = (ms = S.o!.flushInterval ?? 5000): void => {
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
export const enqueueView = (v: View, ev: string): void => {
  views.set(v, ev);
  schedule();
};

/** Forgets all transport state (unit tests only; tree-shaken from builds). */
export const resetTransport = (): void => {
  clearTimeout(timer);
  q = [];
  views.clear();
  timer = inflight = attempt = until = 0;
};

/** Resolves when the request in flight, if any, is done (unit tests only). */
export const idle = (): Promise<void> => inflight || Promise.resolve();

/** Drops everything waiting (consent denied). */
export const clearQueue = (): void => {
  q = [];
  views.clear();
};

/** Takes the next batch off the queue, dropping the events of views not kept. */
const take = (): [string, View][] => {
  views.forEach((e, v) => q.push([e, v]));
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

const json = (b: [string, View][]): string => {
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
    sent_at: Date.now(),
  }).slice(0, -1)},"events":[${b.map((x) => x[0]).join(',')}]}`;
};

/** POSTs a body to the intake through the page's original fetch, without cookies. */
const req = (body: BodyInit, headers: Record<string, string>, keepalive: boolean) =>
  F(api('intake'), { method: 'POST', body, headers, keepalive, credentials: 'omit' });

/** Sends one batch; true when it is done with (accepted, or refused for good). */
const post = async (b: [string, View][]): Promise<boolean> => {
  let body: Blob = new Blob([json(b)]);
  const headers: Record<string, string> = { 'Content-Type': 'text/plain' };
  try {
    body = await new Response(body.stream().pipeThrough(new CompressionStream('gzip'))).blob();
    headers['Content-Encoding'] = 'gzip';
  } catch {
    /* no CompressionStream: send it as it is */
  }
  let r: Response | undefined;
  try {
    r = await req(body, headers, body.size < 65000);
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
  while (S.c == 'granted' && S.g !== undefined && (q.length || views.size)) {
    if (Date.now() < until) return schedule(until - Date.now());
    const b = take();
    if (!b[0]) return; // all of views not kept
    if (!(await post(b))) {
      q = b.concat(q).slice(-MAX_QUEUE);
    }
  }
};

/** Sends everything waiting; resolves when the queue is empty or sending must wait (backoff, consent). */
export const send = (): Promise<void> =>
  inflight || (inflight = drain()
    .catch(() => undefined) // never an unhandled rejection in the page
    .finally(() => (inflight = 0)));

/** Synchronous last-chance send when the page is hidden or left. */
export const beacon = (): void => {
  if (S.c != 'granted' || S.g === undefined || S.q > Date.now()) return;
  for (let b = take(); b.length; b = take()) {
    const body = json(b);
    let ok: boolean | undefined;
    try {
      ok = navigator.sendBeacon(api('intake'), body);
    } catch {
      /* no sendBeacon */
    }
    if (!ok) req(body, { 'Content-Type': 'text/plain' }, true).catch(() => 0);
  }
};
