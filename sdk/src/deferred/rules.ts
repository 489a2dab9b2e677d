import { glob } from '../lib/glob.js';
import type { Options, Rule, SdkConfig, View } from '../types.js';

/**
 * A URL path with its ids as `:id`, as the server stores a route
 * (`route_template`, crates/pipeline/src/fingerprint.rs; both are tested
 * against crates/schema/route_template_vectors.json): each `/`-separated
 * segment that is all digits, a UUID, 8+ hex digits with a digit, or 16+
 * of `[A-Za-z0-9_-]` with 2+ digits.
 */
export const template = (path: string): string =>
  path
    .split('/')
    .map((s) =>
      /^(\d+|[\da-f]{8}(-[\da-f]{4}){3}-[\da-f]{12}|(?=\D*\d)[\da-f]{8,}|(?=\D*\d\D*\d)[\w-]{16,})$/i.test(s) ? ':id' : s,
    )
    .join('/');

/**
 * The route of view `v` as the rules see it, the one the server stores
 * (`route_of`, crates/pipeline/src/normalise.rs): a route that is the
 * URL's path, or its path and `#hash` (the SDK's default, no `routeName`),
 * as a template (`/orders/42` → `/orders/:id`); a name the page gave, as
 * it is.
 */
export const routeOf = ({ route: r, url: u }: View): string => {
  const q = u.split(/[?#]/)[0]!;
  const i = q.indexOf('://');
  const p = i < 0 ? q || '/' : /\/[^]*|$/.exec(q.slice(i + 3))![0] || '/';
  return r == p || (r.startsWith(p + '#') && u.includes(r.slice(p.length))) ? template(r) : r;
};

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
