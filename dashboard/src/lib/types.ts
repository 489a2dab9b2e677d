// Shapes of the query and admin API's answers and requests. One source of
// truth: they are the server's OpenAPI document's schemas, generated into
// api.gen.ts from openapi.json by `npm run api-types` (test/api-types.test.ts
// fails when that file is stale). This file only gives them the dashboard's
// names. Every string in here came from a browser unless noted and must be
// rendered as text.
//
// Hand-written, below, only what the document does not describe:
// - `SessionEvent` and `Span`: the document types events (a session's, an
//   issue's breadcrumbs, a trace's `rum`) and a trace's spans as any object;
//   their fields are docs/intake.md's and docs/tracing.md's.
// Nullable fields the document marks optional (`field?: T | null`) are read
// with `== null`, never `=== null`: the document allows them to be absent.

import type { components } from './api.gen';

type Schemas = components['schemas'];

export type Role = Schemas['Role'];

/** `POST /login`. */
export type Credentials = Schemas['Credentials'];

/** `GET /me`: who is signed in. */
export type Me = Schemas['Me'];

// ---- users, API tokens, audit log, erasure (admin API, docs/api.md) --------------

/** A dashboard user (`GET /users`); the username was chosen by an admin: text only. */
export type User = Schemas['UserView'];
export type UsersResponse = Schemas['UsersResponse'];

/** `POST /users`. */
export type NewUser = Schemas['NewUser'];

/** `PATCH /users/{username}`: any of these; a new password signs the user out everywhere. */
export type UserPatch = Schemas['UserPatch'];

export type TokenAccess = Schemas['TokenAccess'];

/** An API token of the signed-in user (`GET /tokens`); never the secret itself. */
export type ApiToken = Schemas['TokenView'];
export type TokensResponse = Schemas['TokensResponse'];

/** `POST /tokens`. */
export type NewToken = Schemas['NewToken'];

/** `POST /tokens`' answer: the token's secret is in `token`, this once. */
export type CreatedToken = Schemas['CreatedToken'];

/** One line of `GET /audit`: who did what to what. `target` and `detail` may carry user input. */
export type AuditEntry = Schemas['AuditEntry'];
export type AuditLog = Schemas['AuditLog'];

/** `POST /apps/{app}/rotate-key`. */
export type RotateKey = Schemas['RotateKey'];

/** Its answer: the new ingest key, and until when the previous one is still accepted. */
export type RotatedIngestKey = Schemas['RotatedKey'];

export type ErasureStatus = Schemas['Status'];

/** `GET /erasures/{id}`: a user's or a session's data being removed everywhere. */
export type Erasure = Schemas['Erasure'];

/** `DELETE /apps/{app}/users/{user_id}` and `…/sessions/{id}`: the erasure started. */
export type ErasureAccepted = Schemas['ErasureAccepted'];

// ---- apps --------------------------------------------------------------------------

export type App = Schemas['App'];
export type AppsResponse = { apps: App[] } & Omit<Schemas['AppsResponse'], 'apps'>;

/** raw: as sent; hash: keyed HMAC with a secret of the app (still counted and erasable by id); drop: not stored. */
export type UserIdMode = Schemas['UserIdModeName'];

/** `PATCH /apps/{app}`: any of these. */
export type AppPatch = Schemas['AppPatch'];

/** `POST /apps`. */
export type NewApp = Schemas['NewApp'];

/** `POST /apps`' answer: the app, plus its first server key, shown this once. */
export type CreatedApp = Schemas['CreatedApp'];

/** `POST /apps/{app}/server-key`: a new key; the old one stops working at once. Shown this once. */
export type ServerKeyAnswer = Schemas['ServerKey'];

// ---- web vitals, traffic, views --------------------------------------------------

/** A metric's p75 (`value`, null without views) and ratings in `GET /apps/{app}/summary`. */
export type Shares = Schemas['MetricSummary'];

export type VitalGroup = Schemas['VitalsGroup'];
export type VitalsAnswer = Schemas['VitalsResponse'];

/** `GET /apps/{app}/summary`; `vitals` is keyed by metric name. */
export type Summary = Schemas['Summary'];

export type Point = Schemas['Point'];
export type TimeseriesAnswer = Schemas['TimeseriesResponse'];

export type Bucket = Schemas['Bucket'];
export type HistogramAnswer = Schemas['HistogramResponse'];

/** `GET /apps/{app}/views`: a view with its vitals and attribution. */
export type ExampleView = Schemas['ViewRow'];
export type ViewsResponse = Schemas['ViewsResponse'];

export type SessionRow = Schemas['SessionRow'];
export type SessionsResponse = Schemas['SessionsResponse'];

/**
 * One event of a session (hand-written: the document says only "object").
 * The type's fields are docs/intake.md's.
 */
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

/** `GET /apps/{app}/sessions/{id}`, its events typed. */
export type SessionAnswer = Omit<Schemas['SessionDetail'], 'events'> & { events: SessionEvent[] };

