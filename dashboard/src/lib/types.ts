// Shapes of the query API's answers (docs/api.md). Fields the server may
// leave out are optional; every string in here came from a browser unless
// noted and must be rendered as text.

import type { Metric } from './thresholds';

export type Role = 'admin' | 'member' | 'viewer';

/**
 * `GET /me`: who is signed in. Servers before user roles leave `role` and
 * `apps` out; their one account is the admin (see lib/role.ts).
 */
export interface Me {
  username: string;
  role?: Role;
  /** the app ids this user may see (admins see every app) */
  apps?: string[];
}

// ---- users, API tokens, audit log, erasure (admin API, docs/api.md) --------------

/** A dashboard user (`GET /users`); the username was chosen by an admin: text only. */
export interface User {
  username: string;
  role: Role;
  /** the app ids a member or viewer may see; admins see every app */
  apps: string[];
  created_at: number;
}

/** `POST /users`. */
export interface NewUser {
  username: string;
  password: string;
  role: Role;
  apps: string[];
}

/** `PATCH /users/{username}`: any of these; a new password signs the user out everywhere. */
export interface UserPatch {
  password?: string;
  role?: Role;
  apps?: string[];
}

export type TokenAccess = 'read' | 'read-write';

/** An API token of the signed-in user (`GET /tokens`); never the secret itself. */
export interface ApiToken {
  id: string;
  name: string;
  access: TokenAccess;
  created_at: number;
  last_used_at: number | null;
  username: string;
}

/** `POST /tokens`: the token's secret is in `token`, this once. */
export interface CreatedToken {
  id: string;
  name: string;
  access: TokenAccess;
  created_at: number;
  token: string;
}

/** One line of `GET /audit`: who did what to what. `target` and `detail` may carry user input. */
export interface AuditEntry {
  ts: number;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
}

/** `POST /apps/{app}/rotate-key`: the new ingest key, and until when the previous one is still accepted. */
export interface RotatedIngestKey {
  ingest_key: string;
  previous_key: string;
  previous_key_expires_at: number;
}

export type ErasureStatus = 'pending' | 'running' | 'done' | 'failed';

/** `GET /erasures/{id}`: a user's or a session's data being removed everywhere. */
export interface Erasure {
  id: string;
  status: ErasureStatus;
  rows_removed: number;
}

export interface App {
  id: string;
  name: string;
  ingest_key: string;
  origins: string[];
  sample_rate: number;
  retention_days: number;
  created_at: number | string;
  /** whether backends can send traces: a server key exists (servers before tracing leave it out) */
  has_server_key?: boolean;
  /** a URL with `{trace_id}`: the trace page links there ("Open in your tracing tool"); set by a user */
  trace_url_template?: string | null;
  /** events stored per UTC day at most (null: unlimited); over it the intake answers 429 until the next day */
  daily_event_quota?: number | null;
  /** compressed replay bytes stored per UTC day at most (null: unlimited) */
  daily_replay_bytes_quota?: number | null;
  /** what is stored of the user ids pages set, for data written from then on (servers before it leave it out: raw) */
  user_id_mode?: UserIdMode;
  /** regular expressions (Rust regex syntax) whose matches are redacted in every stored text, besides the built-in ones */
  scrub_patterns?: string[];
  /** URL query keys whose values are redacted, besides the built-in list */
  scrub_keys?: string[];
}

/** raw: as sent; hash: keyed HMAC with a secret of the app (still counted and erasable by id); drop: not stored. */
export type UserIdMode = 'raw' | 'hash' | 'drop';

/** `POST /apps`: the app, plus its first server key, shown this once. */
export interface CreatedApp extends App {
  server_key?: string;
}

/** `POST /apps/{app}/server-key`: a new key; the old one stops working at once. Shown this once. */
export interface ServerKeyAnswer {
  server_key: string;
}

export interface Shares {
  value: number | null;
  count: number;
  good: number;
  ni: number;
  poor: number;
}

export interface VitalGroup extends Shares {
  key: string | null;
}

