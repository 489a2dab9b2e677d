// URL state: which page, which app, which time range and filters. The URL is
// the only source of truth, so every view is a deep link and the back button
// works. Pure functions, unit tested in test/url.test.ts.

export type Route =
  | { page: 'login' }
  | { page: 'home' }
  | { page: 'new-app' }
  | { page: 'overview'; app: string }
  | { page: 'vitals'; app: string }
  | { page: 'errors'; app: string }
  | { page: 'issue'; app: string; fingerprint: string }
  | { page: 'sessions'; app: string }
  | { page: 'session'; app: string; id: string }
  | { page: 'actions'; app: string }
  | { page: 'resources'; app: string }
  | { page: 'services'; app: string }
  | { page: 'trace'; app: string; trace_id: string }
  | { page: 'usage'; app: string }
  | { page: 'settings'; app: string }
  | { page: 'tokens' }
  | { page: 'users' }
  | { page: 'audit' }
  | { page: 'not-found' };

export type AppPage = Extract<Route, { app: string }>['page'];

function seg(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter((p) => p !== '');
  if (parts.length === 0) return { page: 'home' };
  if (parts[0] === 'login' && parts.length === 1) return { page: 'login' };
  // pages of no app: your own API tokens, and the admin's users and audit log
  if (parts.length === 2 && parts[0] === 'account' && parts[1] === 'tokens') return { page: 'tokens' };
  if (parts.length === 2 && parts[0] === 'admin' && (parts[1] === 'users' || parts[1] === 'audit')) return { page: parts[1] };
  if (parts[0] !== 'apps') return { page: 'not-found' };
  if (parts.length === 2 && parts[1] === 'new') return { page: 'new-app' };
  const app = parts[1] != null ? seg(parts[1]) : null;
  if (app == null || app === '') return parts.length === 1 ? { page: 'home' } : { page: 'not-found' };
  const section = parts[2];
  const arg = parts[3] != null ? seg(parts[3]) : undefined;
  if (parts.length > 4 || arg === null) return { page: 'not-found' };
  switch (section) {
    case undefined:
      return { page: 'overview', app };
    case 'vitals':
    case 'actions':
    case 'resources':
    case 'services':
    case 'usage':
    case 'settings':
      return arg === undefined ? { page: section, app } : { page: 'not-found' };
    case 'traces':
      // no list of traces: a trace is reached from a request, a view or an error
      return arg === undefined ? { page: 'not-found' } : { page: 'trace', app, trace_id: arg };
    case 'errors':
      return arg === undefined ? { page: 'errors', app } : { page: 'issue', app, fingerprint: arg };
    case 'sessions':
      return arg === undefined ? { page: 'sessions', app } : { page: 'session', app, id: arg };
    default:
      return { page: 'not-found' };
  }
}

const enc = encodeURIComponent;

export function routePath(route: Route): string {
  switch (route.page) {
    case 'login':
      return '/login';
    case 'home':
    case 'not-found':
      return '/';
    case 'new-app':
      return '/apps/new';
    case 'tokens':
      return '/account/tokens';
    case 'users':
    case 'audit':
      return `/admin/${route.page}`;
    case 'overview':
      return `/apps/${enc(route.app)}`;
    case 'vitals':
    case 'errors':
    case 'sessions':
    case 'actions':
    case 'resources':
    case 'services':
    case 'usage':
    case 'settings':
      return `/apps/${enc(route.app)}/${route.page}`;
    case 'trace':
      return `/apps/${enc(route.app)}/traces/${enc(route.trace_id)}`;
    case 'issue':
      return `/apps/${enc(route.app)}/errors/${enc(route.fingerprint)}`;
    case 'session':
      return `/apps/${enc(route.app)}/sessions/${enc(route.id)}`;
  }
}

// ---- time range ------------------------------------------------------------

export const PRESETS = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
} as const;
export type Preset = keyof typeof PRESETS;
export const DEFAULT_PRESET: Preset = '24h';

export type TimeRange = { kind: 'preset'; preset: Preset } | { kind: 'absolute'; from: number; to: number };

