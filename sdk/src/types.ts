/** An event as sent on the wire (see docs/intake.md): plain JSON fields. */
export type FoveaEvent = { type: string; event_id: string; ts: number; [field: string]: unknown };

export interface Options {
  /** Base URL of the Fovea server, e.g. `https://fovea.example.com`. */
  endpoint: string;
  /** The app's public ingest key. */
  key: string;
  env?: string;
  release?: string;
  /**
   * Percentage (0-100) of sessions that send anything, from the session id
   * (the same on every page); an upper bound on the server's sampling rules.
   * Default 100.
   */
  sessionSampleRate?: number;
  /** Resource Timing and fetch/XHR resources. Default true. */
  trackResources?: boolean;
  /** Clicks and frustration signals. Default true. */
  trackActions?: boolean;
  /** `mask`: clicks are named only by `data-fovea-action`, `aria-label` or the tag name, never by text. Default `allow`. */
  actionNamePrivacy?: 'allow' | 'mask';
  /** Long Animation Frames (or long tasks). Default true. */
  trackLongTasks?: boolean;
  /**
   * `pending`: collect into a bounded buffer, send and store nothing until
   * `setConsent('granted')`; a session stored by an earlier page is kept and
   * continued. Default `granted`.
   */
  consent?: 'granted' | 'pending';
  /**
   * Start with consent denied when the browser sends Global Privacy Control
   * (`navigator.globalPrivacyControl`): nothing is collected, sent or stored
   * until `setConsent('granted')`. Default false.
   */
  respectGlobalPrivacyControl?: boolean;
  /**
   * fetch/XHR URLs that get trace headers (and whose `resource` events and
   * `network` errors carry the ids): string = prefix, RegExp = test, or
   * `{ match, propagators }` to choose the headers (`tracecontext`: W3C
   * `traceparent`, the default; `b3`: Zipkin single header; `datadog`:
   * `x-datadog-*`). The first entry that matches decides. Default none.
   */
  allowedTracingUrls?: (string | RegExp | TracingUrl)[];
  /** Called with every event before it is queued; return `false` to drop it. */
  beforeSend?: (event: FoveaEvent) => FoveaEvent | false | void;
  /** Extra query/fragment keys whose values are scrubbed (on top of the defaults). */
  scrubQueryParams?: string[];
  /** Maps a URL to a route name used for grouping (default: the path). */
  routeName?: (url: string) => string | undefined;
  /** Report `console.error` calls as errors. Default false. */
  trackConsoleErrors?: boolean;
  /**
   * Errors not to report: a string is looked for in the message and in
   * `${kind}: ${message}`, a RegExp is tested against both. Default none.
   */
  ignoreErrors?: (string | RegExp)[];
  /**
   * Scripts whose errors are not reported: tested (string: contained, RegExp:
   * tested) against the error event's filename, else the top stack frame's
   * file; for network and resource errors, the (scrubbed) URL that failed.
   */
  denyUrls?: (string | RegExp)[];
  /** Report fetch/XHR responses with status 4xx as errors. Default false. */
  track4xx?: boolean;
  /**
   * Longest time (ms) an event waits in the queue before a batch is sent; a
   * batch also leaves at 50 events, and what waits when the page is hidden
   * or left. Default 30000.
   */
  flushInterval?: number;
  /** Percentage (0-100) of sessions recorded for replay from their start; decided from the session id, an upper bound on the server's rules. Default 0. */
  replaySampleRate?: number;
  /** Percentage (0-100) of the other sessions that keep the last 60 s in memory and upload them when an error happens. Default 0. */
  replayOnErrorSampleRate?: number;
  /** `mask-inputs` (default): every form value masked; `mask-all`: all text masked and images blocked too. */
  replayPrivacy?: 'mask-inputs' | 'mask-all';
  /** URL of fovea-replay.min.js. Default: beside fovea.min.js (script tag), or the bundler's chunk (npm). */
  replayUrl?: string;
}

/** Trace context headers: W3C `traceparent`, Zipkin `b3` (single header), Datadog `x-datadog-*`. */
export type Propagator = 'tracecontext' | 'b3' | 'datadog';

/** An `allowedTracingUrls` entry with its own propagation formats. */
export interface TracingUrl {
  /** string = prefix of the absolute URL, RegExp = test */
  match: string | RegExp;
  /** Default `['tracecontext']`. */
  propagators?: Propagator[];
}

/** The third argument of `addError`. */
export interface AddErrorOptions {
  /** Groups the error under this key (at most 128 characters) instead of the server's fingerprint. */
  fingerprint?: string;
}

export type Consent = 'granted' | 'pending' | 'denied';

/** Rates of a sampling rule or of the default, percent (0-100). */
export interface Rates {
  session_rate: number;
  replay_rate?: number;
}

/** A sampling rule: the first whose `match` fits the context decides (absent or null keys match anything). */
export interface Rule extends Rates {
  match?: Record<string, string | null | undefined>;
  /** a key page: a session that shows it is kept from then on */
  keep?: boolean;
}

/** The app's sampling config as the server gives it to browsers (GET /api/v1/sdk-config). */
export interface SdkConfig {
  rules?: Rule[];
  default: Rates;
  exclude?: { envs?: string[]; routes?: string[] };
  /** what the server knows of this browser */
  client?: { device?: string | null; country?: string | null };
  /** ms since the epoch until which the app is over its quota */
  quota_until?: number | null;
}

export type LoadingType = 'initial_load' | 'route_change' | 'bf_cache';

/** A page or SPA route (internal state; sent as `view` events). */
export interface View {
  id: string;
  /** session id; whether this view is kept (undefined until the sampling config is known, see sampling.ts) */
  sid: string;
  ss?: boolean;
  /** the replay rate of the session's sampling rule (percent; undefined: no rule) */
  rr?: number;
  /** version counter, start (epoch ms), raw href, route key, manual name */
  n: number;
  s: number;
  u: string;
  k: string;
  nm?: string;
  url: string;
  route: string;
  referrer?: string;
  lt: LoadingType;
  /** time_spent once finished */
  end?: number;
  /** metrics, attribution and counters, named as on the wire */
  m: Record<string, unknown> & {
    error_count: number;
    action_count: number;
    resource_count: number;
    long_task_count: number;
    frustration_count: number;
  };
}
