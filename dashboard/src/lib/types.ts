// Shapes of the query API's answers (docs/api.md). Fields the server may
// leave out are optional; every string in here came from a browser unless
// noted and must be rendered as text.

import type { Metric } from './thresholds';

export interface Me {
  username: string;
}

export interface App {
  id: string;
  name: string;
  ingest_key: string;
  origins: string[];
  sample_rate: number;
  retention_days: number;
  created_at: number | string;
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
  /** `ts`: the latest occurrence in that session; `has_replay` if the server says */
  sessions: { id: string; ts: number; has_replay?: boolean }[];
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