function isPreset(s: string | null): s is Preset {
  return s != null && Object.prototype.hasOwnProperty.call(PRESETS, s);
}

function intParam(params: URLSearchParams, key: string): number | null {
  const raw = params.get(key);
  if (raw == null || !/^\d{1,16}$/.test(raw)) return null;
  return Number(raw);
}

/** `?range=7d`, or `?from=&to=` (ms since epoch) for a fixed window; default the last 24 h. */
export function parseRange(params: URLSearchParams): TimeRange {
  const from = intParam(params, 'from');
  const to = intParam(params, 'to');
  if (from != null && to != null && from < to) return { kind: 'absolute', from, to };
  const preset = params.get('range');
  return { kind: 'preset', preset: isPreset(preset) ? preset : DEFAULT_PRESET };
}

/** The params that encode `range` (the keys `range`, `from`, `to`; null = remove). */
export function rangeParams(range: TimeRange): Record<string, string | null> {
  if (range.kind === 'absolute') return { range: null, from: String(range.from), to: String(range.to) };
  return { range: range.preset === DEFAULT_PRESET ? null : range.preset, from: null, to: null };
}

/**
 * The concrete window. A preset ends at the end of the current minute, so
 * every request made for one page view asks for the same window.
 */
export function resolveRange(range: TimeRange, now: number): { from: number; to: number } {
  if (range.kind === 'absolute') return { from: range.from, to: range.to };
  const to = Math.floor(now / 60_000) * 60_000 + 60_000;
  return { from: to - PRESETS[range.preset], to };
}

// ---- filters ---------------------------------------------------------------

