import { limiter } from './lib/limiter.js';
import { matches } from './lib/matches.js';
import { on } from './lib/on.js';
import { wrap } from './lib/wrap.js';
import { clickError } from './actions.js';
import { track } from './emit.js';
import { replay } from './replay.js';
import { S, scrub } from './state.js';

/**
 * Errors: uncaught errors, unhandled rejections, resource load failures
 * (capture-phase `error` on img/script/link/media), failed requests (from
 * network.ts), `console.error` (opt-in) and `addError`, all through
 * reportError, where `ignoreErrors` and `denyUrls` apply. At most 100 errors
 * a minute leave the page (ignored ones do not count).
 */
const allow = limiter(100);

const str = (x: unknown): string => {
  try {
    return typeof x == 'string' ? x : JSON.stringify(x);
  } catch {
    return String(x);
  }
};

/** File of the top stack frame: `at f (URL:1:2)`, `at URL:1:2` (V8), `f@URL:1:2`, `URL:1:2` (Firefox, Safari). */
const FRAME = /(?:^|@|\(|at )([^\s()@]+?):\d+:\d+/m;

/**
 * Reports `err` (an Error, or anything thrown) from `source`; `f` adds or
 * overrides fields. `url` is the script it came from when the stack may not
 * say (an error event's filename): `denyUrls` is tested against it, else the
 * failing resource's URL, else the top frame's file.
 */
export const reportError = (source: string, err: unknown, f?: Record<string, unknown>, url?: string, handled = false): void => {
  const t = Date.now();
  const e = (err && typeof err == 'object' && 'message' in err ? err : { message: str(err) }) as Error;
  const kind = (f?.kind as string) || e.name || 'Error';
  const message = String(e.message).slice(0, 2000) || 'Error';
  const stack = typeof e.stack == 'string' ? e.stack.slice(0, 20000) : undefined;
  if (
    matches(S.o!.ignoreErrors, 'includes', message, `${kind}: ${message}`) ||
    matches(S.o!.denyUrls, 'includes', url || (f?.resource_url as string) || stack?.match(FRAME)?.[1] || '') ||
    !allow(t)
  )
    return;
  track('error', { source, kind, message, stack, handled, ...f }, t);
  clickError(t);
  replay(1);
};

export const initErrors = (): void => {
  on(window, 'error', (e: ErrorEvent) => {
    // an element (window, the target of a script error, has no localName)
    const el = e.target as (Element & { src?: string; href?: string; currentSrc?: string }) | null;
    if (el?.localName) {
      // A resource failed to load: the event fires on the element and does
      // not bubble, so only a capturing listener on window sees it.
      const u = scrub(el.currentSrc || el.src || el.href || '');
      reportError('resource', { name: 'ResourceError', message: `${el.localName} failed to load: ${u.split(/[?#]/)[0]}` }, { resource_url: u });
    } else
      reportError(
        'source',
        e.error ?? { message: e.message, stack: e.filename && `${e.message}\n    at ${e.filename}:${e.lineno}:${e.colno}` },
        undefined,
        e.filename,
      );
  });
  on(window, 'unhandledrejection', (e: PromiseRejectionEvent) =>
    reportError('source', e.reason, e.reason instanceof Error ? undefined : { kind: 'UnhandledRejection' }),
  );
  if (S.o!.trackConsoleErrors)
    wrap(console, 'error', (_, a: unknown[]) => {
      const err = a.find((x) => x instanceof Error) as Error | undefined;
      reportError('console', { name: 'console.error', message: a.map((x) => (x == err ? err!.message : str(x))).join(' '), stack: err?.stack });
    });
};
