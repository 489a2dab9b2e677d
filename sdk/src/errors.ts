import { limiter } from './lib/limiter.js';
import { on } from './lib/on.js';
import { scrubUrl } from './lib/scrub.js';
import { clickError } from './actions.js';
import { track } from './emit.js';
import { S } from './state.js';

/**
 * Errors: uncaught errors, unhandled rejections, resource load failures
 * (capture-phase `error` on img/script/link/media), failed requests (from
 * network.ts), `console.error` (opt-in) and `addError`. At most 100 errors a
 * minute leave the page.
 */
const allow = limiter(100);

const str = (x: unknown): string => {
  try {
    return typeof x == 'string' ? x : JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
};

/** Reports `err` (an Error, or anything thrown) from `source`; `f` adds/overrides fields. */
export const reportError = (source: string, err: unknown, f?: Record<string, unknown>, handled = false): void => {
  const t = Date.now();
  if (!S.v || !allow(t)) return;
  const e = err && typeof err == 'object' && 'message' in err ? (err as Error) : undefined;
  track(
    'error',
    {
      source,
      kind: (e && e.name) || 'Error',
      message: (e ? String(e.message) : str(err)).slice(0, 2000) || 'Error',
      stack: e && typeof e.stack == 'string' ? e.stack.slice(0, 20000) : undefined,
      handled,
      ...f,
    },
    t,
  );
  clickError(t);
};

export const initErrors = (): void => {
  on(window, 'error', (e: ErrorEvent) => {
    const el = e.target as (Element & { src?: string; href?: string; currentSrc?: string }) | null;
    if (el && el != (window as unknown) && el.localName) {
      // A resource failed to load: the event fires on the element and does
      // not bubble, so only a capturing listener on window sees it.
      const u = scrubUrl(el.currentSrc || el.src || el.href || '', S.o!.scrubQueryParams);
      reportError('resource', { name: 'ResourceError', message: `failed to load ${el.localName} ${u.split(/[?#]/)[0]}` }, { resource_url: u });
    } else
      reportError(
        'source',
        e.error ?? {
          name: 'Error',
          message: e.message,
          stack: e.filename ? `${e.message}\n    at ${e.filename}:${e.lineno}:${e.colno}` : undefined,
        },
      );
  });
  on(window, 'unhandledrejection', (e: PromiseRejectionEvent) =>
    reportError('source', e.reason, e.reason instanceof Error ? undefined : { kind: 'UnhandledRejection' }),
  );
  if (S.o!.trackConsoleErrors) {
    const c = console;
    const orig = c.error;
    let busy = false;
    c.error = function (...a: unknown[]) {
      if (!busy)
        try {
          busy = true;
          const err = a.find((x) => x instanceof Error);
          reportError('console', { name: 'console.error', message: a.map((x) => (x instanceof Error ? x.message : str(x))).join(' '), stack: (err as Error | undefined)?.stack });
        } catch {
          /* never break console.error */
        } finally {
          busy = false;
        }
      return orig.apply(this, a);
    };
  }
};
