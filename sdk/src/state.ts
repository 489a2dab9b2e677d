import type { Consent, Options, SdkConfig, View } from './types.js';

/** The SDK's whole mutable state, shared by the collectors. */
export const S: {
  /** options given to init (undefined before init) */
  o?: Options;
  /** consent in effect: the page's, or denied while opted out */
  c: Consent;
  /** opted out (Fovea.optOut, the fovea_optout cookie) */
  x?: boolean;
  /** global context from setContext (sent as `attrs`) */
  a: Record<string, unknown>;
  /** user id from setUser */
  u?: string;
  /** current view, page view (initial load or bfcache restore), recent views */
  v?: View;
  p?: View;
  r: View[];
  /** the server's sampling config: undefined while it is fetched, 0 when it failed (the page's own rates apply) */
  g?: SdkConfig | 0;
  /** the session's sampling decision, sent in every batch header (`session.rate`, `session.key`) */
  d?: { rate: number; key?: true };
  /** epoch ms until which nothing is sent: the app is over its quota */
  q: number;
  /** automation signals (set by the deferred chunk), sent as `context.automation` */
  b?: string[];
} = { c: 'granted', a: {}, r: [], q: 0 };

import { scrubUrl } from './lib/scrub.js';

/** Scrubs a URL with the default and configured sensitive keys. */
export const scrub = (url: string): string => scrubUrl(url, S.o!.scrubQueryParams);
