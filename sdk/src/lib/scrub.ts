/** Query (and fragment) keys whose values never leave the browser. */
const SENSITIVE = /token|passw|secret|session|email|^code$|auth|api.?key|^key$|^sig|signature|jwt|otp/i;

/**
 * Replaces the values of sensitive query and fragment parameters with
 * `[scrubbed]`: the defaults above plus `extra` (exact, case-insensitive).
 * Only the part after the first `?` or `#` is touched.
 */
export const scrubUrl = (url: string, extra?: string[]): string => {
  const i = url.search(/[?#]/);
  return i < 0
    ? url
    : url.slice(0, i) +
        url.slice(i).replace(/([?&#;])([^=&#;]+)=([^&#;]*)/g, (m, sep: string, k: string) =>
          SENSITIVE.test(k) || (extra && extra.some((x) => x.toLowerCase() == k.toLowerCase()))
            ? `${sep}${k}=[scrubbed]`
            : m,
        );
};
