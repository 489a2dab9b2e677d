// A tiny history-API router: the location is state that every component can
// subscribe to; links push entries so the back button walks through views.

import { useEffect, useState } from 'preact/hooks';

export interface Loc {
  pathname: string;
  search: string;
  /** When this location was entered: presets such as "last 24 h" resolve against it. */
  at: number;
  /** Bumped by refresh(): queries fetch again even when their URL did not change. */
  epoch: number;
}

const EVENT = 'fovea:navigate';
const REFRESH = 'fovea:refresh';
let epoch = 0;

function current(): Loc {
  return { pathname: window.location.pathname, search: window.location.search, at: Date.now(), epoch };
}

/** Re-resolves the time range against now and fetches every query of the page again. */
export function refresh(): void {
  epoch += 1;
  window.dispatchEvent(new Event(REFRESH));
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const here = window.location.pathname + window.location.search;
  if (to === here && !opts.replace) {
    window.dispatchEvent(new Event(EVENT));
    return;
  }
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVENT));
  if (!opts.replace) window.scrollTo(0, 0);
}

export function useLocation(): Loc {
  const [loc, setLoc] = useState<Loc>(current);
  useEffect(() => {
    const update = () => setLoc(current());
    window.addEventListener('popstate', update);
    window.addEventListener(EVENT, update);
    window.addEventListener(REFRESH, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(EVENT, update);
      window.removeEventListener(REFRESH, update);
    };
  }, []);
  return loc;
}

/** For an `onClick` on an `<a href>`: plain left clicks navigate in-app, others go to the browser. */
export function linkClick(e: MouseEvent, href: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(href);
}
