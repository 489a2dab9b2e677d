// Layout of a session timeline: where each event sits on a 0..100 % track.

export interface Placed<E> {
  event: E;
  /** ms from the session start */
  offset: number;
  duration: number;
  /** percent of the track */
  left: number;
  width: number;
}

export function layoutTimeline<E extends { ts: number }>(
  events: E[],
  duration: (e: E) => number,
  bounds?: { start: number; end: number },
): { start: number; end: number; span: number; placed: Placed<E>[] } {
  let start = bounds?.start ?? Infinity;
  let end = bounds?.end ?? -Infinity;
  for (const e of events) {
    start = Math.min(start, e.ts);
    end = Math.max(end, e.ts + Math.max(0, duration(e)));
  }
  if (!Number.isFinite(start)) start = 0;
  if (!Number.isFinite(end) || end < start) end = start;
  const span = Math.max(1, end - start);
  const placed = events.map((event) => {
    const offset = event.ts - start;
    const d = Math.max(0, duration(event));
    const left = Math.min(100, Math.max(0, (offset / span) * 100));
    const width = Math.min(100 - left, (d / span) * 100);
    return { event, offset, duration: d, left, width };
  });
  return { start, end, span, placed };
}

/** Round tick positions for an axis of `span` ms: about `n` ticks at 1/2/5×10^k steps. */
export function ticks(span: number, n = 5): number[] {
  if (span <= 0) return [0];
  const raw = span / n;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) out.push(Math.round(t));
  return out;
}
