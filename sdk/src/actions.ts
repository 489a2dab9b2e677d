import { FIELD, actionTarget } from './lib/actionTarget.js';
import { on } from './lib/on.js';
import { safe } from './lib/safe.js';
import { selector } from './lib/selector.js';
import { track } from './emit.js';
import { S } from './state.js';
import type { View } from './types.js';

/**
 * Clicks and frustration signals. A click waits one second before it is
 * sent, so what followed it is known:
 * - rage: 3 or more clicks, each within 1 s of the previous one and within
 *   100 px of the first, become one action flagged `rage`;
 * - dead: nothing happened within 1 s (no DOM mutation, no request, no
 *   navigation) after a click on an element that is not a form field or link;
 * - error: an error was reported within 1 s after the click.
 */
interface Click {
  t: number;
  x: number;
  y: number;
  name: string;
  target?: string;
  /** a form field or link: never dead */
  f: boolean;
  /** a form field: never rage (triple-click selects text) */
  i: boolean;
  v?: View;
}

export const WINDOW = 1000;
const NO_DEAD = `${FIELD},label,option,a[href]`;

let chain: Click[] = [];
let acts: number[] = [];
let errs: number[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;
let mo: MutationObserver | undefined;

/** Something happened (DOM mutation, request, navigation): a pending click is not dead. */
export const activity = (): void => {
  if (chain.length) acts.push(Date.now());
};

/** An error was reported: a pending click within 1 s is an error click. */
export const clickError = (t: number): void => {
  if (chain.length) errs.push(t);
};

const flags = (from: number, to: number, field: boolean, nav?: boolean): string[] => {
  const f: string[] = [];
  const within = (t: number) => t >= from && t <= to;
  if (!nav && !field && !acts.some(within)) f.push('dead');
  if (errs.some(within)) f.push('error');
  return f;
};

/** Sends the pending clicks (`nav`: the page is being left, which counts as activity). */
export const flushClicks = (nav?: boolean): void => {
  const c = chain;
  if (!c.length) return;
  clearTimeout(timer);
  mo?.disconnect();
  mo = undefined;
  const rage = c.some((k, i) => !k.i && c[i + 2] && c[i + 2]!.t - k.t <= WINDOW);
  const send = (k: Click, f: string[]) => {
    if (f.length && k.v) k.v.m.frustration_count++;
    track(
      'action',
      { action_type: 'click', name: k.name, target: k.target, x: k.x, y: k.y, frustration: f.length ? f : undefined },
      k.t,
      k.v,
    );
  };
  if (rage) send(c[0]!, ['rage', ...flags(c[0]!.t, c.at(-1)!.t + WINDOW, c[0]!.f, nav)]);
  else for (const k of c) send(k, flags(k.t, k.t + WINDOW, k.f, nav));
  chain = [];
  acts = [];
  errs = [];
};

export const onClick = (e: MouseEvent): void => {
  // First: a target that is no element (a click dispatched on document)
  // throws here, into on()'s guard, before anything changed.
  const [target, name] = actionTarget(e.target as Element, S.o!.actionNamePrivacy == 'mask');
  const t = Date.now();
  const x = Math.round(e.clientX);
  const y = Math.round(e.clientY);
  const last = chain.at(-1);
  if (last && (t - last.t > WINDOW || Math.hypot(x - chain[0]!.x, y - chain[0]!.y) > 100)) flushClicks();
  chain.push({ t, x, y, name, target: selector(target), f: !!target.closest(NO_DEAD),
    i: !!target.closest(FIELD),
    v: S.v,
  });
  // one mutation tells; observing the whole document costs every change the page makes
  if (!mo)
    (mo = new MutationObserver(() => {
      activity();
      mo?.disconnect();
      mo = undefined;
    })).observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
  clearTimeout(timer);
  timer = setTimeout(safe(flushClicks), WINDOW + 50);
};

export const initActions = (): void => on(window, 'click', onClick);
