import type { Point } from './types';

/** Counts instants into `n` equal bins over [from, to): points for a bar chart. */
export function binCounts(times: number[], from: number, to: number, n: number): Point[] {
  const width = Math.max(1, Math.ceil((to - from) / Math.max(1, n)));
  const bins = Array.from({ length: Math.max(1, n) }, (_, i) => ({ t: from + i * width, value: 0 as number | null }));
  for (const t of times) {
    if (t < from || t >= to) continue;
    const i = Math.min(bins.length - 1, Math.floor((t - from) / width));
    const b = bins[i];
    if (b) b.value = (b.value ?? 0) + 1;
  }
  return bins;
}
