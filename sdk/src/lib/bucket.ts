/**
 * The session's sampling bucket, 0..9999: FNV-1a (32-bit) over the UTF-8
 * bytes of the session id, modulo 10 000. The server computes the same
 * (crates/schema/sampling_vectors.json holds the cases both test), so a
 * session is kept at rate r (percent) iff `bucket < round(r * 100)`, on
 * every page and on both sides, and replay at a lower rate picks a subset
 * of the kept sessions.
 */
let memo: [string, number] | undefined;
export const bucket = (id: string): number => {
  if (memo?.[0] == id) return memo[1];
  let h = 2166136261;
  for (const b of new TextEncoder().encode(id)) h = Math.imul(h ^ b, 16777619) >>> 0;
  return (memo = [id, h % 10000])[1];
};

/** Whether the session with bucket `b` is kept at `rate` percent. */
export const kept = (b: number, rate: number): boolean => b < Math.round(rate * 100);
