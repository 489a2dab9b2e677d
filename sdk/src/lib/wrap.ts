import { safe } from './safe.js';

/**
 * Replaces method `k` of `o` by one that calls the original with the same
 * `this` and arguments and returns what it returns, and calls `fn` with
 * `this` and the arguments before it (`after`: once it returned). `fn` is
 * guarded: what it throws never reaches the caller.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const wrap = <T, K extends keyof T>(o: T, k: K, fn: (self: any, a: any) => void, after?: boolean): void => {
  const f = o[k] as (...a: unknown[]) => unknown;
  const g = safe(fn);
  o[k] = function (this: unknown, ...a: unknown[]) {
    if (!after) g(this, a);
    const r = f.apply(this, a);
    if (after) g(this, a);
    return r;
  } as T[K];
};
