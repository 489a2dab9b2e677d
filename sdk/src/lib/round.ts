/** Rounds a duration to whole ms, keeping `undefined` (absent) absent. */
export const round = (n: number | undefined): number | undefined =>
  n == null || n < 0 || n !== n ? undefined : Math.round(n);
