import { replayMode } from './lib/replayMode.js';
import { safe } from './lib/safe.js';
import { S } from './state.js';
import { F } from './transport.js';

/**
 * Session replay, core side: only the decision and the loader. Everything
 * else (rrweb, masking, segments, upload) is in the replay chunk
 * (src/replay/), loaded for the sessions picked for replay. Core and chunk
 * meet on one global object, `__foveaReplay` (ReplayHook): the core puts its
 * state and the page's original fetch there and loads the chunk; the chunk
 * registers `n` and from then on is told of every change.
 */
declare const __ESM__: boolean;

export interface ReplayHook {
  /** the core's state (options, consent, current view and session) */
  S?: typeof S;
  /** fetch as the page had it before the SDK wrapped it */
  f?: typeof fetch;
  /** manual override: 1 startReplay, 0 stopReplay, undefined sampling decides */
  m?: number;
  /** the chunk is being loaded */
  l?: 1;
  /** set by the chunk: 0 state changed (view, session, consent, m), 1 error */
  n?: (k: number) => void;
  /** loads the chunk from a URL: import() unless set before (tests) */
  i?: (url: string) => Promise<unknown>;
}

/** URL of the script that started the core, captured while it runs (document.currentScript is null later). */
let base: string | undefined;
export const captureBase = safe(() => {
  base = (document.currentScript as HTMLScriptElement | null)?.src;
});

/** Imports chunk `file` from beside the core script (or from `url`), through the hook's importer `h.i` (tests set it). */
export const load = (h: { i?: (url: string) => Promise<unknown> }, file: string, url?: string): Promise<unknown> =>
  // import(), not a <script> element: a URL string given to script.src
  // is refused on pages that require Trusted Types, import() is not.
  // The chunks have no exports, so they evaluate as modules just as well.
  (h.i ||= (x) => import(/* @vite-ignore */ /* webpackIgnore: true */ x))(url || new URL(file, base).href);

/** Tells replay about a change: 0 state, 1 error, 2 startReplay, 3 stopReplay. Loads the chunk when needed. */
export const replay = safe((k: number): void => {
  const h: ReplayHook = ((globalThis as { __foveaReplay?: ReplayHook }).__foveaReplay ||= {});
  h.S = S;
  h.f = F;
  if (k > 1) h.m = 3 - k;
  if (h.n) h.n(k);
  else if (!h.l && S.c == 'granted' && S.v?.ss && (h.m ?? replayMode(S.v, S.o!))) {
    h.l = 1;
    const u = S.o!.replayUrl;
    (__ESM__ && !u ? import('./replay/index.js') : load(h, 'fovea-replay.min.js', u)).catch(() => 0);
  }
});
