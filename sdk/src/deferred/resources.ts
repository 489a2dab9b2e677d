import { epoch } from '../lib/now.js';
import { observe } from '../lib/observe.js';
import { timing } from '../lib/timing.js';
import { H } from './hook.js';

const KINDS: Record<string, string> = { script: 'script', link: 'css', css: 'css', img: 'img', image: 'img', fetch: 'fetch', xmlhttprequest: 'xhr' };

/** The kind of a resource entry: by file extension, else by initiator. */
export const resourceKind = (url: string, initiator: string): string => {
  const ext = url.split(/[?#]/)[0]!.match(/\.(\w+)$/)?.[1]?.toLowerCase() || '';
  return /^(woff2?|ttf|otf|eot)$/.test(ext)
    ? 'font'
    : /^(png|jpe?g|gif|svg|webp|avif|ico|bmp)$/.test(ext)
      ? 'img'
      : ext == 'css'
        ? 'css'
        : /^m?js$/.test(ext)
          ? 'script'
          : KINDS[initiator] || 'other';
};

/**
 * Resource events a view sends at most, like long tasks' cap: a page that
 * loads thousands of images (an infinite feed) would otherwise fill the
 * queue and the user's bandwidth. The first ones, the page's own load, are
 * the ones kept.
 */
export const MAX_RESOURCES_PER_VIEW = 150;

/**
 * Resource Timing: every resource the page loads, with phase timings and
 * sizes, up to {@link MAX_RESOURCES_PER_VIEW} a view. fetch/XHR made after `init` are left to network.ts (which knows
 * method, status and trace ids); the SDK's own beacons are skipped. Started
 * by the deferred chunk: the entries from before it came are buffered by the
 * browser (250 by default), and delivered with `buffered: true`.
 */
export const initResources = (): void => {
  const { S, t: track, s: scrub, n: t0 } = H;
  let view: unknown;
  let n = 0;
  observe('resource', (es: PerformanceResourceTiming[]) => {
    for (const e of es) {
      const i = e.initiatorType;
      if (e.name.startsWith(S!.o!.endpoint) || (/^(fetch|xmlhttprequest)$/.test(i) && e.startTime >= t0!)) continue;
      if (S!.v != view) {
        view = S!.v;
        n = 0;
      }
      if (++n > MAX_RESOURCES_PER_VIEW) continue;
      track!(
        'resource',
        {
          ...timing(e),
          resource_url: scrub!(e.name),
          kind: resourceKind(e.name, i),
          status: (e as PerformanceResourceTiming & { responseStatus?: number }).responseStatus || undefined,
        },
        epoch(e.startTime),
      );
    }
  });
};
