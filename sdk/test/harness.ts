// Shared set-up for the unit tests: the SDK state with a recording fetch in
// place of the network, and helpers to read what was sent.
import { gunzipSync } from 'node:zlib';
import { S } from '../src/state.js';
import { initTransport } from '../src/transport.js';
import type { Options, View } from '../src/types.js';

export interface Sent {
  url: string;
  init: RequestInit;
  body: {
    sdk: unknown;
    session: { id: string; user_id?: string; rate?: number; key?: boolean };
    context: Record<string, unknown>;
    sent_at: number;
    events: Record<string, any>[];
  };
}

/** Answers for the next requests (default 202). */
export const answers: (() => Response)[] = [];
export const sent: Sent[] = [];
/** Requests for the sampling config, and the answers to them (default 404: the SDK falls back to the page's rates). */
export const configs: { url: string; init: RequestInit }[] = [];
export const configAnswers: (() => Response | Promise<Response>)[] = [];

export const fakeFetch = (async (url: string, init: RequestInit = {}) => {
  if (url.includes('/api/v1/sdk-config')) {
    configs.push({ url, init });
    const a = configAnswers.shift();
    return a ? a() : new Response('{"error":"unknown_key"}', { status: 404 });
  }
  // a small batch is sent as a string, a large one as a gzip Blob
  const body = init.body as Blob | string;
  const raw = typeof body == 'string' ? Buffer.from(body) : Buffer.from(await body.arrayBuffer());
  const gz = (init.headers as Record<string, string>)['Content-Encoding'] == 'gzip';
  sent.push({ url, init, body: JSON.parse((gz ? gunzipSync(raw) : raw).toString()) });
  const a = answers.shift();
  if (a) return a();
  return new Response('{"accepted":1}', { status: 202 });
}) as unknown as typeof fetch;

export const view = (over: Partial<View> = {}): View => ({
  id: 'view-1',
  sid: 'session-1',
  ss: true,
  n: 0,
  s: Date.now(),
  u: location.href,
  k: location.pathname,
  url: location.href,
  route: location.pathname,
  lt: 'initial_load',
  m: { error_count: 0, action_count: 0, resource_count: 0, long_task_count: 0, frustration_count: 0 },
  ...over,
});

/** Puts the SDK in the state `init` leaves it in, minus the collectors. */
export const setup = (o: Partial<Options> = {}, v: View = view()): View => {
  S.o = { endpoint: 'https://fovea.example', key: 'k1', flushInterval: 1000, ...o };
  S.c = o.consent == 'pending' ? 'pending' : 'granted';
  // the sampling config failed: the page's own rates, as before it existed
  S.g = 0;
  S.d = undefined;
  S.q = 0;
  S.x = false;
  S.a = {};
  S.u = undefined;
  S.v = S.p = v;
  S.r = [v];
  sent.length = 0;
  answers.length = 0;
  configs.length = 0;
  configAnswers.length = 0;
  initTransport(fakeFetch);
  return v;
};

/** Every event sent so far, in order. */
export const events = (type?: string): Record<string, any>[] =>
  sent.flatMap((s) => s.body.events).filter((e) => !type || e.type == type);

/**
 * Lets promise chains settle, including gzip (zlib works on libuv's thread
 * pool, so this yields for real time: `performance.now` is not mocked).
 */
export const settle = async (ms = 40): Promise<void> => {
  const end = performance.now() + ms;
  while (performance.now() < end) await new Promise((r) => setImmediate(r));
};
