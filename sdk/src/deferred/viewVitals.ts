import { observe } from '../lib/observe.js';
import { safe } from '../lib/safe.js';
import { selector } from '../lib/selector.js';
import { split } from '../lib/split.js';
import { vitalsSelector } from '../lib/vitalsSelector.js';
import type { View } from '../types.js';
import { H } from './hook.js';

/**
 * CLS and INP of each view, and a route change's duration. web-vitals
 * reports CLS and INP for the page (per soft navigation in Chromium only),
 * so a route change would inherit the worst shift or interaction of the
 * routes before it; here each entry goes to the view it happened in, by its
 * start time, and every view starts from zero, as Datadog's views do.
 * - CLS: web-vitals' definition (the largest session window: shifts less
 *   than 1 s apart, at most 5 s long, none right after an input) within the
 *   view; `cls_target` names the first element source of the window's
 *   largest shift, as web-vitals' attribution does, while it is processed.
 * - INP: the view's worst interaction (Event Timing entries grouped by
 *   interactionId), or one in 50 discarded past 50 interactions as
 *   web-vitals estimates the 98th percentile; its phases (input delay,
 *   processing, presentation: they add up to the INP) and its target, named
 *   at the input (a menu or modal removed by the interaction itself has no
 *   target in its entry by the time the entry is reported).
 * - route_change_duration: from the route change until the page settled
 *   (no DOM mutation and no fetch/XHR in flight for 100 ms), at least one
 *   frame; none when the next route change or 10 s came first.
 * The browser buffers layout shifts and slow events from before this chunk
 * ran, so starting here loses nothing.
 */
interface Shift extends PerformanceEntry {
  value: number;
  hadRecentInput: boolean;
  sources?: { node?: Node | null }[];
}

interface Input extends PerformanceEntry {
  interactionId?: number;
  processingStart: number;
  processingEnd: number;
  target?: Node | null;
}

/** An interaction: its id, duration, start, processing span, target, type. */
interface Act {
  id: number;
  d: number;
  s: number;
  ps: number;
  pe: number;
  t?: string;
  k: string;
}

/** A view's state: worst session window, current one (sum, first, last, largest shift and its target), interactions. */
interface State {
  c: number;
  w: number;
  f: number;
  l: number;
  b: number;
  bt?: string;
  a: Act[];
  n: number;
}

const states = new WeakMap<View, State>();
/** the targets of recent inputs, named when they happened: [timeStamp, selector] */
const inputs: [number, string | undefined][] = [];

const state = (v: View): State => {
  let s = states.get(v);
  if (!s) states.set(v, (s = { c: 0, w: 0, f: 0, l: -1e9, b: 0, a: [], n: 0 }));
  return s;
};

/** The view an entry (performance.now time) happened in: the last one started by then. */
const viewAt = (t: number): View | undefined => {
  const e = performance.timeOrigin + t + 1;
  return H.S!.r.findLast((v) => v.s <= e);
};

export const initViewVitals = (): void => {
  const { S, u: setView } = H;
  const cls = observe('layout-shift', (es: Shift[]) => {
    for (const e of es) {
      const v = !e.hadRecentInput && viewAt(e.startTime);
      if (!v) continue;
      const s = state(v);
      if (e.startTime - s.l > 1000 || e.startTime - s.f > 5000) {
        s.w = s.b = 0;
        s.f = e.startTime;
      }
      s.w += e.value;
      s.l = e.startTime;
      if (e.value > s.b) {
        s.b = e.value;
        const src = e.sources?.find((x) => x.node?.nodeType === 1) || e.sources?.[0];
        s.bt = src?.node ? vitalsSelector(src.node) : undefined;
      }
      if (s.w > s.c) {
        s.c = s.w;
        setView!(v, { cls: Math.round(s.c * 1e4) / 1e4, cls_target: s.bt });
      }
    }
  });

  // pointerdown and keydown, from the core's listener (views.ts)
  H.p = safe((e: Event) => {
    inputs.push([e.timeStamp, selector(e.target as Element)]);
    if (inputs.length > 20) inputs.shift();
  });
  const inp = (es: Input[]) => {
    for (const e of es) {
      const v = e.interactionId && viewAt(e.startTime);
      if (!v) continue;
      const s = state(v);
      let x = s.a.find((a) => a.id == e.interactionId);
      if (!x) {
        s.n++;
        s.a.push((x = { id: e.interactionId!, d: 0, s: e.startTime, ps: e.processingStart, pe: 0, k: /^key/.test(e.name) ? 'keyboard' : 'pointer' }));
      }
      x.d = Math.max(x.d, e.duration);
      x.s = Math.min(x.s, e.startTime);
      x.ps = Math.min(x.ps, e.processingStart);
      x.pe = Math.max(x.pe, e.processingEnd);
      x.t ||= e.target?.isConnected ? selector(e.target as Element) : inputs.findLast((i) => i[0] <= e.startTime + 1)?.[1];
      // the 10 longest are enough for the estimate
      s.a.sort((p, q) => q.d - p.d).splice(10);
      const w = s.a[Math.min(s.a.length - 1, (s.n / 50) | 0)]!;
      // The browser rounds an entry's duration to 8 ms, not its processing
      // times: the handlers may end after the rounded end. Clamped into it,
      // so that no phase is negative and the three add up to the INP.
      const end = w.s + w.d;
      const ps = Math.min(Math.max(w.ps, w.s), end);
      const pe = Math.min(Math.max(w.pe, ps), end);
      const [id, pr, pd] = split([ps - w.s, pe - ps, end - pe]);
      setView!(v, { inp: Math.round(w.d), inp_target: w.t, inp_type: w.k, inp_input_delay: id, inp_processing: pr, inp_presentation: pd });
    }
  };
  observe('event', inp, { durationThreshold: 40 });
  observe('first-input', inp);

  // CLS starts at 0 where shifts are observable; views started before
  // the chunk ran are caught up here, the later ones when they start.
  const started = (v: View) => {
    if (cls && v.m.cls == null) setView!(v, { cls: 0 });
    if (v.lt == 'route_change') settle(v);
  };
  S!.r.forEach(started);
  H.w = safe(started);
};

/** Measures route change `v` until the page settles (see above). */
const settle = (v: View): void => {
  const t0 = v.s - performance.timeOrigin;
  let last = t0;
  let frame = 0;
  requestAnimationFrame(() => (frame = last = Math.max(last, performance.now())));
  const mo = new MutationObserver(() => (last = performance.now()));
  mo.observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
  // a timer's callback: guarded, nothing may reach the page
  const check: () => void = safe((): void => {
    const now = performance.now();
    if (H.f!()) last = now;
    if (H.S!.v == v && now - t0 <= 10000 && (!frame || now - last < 100)) setTimeout(check, 50);
    else {
      mo.disconnect();
      if (H.S!.v == v && frame && now - t0 <= 10000) H.u!(v, { route_change_duration: Math.round(last - t0) });
    }
  });
  setTimeout(check, 50);
};
