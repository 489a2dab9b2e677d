import { D, deferred } from './deferred.js';
import { bucket, kept } from './lib/bucket.js';
import { safe } from './lib/safe.js';
import { replay } from './replay.js';
import { save, session, type Session } from './session.js';
import { S } from './state.js';
import { api, clearQueue, F, hold, schedule } from './transport.js';
import type { SdkConfig, View } from './types.js';

/**
 * The sampling decision, from the app's rules on the server
 * (`GET /api/v1/sdk-config`, fetched at init with the browser's normal
 * caching, so it is revalidated with its ETag). The answer is kept in
 * localStorage with the time it came (`fovea_c_<key>`, once consent is
 * granted) and the next pages of the app use it instead of asking, for
 * FRESH: asking costs a page load ~1 ms of main thread, and the pages of
 * a visit mostly come within minutes of each other. Until the answer (or
 * the stored config and the deferred chunk), views are undecided: their
 * events are collected and wait in the queue, and nothing is sent. Without
 * an answer (network error, not 2xx, 5 s) the page's own rates apply, as
 * before the rules existed.
 *
 * A view is kept when its session is kept at
 * `min(sessionSampleRate, rule.session_rate)`, rule = the first matching the
 * session's entry context (its first view's route, env, release, and the
 * device and country the server saw), read from the shared bucket
 * (lib/bucket.ts): every page takes the same decision under the rules of the
 * moment. A view whose own route matches a `keep` rule upgrades its
 * session for good: kept from that view on, at 100 %. Excluded envs send
 * nothing, a view on an excluded route nothing of that view. Routes are
 * matched as the server stores them: the page's path (no `routeName`) as
 * its template, `/orders/42` as `/orders/:id`. The rules engine, template
 * included, is in the deferred chunk (deferred/rules.ts), which the
 * decision waits for as for the config: without it, the page's rates apply.
 */
let asked = 0;
/**
 * How long a stored config is used instead of asking again: a change of
 * rules reaches every browser within 5 minutes (a third of the session's
 * 15 idle minutes), and a visit's pages ask about once per 5 minutes, not
 * at every page. The quota hold does not wait for it: a 429 holds at once,
 * and the hold has its own storage (transport.ts).
 */
export const FRESH = 5 * 60 * 1000;

/** localStorage key of this app's last config: `<epoch ms it came> <json>` */
const ck = (): string => 'fovea_c_' + S.o!.key;

/** The config stored by an earlier page, if fresh (read while consent is granted or pending, as the session). */
const stored = (): SdkConfig | undefined => {
  try {
    const s = localStorage.getItem(ck()) || '';
    const i = s.indexOf(' ');
    const age = Date.now() - +s.slice(0, i);
    // (a clock set back makes it stale, not fresh for longer)
    if (i > 0 && age >= 0 && age < FRESH) return JSON.parse(s.slice(i + 1));
  } catch {
    /* no storage, or unreadable: asked */
  }
};

/** Deletes the stored config (consent denied: it holds what the server saw of this browser, its country). */
export const forgetConfig = (): void => {
  try {
    localStorage.removeItem(ck());
  } catch {
    /* nothing stored */
  }
};
/** resolves when the decision can be taken (the config, or its fallback) */
export let ready: Promise<unknown> = Promise.resolve();

/**
 * Decides whether view `v` is kept (`v.ss`), and notes the decision for the
 * batch header. Views of another session than the current one stay
 * undecided (and unsent).
 */
export const judge = safe((v: View, x: Session = session(false)): void => {
  const g = S.g;
  if (x.id != v.sid) return;
  if (g !== undefined) {
    // the view's route as the rules see it: the page's path as the
    // server's template (without the chunk, as sent); the session's entry
    // route is stored so, hence only now
    const t = D?.e?.(v) ?? v.route;
    const was = `${x.r}${x.k}`;
    const out = g && D.x!(g, t);
    let rate = S.o!.sessionSampleRate ?? 100;
    x.r ||= t;
    v.ss = false;
    if (g && !out) {
      x.k ||= !!D.r!(g, t).keep;
      const r = D.r!(g, x.r);
      rate = Math.min(rate, r.session_rate);
      v.rr = r.replay_rate;
    }
    // (stored only when the entry route or the upgrade is new: a cookie write)
    if (`${x.r}${x.k}` != was) save(x);
    if (out) return;
    if (x.k) rate = 100;
    if ((v.ss = kept(bucket(x.id), rate))) S.d = { rate, key: x.k || undefined };
  }
});

/**
 * Takes the config (or, without, the page's rates) and decides the views
 * so far. Also called when the page is hidden before the config came: a
 * short visit is sent under the page's rates rather than lost (the server
 * applies the rules again).
 */
export const decide = (g?: SdkConfig): void => {
  if (S.g === undefined) {
    S.g = g?.default ? g : 0;
    if (g && g.quota_until! > Date.now()) {
      hold(g.quota_until!);
      clearQueue();
    }
    S.r.forEach((v) => judge(v));
    replay(0);
  }
};

/** Takes the config (stored, else fetched; once), at most 5 s, then lets the queue go. */
export const loadConfig = (): void => {
  if (asked++ || S.g !== undefined) return;
  ready = Promise.race([
    // Default caching: the browser revalidates with If-None-Match (304).
    // async: a fetch that throws at once rejects instead.
    (async () => {
      let g: SdkConfig | false | undefined = stored();
      if (!g) {
        const r = await F(api('sdk-config'), { credentials: 'omit' });
        g = r.ok && ((await r.json()) as SdkConfig);
        if (g && S.c == 'granted')
          try {
            localStorage.setItem(ck(), `${Date.now()} ${JSON.stringify(g)}`);
          } catch {
            /* asked again next page */
          }
      }
      // the rules engine is in the deferred chunk: without it, no rules
      return (await deferred) && g;
    })(),
    // with a stored config too: the deferred chunk it waits for may not come
    new Promise((r) => setTimeout(r, 5000)),
  ])
    .then((g) => decide(g as SdkConfig), () => decide());
  // what waited leaves with the next scheduled send, not at once: a send
  // costs the page ~1.5 ms of main thread, and the first flushInterval
  // usually ends after the answer anyway
  ready.then(() => schedule(), () => 0);
};

/** Forgets the config (unit tests only; tree-shaken from builds). */
export const resetConfig = (): void => {
  asked = 0;
  ready = Promise.resolve();
  S.g = S.d = undefined;
};
