/**
 * How long to wait before retry number `attempt` (1, 2, ...): the server's
 * `Retry-After` seconds when it gave them, else exponential backoff from 1 s
 * (with jitter, at most 1 min); never more than 5 minutes.
 */
export const retryDelay = (attempt: number, retryAfter?: string | null): number =>
  Math.min(300000, +retryAfter! * 1000 || Math.min(60000, 1000 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