export interface VitalsAnswer {
  metric: Metric;
  p: number;
  groups: VitalGroup[];
}

export interface Summary {
  views: number;
  sessions: number;
  errors: number;
  error_rate: number;
  /** the share (0..1) of sessions without an unhandled error */
  crash_free_sessions: number;
  vitals: Partial<Record<Metric, Shares>>;
}

export interface Point {
  t: number;
  value: number | null;
  count?: number;
}

export interface TimeseriesAnswer {
  metric: string;
  p?: number;
  interval: number;
  points: Point[];
}

export interface Bucket {
  lo: number;
  hi: number | null;
  count: number;
}

export interface HistogramAnswer {
  metric: Metric;
  buckets: Bucket[];
}

export interface ExampleView {
  view_id: string;
  session_id: string;
  ts: number;
  url: string | null;
  route: string | null;
  browser: string | null;
  device: string | null;
  country: string | null;
  lcp: number | null;
  inp: number | null;
  cls: number | null;
  fcp: number | null;
  ttfb: number | null;
  load: number | null;
  tti: number | null;
  /** the page load's trace, linked by Server-Timing (not in the contract yet: shown when a server sends it) */
  trace_id?: string | null;
  lcp_element: string | null;
  lcp_resource_url: string | null;
  inp_target: string | null;
  inp_type: string | null;
  cls_target: string | null;
}

export interface SessionRow {
  id: string;
  start: number;
  end: number;
  user_id: string | null;
  views: number;
  actions: number;
  errors: number;
  frustrations: number;
  first_url: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
  country: string | null;
  /** whether a session replay was recorded (servers before replay leave it out) */
  has_replay?: boolean;
}

/** One event of a session; the type's fields from docs/intake.md. */
export interface SessionEvent {
  type: 'view' | 'action' | 'error' | 'resource' | 'long_task' | string;
  event_id: string;
  ts: number;
  session_id?: string;
  view_id?: string | null;
  url?: string | null;
  route?: string | null;
  [field: string]: unknown;
}

export interface SessionAnswer {
  session: SessionRow;
  events: SessionEvent[];
}

export interface Issue {
  fingerprint: string;
  kind: string | null;
  message: string;
  source: string | null;
  top_frame: string | null;
  /** occurrences, sessions and users in the range; a session without a user id counts as one user */
  count: number;
  sessions: number;
  users: number;
  /** the first and latest occurrence ever, not only in the range */
  first_seen: number;
  last_seen: number;
  /** the issue workflow (servers before it leave these out: read as open) */
  status?: IssueStatus;
  /** resolved, then seen again in another release (status is then "open") */
  regressed?: boolean;
  resolved_in_release?: string | null;
  /** the release of the first occurrence ever */
  first_release: string | null;
  /** the release of the latest occurrence ever */
  last_release: string | null;
  /** the releases it occurred in over all time, oldest first (at most the latest 20) */
  releases: IssueRelease[];
  /** occurrences per bucket of the range */
  trend: Trend;
}

export interface IssueRelease {
  release: string | null;
  first_seen: number;
  last_seen: number;
  count: number;
}

/** Dense counts: `counts[i]` covers `[from + i * interval_ms, from + (i + 1) * interval_ms)`. */
export interface Trend {
  from: number;
  interval_ms: number;
  counts: number[];
}

export type IssueStatus = 'open' | 'resolved' | 'ignored';

/** `PATCH /apps/{app}/issues/{fingerprint}`; `resolved_in_release` only with "resolved". */
export type IssuePatch = { status: 'resolved'; resolved_in_release?: string } | { status: 'ignored' } | { status: 'open' };

/** The answer to that PATCH. */
export interface IssueStatusAnswer {
  fingerprint: string;
  status: IssueStatus;
  resolved_in_release: string | null;
  resolved_at: number | string | null;
  updated_at: number | string;
}

