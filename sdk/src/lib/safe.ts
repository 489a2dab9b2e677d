/**
 * Wraps a function so that nothing it throws can reach the host page:
 * "the SDK never throws into the host page". Every entry point, listener,
 * observer and timer callback of the SDK goes through this.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const safe = <A extends any[], R>(fn: (...a: A) => R) =>
  function (this: unknown, ...a: A): R | undefined {
    try {
      return fn.apply(this, a);
    } catch {
      /* swallowed: returns undefined */
    }
  };
