import { limiter } from './lib/limiter.js';
import { on } from './lib/on.js';
import { clickError } from './actions.js';
import { track } from './emit.js';
import { replay } from './replay.js';
import { S, scrub } from './state.js';

/**
 * Errors: uncaught errors, unhandled rejections, resource load failures
 * (capture-phase `error` on img/script/link/media), failed requests (from
 * network.ts), `console.error` (opt-in) and `addError`. At most 100 errors a
 * minute leave the page.
 */
const allow = limiter(100);

const str = (x: unknown): string => {
  try {
    return typeof x == 'string' ? x : JSON.stringify(x);
  } catch {
    return String(x);
  }
};

/** Reports `err` (an Error, or anything thrown) from `source`; `f` adds/overrides fields. */
export const reportError = (source: string, err: unknown, f?: Record<string, unknown>, handled = false): void => {
  const t = Date.now();
  if (!allow(t)) return;
  const e = (err && typeof err == 'object' && 'message' in err ? err : { message: str(err) }) as Error;
  track(
    'error',
    {
      source,
      kind: e.name || 'Error',
      message: String(e.message).slice(0, 2000) || 'Error',
      stack: typeof e.stack == 'string' ? e.stack.slice(0, 20000) : undefined,
      handled,
      ...f,
    },
    t,
  );
  clickError(t);
  replay(1);
};

export const initErrors = (): void => {
  on(window, 'error', (e: ErrorEvent) => {
    const el = e.target as (Element & { src?: string; href?: string; currentSrc?: string }) | null;
    if (el && el != (window as unknown) && el.localName) {
      // A resource failed to load: the event fires on the element and does
      // not bubble, so only a capturing listener on window sees it.
      const u = scrub(el.currentSrc || el.src || el.href || '');
      reportError('resource', { name: 'ResourceError', message: `${el.localName} failed to load: ${u.split(/[?#]/)[0]}` }, { resource_url: u });
    } else
      reportError(
        'source',
        e.error ?? { message: e.message, stack: e.filename && `${e.message}\n    at ${e.filename}:${e.lineno}:${e.colno}` },
      );
  });
  on(window, 'unhandledrejection', (e: PromiseRejectionEvent) =>
    reportError('source', e.reason, e.reason instanceof Error ? undefined : { kind: 'UnhandledRejection' }),
  );
  if (S.o!.trackConsoleErrors) {
    const orig = console.error;
    console.error = function (...a: unknown[]) {
      try {
        const err = a.find((x) => x instanceof Error) as Error | undefined;
        reportError('console', { name: 'console.error', message: a.map((x) => (x == err ? err!.message : str(x))).join(' '), stack: err?.stack });
      } catch {
        /* never break console.error */
      }
      return orig.apply(this, a);
    };
  }
};
