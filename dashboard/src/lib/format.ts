// Number and time formatting. Every number the dashboard shows goes through
// here, so the e2e tests can state what a card must read for an API value.

import type { Metric } from './thresholds';

export const DASH = '—';

function finite(v: number | null | undefined): v is number {
  return v != null && Number.isFinite(v);
}

/** Milliseconds: `812 ms`, `2.31 s`, `14.2 s`, `3 min 5 s`, `2 h 4 min`. */
export function formatMs(ms: number | null | undefined): string {
  if (!finite(ms)) return DASH;
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (abs < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms);
}

/** A span's duration, finer where backends are fast: `0 ms`, `<0.01 ms`, `0.42 ms`, `3.1 ms`, `812 ms`, `2.31 s`. */
export function formatFineMs(ms: number | null | undefined): string {
  if (!finite(ms)) return DASH;
  const abs = Math.abs(ms);
  if (abs === 0) return '0 ms';
  if (abs < 0.005) return '<0.01 ms';
  // the bounds round as the next format would: 0.999 is `1.0 ms`, 9.96 is `10 ms`
  if (abs < 0.995) return `${ms.toFixed(2)} ms`;
  if (abs < 9.95) return `${ms.toFixed(1)} ms`;
  return formatMs(ms);
}

/** A long duration: `45 s`, `3 min 5 s`, `2 h 4 min`, `3 d 2 h`. */
export function formatDuration(ms: number | null | undefined): string {
  if (!finite(ms)) return DASH;
  const s = Math.round(Math.abs(ms) / 1000);
  const sign = ms < 0 ? '-' : '';
  if (s < 60) return `${sign}${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${sign}${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return `${sign}${d} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** A layout-shift score: up to three decimals, no trailing zeros (`0.083`, `0.25`, `0`). */
export function formatCls(v: number | null | undefined): string {
  if (!finite(v)) return DASH;
  return String(Number(v.toFixed(3)));
}

export function formatMetric(metric: Metric, v: number | null | undefined): string {
  return metric === 'cls' ? formatCls(v) : formatMs(v);
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count with thousands separators: `1,234`. */
export function formatCount(n: number | null | undefined): string {
  if (!finite(n)) return DASH;
  return grouped.format(n);
}

/** A count for a card: `987`, `12.3k`, `4.5M`. */
export function formatCompact(n: number | null | undefined): string {
  if (!finite(n)) return DASH;
  const abs = Math.abs(n);
  if (abs < 10_000) return grouped.format(n);
  if (abs < 1_000_000) return `${trim1(n / 1000)}k`;
  if (abs < 1_000_000_000) return `${trim1(n / 1_000_000)}M`;
  return `${trim1(n / 1_000_000_000)}B`;
}

function trim1(x: number): string {
  return x >= 100 ? String(Math.round(x)) : String(Number(x.toFixed(1)));
}

/** A share in 0..1 as a percentage: `0%`, `<0.1%`, `3.5%`, `42%`, `100%`. */
export function formatPercent(share: number | null | undefined): string {
  if (!finite(share)) return DASH;
  const p = share * 100;
  if (p === 0) return '0%';
  if (p > 0 && p < 0.1) return '<0.1%';
  if (p < 10) return `${p.toFixed(1)}%`;
  return `${Math.round(p)}%`;
}

/** A share that matters near 100% (crash-free sessions): floored to 0.01%, so 99.996% never reads as 100%. */
export function formatHighShare(share: number | null | undefined): string {
  if (!finite(share)) return DASH;
  if (share >= 1) return '100%';
  // the epsilon keeps 0.29 (2899.999… ten-thousandths in binary) at 29%
  return `${Number((Math.floor(share * 10000 + 1e-6) / 100).toFixed(2))}%`;
}

export function formatBytes(n: number | null | undefined): string {
  if (!finite(n)) return DASH;
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const dateTime = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** An instant in the viewer's time zone: `25 Nov 2025, 21:48:03`. */
export function formatDateTime(ms: number | null | undefined): string {
  if (!finite(ms)) return DASH;
  return dateTime.format(new Date(ms));
}

/** The time of day of an instant in UTC: `14:07` (say `UTC` next to it). */
export function formatUtcTime(ms: number | null | undefined): string {
  // past ±8.64e15 ms a Date is invalid and toISOString throws
  if (!finite(ms) || Math.abs(ms) > 8.64e15) return DASH;
  return new Date(ms).toISOString().slice(11, 16);
}

/** Time relative to `now`: `just now`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function formatAgo(ms: number | null | undefined, now: number = Date.now()): string {
  if (!finite(ms)) return DASH;
  const d = now - ms;
  if (d < 45_000) return 'just now';
  if (d < 3_600_000) return `${Math.max(1, Math.round(d / 60_000))} min ago`;
  if (d < 86_400_000) return `${Math.round(d / 3_600_000)} h ago`;
  return `${Math.round(d / 86_400_000)} d ago`;
}

/** An offset from a session's start: `+0 ms`, `+1.25 s`. */
export function formatOffset(ms: number): string {
  return `+${formatMs(Math.max(0, ms))}`;
}