export const FILTER_KEYS = ['env', 'release', 'page', 'browser', 'device', 'country', 'user'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/**
 * A filter on a custom attribute (`setContext`, an action's context):
 * `?attrs.plan=pro` keeps the views and events whose top-level `plan` is
 * `pro` (a number or boolean matches its JSON text: `attrs.seats=3`).
 */
export interface AttrFilter {
  key: string;
  value: string;
}

/** The built-in filters by key; `attrs` the attribute filters, in URL order, each key once (absent when none). */
export type Filters = Partial<Record<FilterKey, string>> & { attrs?: readonly AttrFilter[] };

export const FILTER_LABEL: Readonly<Record<FilterKey, string>> = {
  env: 'Environment',
  release: 'Release',
  page: 'Page',
  browser: 'Browser',
  device: 'Device',
  country: 'Country',
  user: 'User id',
};

/** An attribute filter's query parameter is this plus its key. */
export const ATTR_PARAM_PREFIX = 'attrs.';
/** The server takes at most this many attribute filters per query. */
export const MAX_ATTR_FILTERS = 5;
/** An attribute filter's value is 1 to this many bytes (UTF-8). */
export const MAX_ATTR_VALUE_BYTES = 256;
const ATTR_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/** The query parameter of the attribute filter on `key`: `attrs.plan`. */
export function attrParam(key: string): string {
  return ATTR_PARAM_PREFIX + key;
}

/** Why `key` cannot be an attribute filter's key (the server's rule), or null when it can. */
export function attrKeyProblem(key: string): string | null {
  if (key === '') return 'Enter the attribute’s key.';
  return ATTR_KEY.test(key) ? null : 'An attribute key is 1 to 64 letters (a–z, A–Z), digits, _ and -.';
}

/** Why `value` cannot be an attribute filter's value (1 to 256 bytes), or null when it can. */
export function attrValueProblem(value: string): string | null {
  if (value === '') return 'Enter a value.';
  return new TextEncoder().encode(value).length <= MAX_ATTR_VALUE_BYTES ? null : `A value is at most ${MAX_ATTR_VALUE_BYTES} bytes.`;
}

/**
 * The attribute filters of a query string: valid `attrs.<key>=<value>`
 * pairs in order, the first of a repeated key, at most MAX_ATTR_FILTERS (the
 * server refuses more, and a malformed one; a hand-edited URL then still
 * shows its page).
 */
function parseAttrs(params: URLSearchParams): AttrFilter[] {
  const out: AttrFilter[] = [];
  for (const [name, value] of params) {
    if (out.length >= MAX_ATTR_FILTERS) break;
    if (!name.startsWith(ATTR_PARAM_PREFIX)) continue;
    const key = name.slice(ATTR_PARAM_PREFIX.length);
    if (attrKeyProblem(key) != null || attrValueProblem(value) != null) continue;
    if (out.some((a) => a.key === key)) continue;
    out.push({ key, value });
  }
  return out;
}

export function parseFilters(params: URLSearchParams): Filters {
  const out: Filters = {};
  for (const key of FILTER_KEYS) {
    const v = params.get(key);
    if (v != null && v !== '') out[key] = v;
  }
  const attrs = parseAttrs(params);
  if (attrs.length > 0) out.attrs = attrs;
  return out;
}

/** How many filters are set, built-in and attribute ones. */
export function filterCount(filters: Filters): number {
  return FILTER_KEYS.filter((k) => filters[k] != null && filters[k] !== '').length + (filters.attrs?.length ?? 0);
}

/** The changes (for withParams) that remove every filter of `search`, attribute ones included. */
export function clearFilters(search: string): Record<string, null> {
  const out: Record<string, null> = {};
  for (const key of FILTER_KEYS) out[key] = null;
  for (const name of new URLSearchParams(search).keys()) if (name.startsWith(ATTR_PARAM_PREFIX)) out[name] = null;
  return out;
}

/** Query-string for an API call: the resolved window, the filters, then `extra`. */
export function apiQuery(
  window: { from: number; to: number },
  filters: Filters,
  extra: Record<string, string | number | boolean | null | undefined> = {},
): string {
  const q = new URLSearchParams();
  q.set('from', String(window.from));
  q.set('to', String(window.to));
  for (const key of FILTER_KEYS) {
    const v = filters[key];
    if (v != null && v !== '') q.set(key, v);
  }
  for (const a of filters.attrs ?? []) q.set(attrParam(a.key), a.value);
  for (const [k, v] of Object.entries(extra)) {
    if (v != null && v !== '') q.set(k, String(v));
  }
  return q.toString();
}

/** `search` with `changes` applied (null or '' removes a key); returns `?a=b` or ''. */
export function withParams(search: string, changes: Record<string, string | null | undefined>): string {
  const q = new URLSearchParams(search);
  for (const [k, v] of Object.entries(changes)) {
    if (v == null || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The params that carry over between pages of one app: time range and filters (attribute filters too). */
export function sharedParams(search: string): string {
  const from = new URLSearchParams(search);
  const q = new URLSearchParams();
  for (const key of ['range', 'from', 'to', ...FILTER_KEYS]) {
    const v = from.get(key);
    if (v != null && v !== '') q.set(key, v);
  }
  for (const a of parseAttrs(from)) q.set(attrParam(a.key), a.value);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// ---- safety ----------------------------------------------------------------

/**
 * Where to go after logging in: only a path on this origin (`/apps/x?y`),
 * never `//evil.example` or `https://…`, never back to the login page.
 */
export function safeNext(next: string | null | undefined): string {
  if (next == null || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f]/.test(next)) return '/';
  if (next === '/login' || next.startsWith('/login?')) return '/';
  return next;
}

/**
 * A URL that came from a browser, made safe for an `href`: only absolute
 * http(s) URLs pass; `javascript:`, `data:`, relative and malformed URLs give null
 * (the caller then shows the text without a link).
 */
export function safeHref(raw: string | null | undefined): string | null {
  if (raw == null || raw === '') return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  return u.href;
}

/** The path (plus query) of a page URL, for display: `https://a.b/cart?id=1` → `/cart?id=1`. */
export function urlPath(raw: string | null | undefined): string {
  if (raw == null) return '';
  try {
    const u = new URL(raw);
    return `${u.pathname}${u.search}`;
  } catch {
    return raw;
  }
}
