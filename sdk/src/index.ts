import { cookie } from './lib/cookie.js';
import { initialConsent } from './lib/initialConsent.js';
import { safe } from './lib/safe.js';
import { initActions } from './actions.js';
import { track } from './emit.js';
import { initErrors, reportError } from './errors.js';
import { loadDeferred } from './deferred.js';
import { initNetwork } from './network.js';
import { replay } from './replay.js';
import { forgetConfig, loadConfig, ready } from './sampling.js';
import { cookieSnapshot, persistSession } from './session.js';
import { S } from './state.js';
import { clearQueue, holdKey, initTransport, send } from './transport.js';
import type { AddErrorOptions, Consent, Options } from './types.js';
import { initViews, startView as start } from './views.js';
import { initVitals } from './vitals.js';

export type { AddErrorOptions, FoveaEvent, Options, Propagator, TracingUrl } from './types.js';

/** consent as the page set it (S.c is denied while opted out) */
let chosen: Consent = 'granted';

/**
 * Puts consent and opt-out in effect: where the session lives, the queue
 * sent or dropped, the sampling config fetched (not for a user who opted
 * out or refused, whose stored config is deleted), replay told.
 */
const apply = (): void => {
  S.c = S.x ? 'denied' : chosen;
  persistSession(S.c);
  if (S.c == 'denied') {
    clearQueue();
    forgetConfig();
  } else {
    loadConfig();
    send();
  }
  replay(0);
};

/**
 * Starts collecting. Call once, as early as possible in the page. A second
 * call is ignored. Never throws.
 */
export const init = safe((options: Options): void => {
  if (S.o || !options?.endpoint || !options.key) return;
  // First: without a window (server-side rendering) this throws, into
  // safe(), before any state is set.
  initTransport(window.fetch);
  S.o = options;
  try {
    S.q = +localStorage.getItem(holdKey())! || 0;
  } catch {
    /* no storage: no hold from earlier pages */
  }
  // document.cookie is read once here, for the opt-out and the session
  // (synchronous IO); the snapshot is valid only while init runs
  try {
    S.x ||= /(^|;\s*)fovea_optout=1/.test(cookieSnapshot(document.cookie)!);
    chosen = initialConsent(options);
    loadDeferred();
    apply();
    initViews();
    initErrors();
    initNetwork();
    initVitals();
    if (options.trackActions !== false) initActions();
  } finally {
    cookieSnapshot();
  }
});

/** Records a custom action, e.g. `addAction('checkout', {items: 3})`. */
export const addAction = safe((name: string, context?: Record<string, unknown>): void =>
  track('action', { action_type: 'custom', name: String(name).slice(0, 100), attrs: context }),
);

/**
 * Reports a handled error (an Error, or anything) with optional context;
 * `fingerprint` groups it under that key instead of the server's fingerprint.
 */
export const addError = safe((error: unknown, context?: Record<string, unknown>, options?: AddErrorOptions): void =>
  reportError(
    'custom',
    error,
    { attrs: context, fingerprint: options?.fingerprint ? String(options.fingerprint).slice(0, 128) : undefined },
    undefined,
    true,
  ),
);

/** Sets the signed-in user (`id` is sent as `user_id`, other fields as `attrs.user`); `null` clears it. */
export const setUser = safe((user: ({ id: string | number } & Record<string, unknown>) | null): void => {
  const { id, ...rest } = user || ({} as { id?: undefined });
  S.u = id == null ? undefined : String(id);
  if (Object.keys(rest).length) S.a.user = rest;
  else delete S.a.user;
});

/** Adds a key to the context sent with every event (as `attrs`); `undefined` removes it. */
export const setContext = safe((key: string, value: unknown): void => {
  if (value === undefined) delete S.a[key];
  else S.a[key] = value;
});

/**
 * Grants or denies consent. Granted: the buffered events are sent and the
 * session is stored in a cookie. Denied: the buffer is dropped, the stored
 * session deleted and nothing more is collected until granted.
 */
export const setConsent = safe((consent: 'granted' | 'denied'): void => {
  if (!S.o) return;
  chosen = consent == 'granted' ? 'granted' : 'denied';
  apply();
});

/**
 * Opts this browser out of collection (`optOut()`), or back in
 * (`optOut(false)`): a first-party cookie `fovea_optout=1` for a year. Takes
 * effect at once (what waits is dropped, the stored session deleted) and on
 * every later page, whatever `setConsent` says. Callable before init.
 */
export const optOut = safe((out?: boolean): void => {
  S.x = out !== false;
  cookie('fovea_optout', S.x ? '1' : '', S.x ? 31536000 : 0);
  if (S.o) apply();
});

/** Starts a new view by hand (e.g. for a route change the History API does not show), optionally named. */
export const startView = safe((name?: string): void => {
  if (S.o) start(name);
});

/**
 * Records this page of the session from now on, whatever the replay sampling
 * decided (once consent is granted). Loads the replay chunk if needed.
 */
export const startReplay = (): void => {
  if (S.o) replay(2);
};

/** Stops recording this page and sends what was recorded. */
export const stopReplay = (): void => {
  if (S.o) replay(3);
};

/**
 * Sends everything queued now; resolves when done (or when sending must wait
 * for backoff or consent), after the sampling config if it is being fetched.
 * Needs no guard: send() only starts an async function.
 */
export const flush = (): Promise<void> => (S.o ? ready.then(send) : Promise.resolve());
