import { observe } from './lib/observe.js';
import { safe } from './lib/safe.js';

/**
 * Time to Interactive, estimated as Lighthouse does it: the end of the last
 * long task before the first 5 s window after FCP with no long task and at
 * most 2 requests (fetch/XHR, as instrumented) in flight; FCP when there is
 * no long task. Only for the initial page load, and only where the browser
 * reports long tasks.
 */
let fcp = 0;
let last = 0;
let quiet = 0;
let n = 0;
let done = false;
let timer: ReturnType<typeof setTimeout> | undefined;
let report: (tti: number) => void;

const arm = (): void => {
  if (!fcp || done) return;
  clearTimeout(timer);
  const c = Math.max(fcp, last);
  timer = setTimeout(
    safe(() => {
      if (n > 2) return; // re-armed when requests settle
      done = true;
      report(Math.round(c));
    }),
    Math.max(c, quiet) + 5000 - performance.now(),
  );
};

/** The fetch/XHR requests in flight. */
export const inflight = (): number => n;

/** Requests in flight went up (+1) or down (-1). */
export const ttiNet = (d: number): void => {
  n += d;
  if (d < 0 && n == 2) {
    quiet = performance.now();
    arm();
  }
};

/** Starts the estimate once FCP (ms since navigation start) is known. */
export const startTTI = (f: number, cb: (tti: number) => void): void => {
  if (fcp) return;
  fcp = f;
  report = cb;
  // Where long tasks cannot be observed (Firefox, Safari) there is no
  // estimate: FCP would pass for TTI.
  done = !observe('longtask', (es: PerformanceEntry[]) => {
    for (const e of es) last = Math.max(last, e.startTime + e.duration);
    arm();
  });
  arm();
};
