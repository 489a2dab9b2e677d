/** Epoch ms of a `performance.now()`-relative time (default: now). */
export const epoch = (t?: number): number =>
  t == null ? Date.now() : Math.round(performance.timeOrigin + t);
