import { retryDelay } from '../lib/retryDelay.js';
import { safe } from '../lib/safe.js';
import { H } from './hook.js';
import { body, type Segment } from './segment.js';
import { save } from './store.js';

/**
 * Upload of closed segments, one request at a time and in order, to
 * `POST {endpoint}/api/v1/replay?key=…`: gzipped with CompressionStream
 * where the browser has it, sent as `text/plain` without
 * `Content-Encoding` (the server reads the gzip magic bytes) so the request
 * is a simple one, without a CORS preflight; `keepalive` when the body fits
 * the browser's 64 KB keepalive budget. 408, 429, 5xx and network failures
 * are retried after `Retry-After` or the core's backoff, with the same index
 * (the server replaces the segment). Segments wait in memory, at most
 * MAX_QUEUED characters of events (the oldest dropped, and `onDrop` told, so
 * the recording can start again from a full snapshot).
 *
 * When the page is hidden or left, what is waiting goes out with sendBeacon
 * (uncompressed: compression is asynchronous) as long as it fits the
 * keepalive budget, and all of it is kept in sessionStorage for the next
 * page of the tab, which sends it again. While the page lives, memory is
 * the truth: the stored copy is replaced when it is shown again.
 */
export const MAX_QUEUED = 2_000_000;
export const KEEPALIVE = 64000;

let q: Segment[] = [];
let inflight: Promise<void> | 0 = 0;
/** the segment being sent */
let cur: Segment | undefined;
let timer: ReturnType<typeof setTimeout> | 0 = 0;
let attempt = 0;
let until = 0;
let onDrop: () => void = () => undefined;

export const setOnDrop = (f: () => void): void => {
  onDrop = f;
};

const url = (): string => {
  const o = H.S!.o!;
  return `${o.endpoint.replace(/\/+$/, '')}/api/v1/replay?key=${encodeURIComponent(o.key)}`;
};

/** Sends one segment; true when done with it (accepted, or refused for good). */
const post = async (g: Segment): Promise<boolean> => {
  let b = new Blob([body(g)], { type: 'text/plain' });
  try {
    b = await new Response(b.stream().pipeThrough(new CompressionStream('gzip'))).blob();
  } catch {
    /* no CompressionStream: plain JSON */
  }
  let r: Response | undefined;
  // Called as a plain function: as a method of the hook object, fetch
  // throws "Illegal invocation" (its `this` must be the window).
  const f = H.f!;
  try {
    r = await f(url(), {
      method: 'POST',
      body: b,
      headers: { 'Content-Type': 'text/plain' },
      keepalive: b.size < KEEPALIVE,
      credentials: 'omit',
    });
  } catch {
    /* offline or blocked: retry */
  }
  const st = r ? r.status : 0;
  // 2xx, and client errors a retry cannot fix (400, 403, 413, ...): done.
  if (st && st != 408 && st != 429 && st < 500) {
    attempt = 0;
    return true;
  }
  until = Date.now() + retryDelay(++attempt, r && r.headers.get('Retry-After'));
  return false;
};

const schedule = (ms: number): void => {
  timer ||= setTimeout(
    safe(() => {
      timer = 0;
      send();
    }),
    ms,
  );
};

const drain = async (): Promise<void> => {
  while (H.S?.c == 'granted' && q.length) {
    if (Date.now() < until) return schedule(until - Date.now());
    cur = q[0]!;
    const done = await post(cur);
    // the queue may have been dropped or beaconed meanwhile
    if (done && q[0] == cur) q.shift();
    cur = undefined;
  }
};

/** Sends what is waiting; resolves when all is sent or sending must wait (backoff, consent). */
export const send = (): Promise<void> =>
  inflight ||
  (inflight = drain()
    .catch(() => undefined)
    .finally(() => (inflight = 0)));

/** Queues closed segments (and sends them), keeping the queue bounded. */
export const enqueue = (...gs: Segment[]): void => {
  // the app is over its quota (the core's hold): dropped, not queued
  if (H.S!.q > Date.now()) return;
  q.push(...gs);
  let n = q.reduce((a, g) => a + g.e.length, 0);
  let dropped = false;
  while (n > MAX_QUEUED && q.length > 1 && q[0] != cur) {
    n -= q.shift()!.e.length;
    dropped = true;
  }
  if (dropped) onDrop();
  send();
};

/**
 * The page is hidden or left: beacon what fits, the segment in flight too
 * (its fetch may not outlive the page: compression is asynchronous), and
 * store every unacknowledged segment for the next page of the tab, the
 * beaconed ones too: a beacon is queued, not acknowledged. A segment that
 * arrives twice is stored once (the server replaces it by index).
 */
export const leave = (): void => {
  if (H.S?.c != 'granted') return;
  let budget = KEEPALIVE;
  const unsent: Segment[] = [];
  for (const g of q) {
    const b = new Blob([body(g)], { type: 'text/plain' });
    let ok = false;
    try {
      ok = b.size <= budget && navigator.sendBeacon(url(), b);
    } catch {
      /* no sendBeacon */
    }
    if (ok) budget -= b.size;
    else unsent.push(g);
  }
  save(q);
  q = unsent;
};

/** The page is shown again: memory is the truth again. */
export const back = (): void => save(q);

/** Drops everything waiting (consent withdrawn). */
export const drop = (): void => {
  q = [];
};

/** Segments waiting (unit tests). */
export const waiting = (): readonly Segment[] => q;

/** Resolves when the request in flight, if any, is done (unit tests). */
export const idle = (): Promise<void> => inflight || Promise.resolve();

/** Forgets all upload state (unit tests). */
export const resetUpload = (): void => {
  clearTimeout(timer);
  q = [];
  cur = undefined;
  timer = inflight = attempt = until = 0;
};
