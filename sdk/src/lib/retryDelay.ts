/**
 * How long to wait before retry number `attempt` (1, 2, ...): the server's
 * `Retry-After` (seconds or an HTTP date) when it gave one, else exponential
 * backoff from 1 s with jitter; capped at 5 minutes.
 */
export const retryDelay = (attempt: number, retryAfter?: string | null, now = Date.now()): number => {
  let ms = NaN;
  if (retryAfter) {
    ms = /^\d+$/.test(retryAfter.trim()) ? +retryAfter * 1000 : Date.parse(retryAfter) - now;
  }
  if (!(ms >= 0)) ms = Math.min(60000, 1000 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
  return Math.min(ms, 300000);
};
