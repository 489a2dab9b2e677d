import { setView, track } from './emit.js';
import { inflight } from './tti.js';
import { load } from './replay.js';
import { S, scrub } from './state.js';
import type { Rule, SdkConfig, View } from './types.js';

/**
 * The deferred chunk, core side: only the loader. The chunk (src/deferred/)
 * holds what can wait until the server's sampling config is known, since
 * nothing is sent before: the rules engine, the automation signals, and the
 * resource and long-task collectors (the browser buffers their entries until
 * they are observed). It is imported at init, from beside the core script
 * (`fovea-deferred.min.js`; the app's bundler splits it from the npm
 * build), in parallel with the config; the core waits for both before
 * deciding (sampling.ts). Without it (not found, 5 s), the page's own rates
 * apply and those collectors do not run. Core and chunk meet on
 * `__foveaDeferred`, as with replay.
 */
declare const __ESM__: boolean;

export interface DeferredHook {
  /** the core's state, its event recorder and URL scrubber */
  S?: typeof S;
  t?: typeof track;
  s?: typeof scrub;
  /** performance.now() at init: fetch/XHR after it are network.ts's */
  n?: number;
  /** the core's view updater; the fetch/XHR requests in flight */
  u?: typeof setView;
  f?: () => number;
  /** set by the chunk: called with every new view (deferred/viewVitals.ts) */
  w?: (v: View) => void;
  /** set by the chunk: called with every pointerdown and keydown, from the core's activity listener (views.ts) */
  p?: (e: Event) => void;
  /** set by the chunk (deferred/rules.ts), for the page's options: the first rule a route matches, whether it is excluded */
  r?: (g: SdkConfig, route: string) => Rule;
  x?: (g: SdkConfig, route: string) => boolean;
  /** set by the chunk: the route of a view as the rules see it, the page's path as the server's template */
  e?: (v: View) => string;
  /** imports the chunk from a URL: import() unless set before (tests) */
  i?: (url: string) => Promise<unknown>;
}

export let D: DeferredHook;
/** resolves when the chunk ran (to 0 when it could not be loaded) */
export let deferred: Promise<unknown>;

export const loadDeferred = (): void => {
  D = (globalThis as { __foveaDeferred?: DeferredHook }).__foveaDeferred ||= {};
  Object.assign(D, { S, t: track, s: scrub, n: performance.now(), u: setView, f: inflight });
  // Beside the core script, else from the Fovea server (a page that
  // copied the core alone still gets it).
  const file = 'fovea-deferred.min.js';
  deferred = (async () => (__ESM__ ? import('./deferred/index.js') : load(D, file)))()
    .catch(() => load(D, file, `${S.o!.endpoint.replace(/\/+$/, '')}/sdk/${file}`))
    .catch(() => 0);
};
