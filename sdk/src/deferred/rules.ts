import { glob } from '../lib/glob.js';
import type { Options, Rule, SdkConfig } from '../types.js';

/**
 * The first rule of config `g` that a view on `route` (of a page with
 * options `o`, in the browser the server saw) matches, else the default.
 * Match keys absent or null match anything; `route` is a glob, `env` and
 * `release` exact, `device` and `country` case-insensitive.
 */
export const rule = (g: SdkConfig, route: string, o: Options): Rule => {
  const c: Record<string, unknown> = { ...g.client, route, env: o.env, release: o.release };
  return (
    g.rules?.find((x) =>
      Object.entries(x.match || {}).every(
        ([k, p]) =>
          p == null ||
          (c[k] != null &&
            (k == 'route' ? glob(p, route) : k == 'device' || k == 'country' ? p.toLowerCase() == String(c[k]).toLowerCase() : p == c[k])),
      ),
    ) || g.default
  );
};

/** Whether nothing is sent for a view on `route`: the page's env, or the route, is excluded. */
export const excluded = (g: SdkConfig, route: string, o: Options): boolean => {
  const e = g.exclude;
  return !!(e?.envs?.includes(o.env!) || e?.routes?.some((p) => glob(p, route)));
};