export interface IssueDetail {
  issue: Issue;
  /** the latest occurrence's stack as the browser wrote it */
  stack: string | null;
  /** that stack parsed, innermost first */
  frames: StackFrame[];
  /** the latest occurrence's release */
  release: string | null;
  browsers: { key: string | null; count: number }[];
  /**
   * `ts`: the latest occurrence in that session; `has_replay` if the server says;
   * `trace_id`: that occurrence's trace (a network error of a traced request), if the server says
   */
  sessions: { id: string; ts: number; has_replay?: boolean; trace_id?: string | null }[];
  breadcrumbs: SessionEvent[];
}

export interface ResourceRow {
  url: string;
  kind: string | null;
  method: string | null;
  count: number;
  p75_duration: number | null;
  failures: number;
  failure_rate: number;
}

/**
 * One kind of user action on one page, from `GET /apps/{app}/actions`:
 * occurrences in the range, grouped by (route, action_type, name, target).
 */
export interface ActionRow {
  route: string;
  action_type: 'click' | 'custom';
  /** a click's `data-fovea-action`, label or text; a custom action's name */
  name: string | null;
  /** a CSS selector of the clicked element */
  target: string | null;
  count: number;
  sessions: number;
  /** occurrences with any frustration; one click can be rage, dead and error at once */
  frustrated: number;
  rage: number;
  dead: number;
  error: number;
  /** frustrated / count, 0..1 */
  frustration_rate: number;
  /** up to 3 session ids, frustrated ones first */
  example_sessions: string[];
}

/** Original source lines around a frame's line (the map's `sourcesContent`). */
export interface SourceContext {
  pre: string[];
  line: string;
  post: string[];
}

/** Where a mapped frame was in the minified bundle. */
export interface MinifiedPosition {
  function: string | null;
  file: string;
  line: number;
  column: number;
}

/**
 * One frame of an issue's stack: the original position when a source map
 * matched (`minified` then holds the bundle's), else as the browser wrote it.
 */
export interface StackFrame {
  function: string | null;
  file: string;
  line: number;
  column: number;
  /** the site's own code, not a dependency */
  in_app: boolean;
  context: SourceContext | null;
  minified: MinifiedPosition | null;
}

/** An uploaded source map or bundle (docs/errors.md); `release` and `url` came from the uploader. */
export interface SourceFile {
  id: string;
  release: string;
  url: string;
  kind: 'map' | 'source';
  debug_id: string | null;
  sha256: string;
  bytes: number;
  /** ms since the epoch */
  uploaded_at: number;
}

// ---- backend tracing (docs/tracing.md) -------------------------------------------

export type SpanKind = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type SpanStatus = 'unset' | 'ok' | 'error';

/**
 * One span a backend sent over OTLP. Names, services, messages and
 * attributes came from that backend: text only.
 */
