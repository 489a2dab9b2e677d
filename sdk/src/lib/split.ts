/**
 * Rounds consecutive phases so that they still add up to their rounded
 * total: each phase is the difference of rounded running sums.
 */
export const split = (parts: number[]): number[] => {
  let sum = 0;
  let prev = 0;
  return parts.map((p) => {
    const r = Math.round((sum += p));
    const d = r - prev;
    prev = r;
    return d;
  });
};