/** `GET /apps/{app}/sessions/{id}/replay`: the stored segments. */
export type ReplayIndex = Schemas['ReplayIndex'];
/** One stored segment; `start`/`end` are ms since the epoch, on the session events' clock. */
export type ReplaySegment = Schemas['ReplaySegmentInfo'];

// ---- errors ------------------------------------------------------------------------

/** An issue of `GET /apps/{app}/issues`. */
export type Issue = Schemas['IssueRow'];
export type IssuesResponse = Schemas['IssuesResponse'];
export type IssueRelease = Schemas['IssueRelease'];

/** Dense counts: `counts[i]` covers `[from + i * interval_ms, from + (i + 1) * interval_ms)`. */
export type Trend = Schemas['Trend'];

export type IssueStatus = Schemas['IssueStatus'];

/** `PATCH /apps/{app}/issues/{fingerprint}`; `resolved_in_release` only with "resolved". */
export type IssuePatch = Schemas['IssuePatch'];

/** The answer to that PATCH. */
export type IssueStatusAnswer = Schemas['IssueState'];

/** `GET /apps/{app}/issues/{fingerprint}`, its breadcrumbs typed. */
export type IssueDetail = Omit<Schemas['IssueDetail'], 'breadcrumbs'> & { breadcrumbs: SessionEvent[] };

/** Original source lines around a frame's line (the map's `sourcesContent`). */
export type SourceContext = Schemas['SourceContext'];

/** Where a mapped frame was in the minified bundle. */
export type MinifiedPosition = Schemas['MinifiedPosition'];

/**
 * One frame of an issue's stack: the original position when a source map
 * matched (`minified` then holds the bundle's), else as the browser wrote it.
 */
export type StackFrame = Schemas['StackFrame'];

/** An uploaded source map or bundle (docs/errors.md); `release` and `url` came from the uploader. */
export type SourceFile = Schemas['SourceFileInfo'];
export type SourceFilesResponse = Schemas['SourceFilesResponse'];

// ---- resources and actions ---------------------------------------------------------

export type ResourceRow = Schemas['ResourceRow'];
export type ResourcesResponse = Schemas['ResourcesResponse'];

/**
 * One kind of user action on one page, from `GET /apps/{app}/actions`:
 * occurrences in the range, grouped by (route, action_type, name, target).
 */
export type ActionRow = Schemas['ActionRow'];
export type ActionsResponse = Schemas['ActionsResponse'];

// ---- backend tracing (docs/tracing.md) -------------------------------------------

export type SpanKind = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type SpanStatus = 'unset' | 'ok' | 'error';

/**
 * One span a backend sent over OTLP (hand-written: the document says only
 * "object"). Names, services, messages and attributes came from that
 * backend: text only.
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

/** `GET /apps/{app}/traces/{trace_id}` (404 when neither spans nor browser events carry it), spans and events typed. */
export type TraceAnswer = Omit<Schemas['TraceDetail'], 'spans' | 'rum'> & { spans: Span[]; rum: SessionEvent[] };

/** `GET /apps/{app}/services`: one backend service's server and consumer spans in the range. */
export type ServiceRow = Schemas['ServiceRow'];
export type ServicesResponse = Schemas['ServicesResponse'];

/** A backend span named in a slow request's row. */
export type SpanRef = Schemas['SpanRef'];

/** `GET /apps/{app}/slow-requests`: a traced browser fetch/xhr, slowest first. */
export type SlowRequest = Schemas['SlowRequest'];
export type SlowRequestsResponse = Schemas['SlowRequestsResponse'];

// ---- cost control: sampling rules and usage (docs/api.md) --------------------------

/** What a sampling rule applies to; an absent key matches anything. Set by a user: text only. */
export type SamplingMatch = Schemas['RuleMatch'];

export type SamplingRule = Schemas['SamplingRule'];

export type BotsPolicy = Schemas['BotPolicy'];

/** `GET|PUT /apps/{app}/sampling` (and the what-if's body): the first matching rule wins, `default` closes the list. */
export type Sampling = Schemas['Traffic'];

/** Per-day figures the what-if compares. */
export type CostFigures = Schemas['Volume'];

/** `POST /apps/{app}/usage/what-if`: per day, averaged over the last `days` days. */
export type WhatIf = Schemas['WhatIf'];

export type EventKind = keyof Schemas['EventCounts'];
export type DropReason = keyof Schemas['Dropped'];
export type StoredKind = keyof Schemas['Bytes'];

/** One UTC day of `GET /apps/{app}/usage`. */
export type UsageDay = Schemas['UsageDay'];

/**
 * `quota` of `GET /apps/{app}/usage`: the app's daily quotas (`null`:
 * unlimited) and today's (UTC) raw use of them, as the server counts it.
 */
export type QuotaToday = Schemas['QuotaToday'];

export type UsageWarning = Schemas['Warning'];

/**
 * `GET /apps/{app}/usage`: every UTC day of the window, oldest first. With
 * `extrapolated`, sessions, views and events are weighted by 100/rate; replay,
 * spans, drops and bytes are always raw.
 */
export type Usage = Schemas['Usage'];
