/** Rounds a duration to whole ms, keeping `undefined` (absent) absent; negative and NaN are absent too. */
export const round = (n: number | undefined): number | undefined => (n! >= 0 ? Math.round(n!) : undefined);
