/**
 * A fixed-window rate limiter: the returned function answers `true` for at
 * most `max` calls per minute, so an error storm or a janky page cannot
 * flood the queue (and the user's bandwidth).
 */
export const limiter = (max: number) => {
  let n = 0;
  let t = 0;
  return (now = Date.now()): boolean => {
    if (now - t > 60000) {
      t = now;
      n = 0;
    }
    return ++n <= max;
  };
};
