import { retryDelay } from './lib/retryDelay.js';
import { safe } from './lib/safe.js';
import { S } from './state.js';

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
 * consent is granted.
 */
declare const __VERSION__: string;

export const MAX_QUEUE = 1000;
const MAX_EVENTS = 100;
const MAX_BYTES = 60000;

let q: string[] = [];
const views = new Map<string, string>();
let timer: ReturnType<typeof setTimeout> | 0 = 0;
let inflight: Promise<void> | 0 = 0;
let attempt = 0;
let until = 0;
export let F: typeof fetch;

/** Captures the page's fetch before anything wraps it. */
export const initTransport = (f: typeof fetch): void => {
  F = f;
};

const url = () => `${S.o!.endpoint.replace(/\/+$/, '')}/api/v1/intake?key=${encodeURIComponent(S.o!.key)}`;

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

/** Queues one event (already serialised). */
export const enqueue = (ev: string): void => {
  q.push(ev);
  if (q.length > MAX_QUEUE) q.shift();
  if (q.length >= 50) send();
  else schedule();
};

/** Queues a view snapshot, replacing any unsent older version of it. */
export const enqueueView = (id: string, ev: string): void => {
  views.set(id, ev);
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

/** Takes the next batch off the queue. */
const take = (): string[] => {
  views.forEach((v) => q.push(v));
  views.clear();
  const b: string[] = [];
  for (let n = 0; q.length && b.length < MAX_EVENTS; ) {
    n += q[0]!.length;
    if (n > MAX_BYTES && b.length) break;
    b.push(q.shift()!);
  }
  return b;
};

const json = (b: string[]): string => {
  const nav = navigator as Navigator & { connection?: { effectiveType?: string } };
  return `${JSON.stringify({
    sdk: { name: 'fovea-browser', version: __VERSION__ },
    session: { id: S.v?.sid, user_id: S.u },
    context: {
      env: S.o!.env,
      release: S.o!.release,
      connection: nav.connection?.effectiveType,
      viewport: `${innerWidth}x${innerHeight}`,
    },
    sent_at: Date.now(),
  }).slice(0, -1)},"events":[${b.join(',')}]}`;
};

/** POSTs a body to the intake through the page's original fetch, without cookies. */
const req = (body: BodyInit, headers: Record<string, string>, keepalive: boolean) =>
  F(url(), { method: 'POST', body, headers, keepalive, credentials: 'omit' });

/** Sends one batch; true when it is done with (accepted, or refused for good). */
const post = async (b: string[]): Promise<boolean> => {
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
  until = Date.now() + retryDelay(++attempt, r?.headers.get('Retry-After'));
  return false;
};

const drain = async (): Promise<void> => {
  await 0;
  while (S.c == 'granted' && (q.length || views.size)) {
    if (Date.now() < until) return schedule(until - Date.now());
    const b = take();
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
  if (S.c != 'granted') return;
  for (let b = take(); b.length; b = take()) {
    const body = json(b);
    let ok: boolean | undefined;
    try {
      ok = navigator.sendBeacon(url(), body);
    } catch {
      /* no sendBeacon */
    }
    if (!ok) req(body, { 'Content-Type': 'text/plain' }, true).catch(() => 0);
  }
};
