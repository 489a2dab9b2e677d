import type { Consent, Options, View } from './types.js';

/** The SDK's whole mutable state, shared by the collectors. */
export const S: {
  /** options given to init (undefined before init) */
  o?: Options;
  /** consent */
  c: Consent;
  /** global context from setContext (sent as `attrs`) */
  a: Record<string, unknown>;
  /** user id from setUser */
  u?: string;
  /** current view, page view (initial load or bfcache restore), recent views */
  v?: View;
  p?: View;
  r: View[];
} = { c: 'granted', a: {}, r: [] };

import { scrubUrl } from './lib/scrub.js';

/** Scrubs a URL with the default and configured sensitive keys. */
export const scrub = (url: string): string => scrubUrl(url, S.o!.scrubQueryParams);