export interface Span {
  trace_id: string;
  /** 16 hex */
  span_id: string;
  /** a backend span's parent, or the browser request's `span_id` for the backend's entry span */
  parent_span_id: string | null;
  name: string;
  service: string;
  kind: SpanKind;
  /** ms since the epoch, fractional */
  start: number;
  /** ms, fractional */
  duration: number;
  status: SpanStatus;
  status_message: string | null;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

/** `GET /apps/{app}/traces/{trace_id}` (404 when neither spans nor browser events carry it). */
export interface TraceAnswer {
  trace_id: string;
  /** the app's trace_url_template filled in, or null */
  link: string | null;
  spans: Span[];
  /** the browser events carrying the trace id: fetch/xhr `resource`s, the `view` (page load), network `error`s */
  rum: SessionEvent[];
}

/** `GET /apps/{app}/services`: one backend service's server and consumer spans in the range. */
export interface ServiceRow {
  service: string;
  requests: number;
  errors: number;
  /** errors / requests, 0..1 */
  error_rate: number;
  /** ms */
  p75: number | null;
  p95: number | null;
}

/** A backend span named in a slow request's row. */
export interface SpanRef {
  service: string;
  name: string;
}

/** `GET /apps/{app}/slow-requests`: a traced browser fetch/xhr, slowest first. */
export interface SlowRequest {
  /** the request's start, ms since the epoch */
  ts: number;
  session_id: string;
  view_id: string | null;
  route: string | null;
  method: string;
  url: string;
  status: number | null;
  /** ms, as the browser measured it */
  duration: number;
  trace_id: string;
  /** the backend's entry span under the browser request; null when no backend span arrived */
  server: (SpanRef & { duration: number }) | null;
  /** the backend span with the largest self time (its duration minus its children's) */
  bottleneck: (SpanRef & { self_time: number }) | null;
}

// ---- cost control: sampling rules and usage (docs/api.md) --------------------------

/** What a sampling rule applies to; an absent key matches anything. Set by a user: text only. */
export interface SamplingMatch {
  /** a glob over the view's route: `*` matches any run of characters, `/` included */
  route?: string;
  env?: string;
  release?: string;
  /** desktop, mobile or tablet */
  device?: string;
  /** ISO 3166 alpha-2 */
  country?: string;
}

export interface SamplingRule {
  match: SamplingMatch;
  /** percent of the sessions kept, 0..100 */
  session_rate: number;
  /** percent of the kept sessions replayed; GET always fills it, on PUT absent takes the default's */
  replay_rate?: number;
  /** a key page: a session that views it is kept from then on, whatever its rate */
  keep?: boolean;
}

export type BotsPolicy = 'drop' | 'tag';

/** `GET|PUT /apps/{app}/sampling`: the first matching rule wins, `default` closes the list. */
export interface Sampling {
  rules: SamplingRule[];
  /** `session_rate` is the app's `sample_rate` */
  default: { session_rate: number; replay_rate: number };
  /** GET fills it; optional on PUT */
  exclude?: { envs: string[]; routes: string[]; ip_ranges: string[] };
  /** drop sessions showing automation signals, or keep them with device `bot` */
  bots?: BotsPolicy;
}

/** Per-day figures the what-if compares. */
export interface CostFigures {
  sessions: number;
  events: number;
  bytes: number;
}

/** `POST /apps/{app}/usage/what-if`: per day, averaged over the last `days` days. */
export interface WhatIf {
  days: number;
  current: CostFigures;
  proposed: CostFigures;
}

export type EventKind = 'action' | 'error' | 'resource' | 'long_task';
export type DropReason = 'sampled' | 'bot' | 'excluded' | 'quota';
export type StoredKind = 'views' | 'events' | 'replay' | 'spans';

/** One UTC day of `GET /apps/{app}/usage`. */
export interface UsageDay {
  /** `YYYY-MM-DD`, UTC */
  date: string;
  sessions: number;
  views: number;
  events: Record<EventKind, number>;
  replay_segments: number;
  replay_bytes: number;
  spans: number;
  dropped: Record<DropReason, number>;
}

/**
 * `quota` of `GET /apps/{app}/usage`: the app's daily quotas (`null`:
 * unlimited) and today's (UTC) raw use of them, as the server counts it.
 */
export interface QuotaToday {
  daily_event_quota: number | null;
  daily_replay_bytes_quota: number | null;
  /** events, views included, stored or accepted today */
  events_today: number;
  replay_bytes_today: number;
  /** ms since the epoch when the server found the quota used up today; `null` unless it is */
  events_exceeded_at: number | null;
  replay_bytes_exceeded_at: number | null;
}

export interface UsageWarning {
  kind: string;
  sessions_per_day: number;
  threshold: number;
  message: string;
}

/**
 * `GET /apps/{app}/usage`: every UTC day of the window, oldest first. With
 * `extrapolated`, sessions, views and events are weighted by 100/rate; replay,
 * spans, drops and bytes are always raw.
 */
export interface Usage {
  extrapolated: boolean;
  days: UsageDay[];
  stored_bytes: Record<StoredKind, number>;
  projection_30d: CostFigures;
  retention_days: number;
  /** today's quotas and use, whatever the window and `extrapolate` */
  quota: QuotaToday;
  warning: UsageWarning | null;
}
