// Generated from crates/schema/scrub.json by the build (scripts/scrub.mjs),
// so the SDK scrubs the keys the server scrubs, with its placeholder.
declare const __SCRUB_KEYS__: string;
declare const __SCRUB_PLACEHOLDER__: string;

/** Query (and fragment) keys whose values never leave the browser: a lowercase key contains a part, or is an exact key. */
const SENSITIVE = RegExp(__SCRUB_KEYS__);

/**
 * Replaces the values of sensitive query and fragment parameters with the
 * placeholder: the keys of scrub.json plus `extra` (exact), all
 * case-insensitive and matched on the decoded key, as the server does. Only
 * the part after the first `?` or `#` is touched.
 */
export const scrubUrl = (url: string, extra?: string[]): string =>
  url.replace(/[?#][^]*/, (q) =>
    q.replace(/([?&#;])([^=&#;]+)=([^&#;]*)/g, (m, sep: string, k: string) => {
      // unescape, not decodeURIComponent: it never throws on a malformed
      // escape, and decodes ASCII (all the keys are) the same
      const d = unescape(k).toLowerCase();
      return SENSITIVE.test(d) || extra?.some((x) => x.toLowerCase() == d) ? `${sep}${k}=${__SCRUB_PLACEHOLDER__}` : m;
    }),
  );
