use fovea_schema::{Context, Event, EventKind, Metric, ViewPhases};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One group of a vitals query.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VitalsGroup {
    /// The group's value of the dimension (`null` when not grouped or unknown).
    pub key: Option<String>,
    /// The percentile asked for.
    pub value: f64,
    pub count: u64,
    /// Shares of views rated good / needs improvement / poor.
    pub good: f64,
    pub ni: f64,
    pub poor: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MetricSummary {
    /// p75.
    pub value: Option<f64>,
    pub count: u64,
    pub good: f64,
    pub ni: f64,
    pub poor: f64,
}

impl MetricSummary {
    /// The summary of a metric from its ungrouped vitals group, if any.
    pub fn of(group: Option<&VitalsGroup>) -> MetricSummary {
        group.map_or(
            MetricSummary {
                value: None,
                count: 0,
                good: 0.0,
                ni: 0.0,
                poor: 0.0,
            },
            |g| MetricSummary {
                value: Some(g.value),
                count: g.count,
                good: g.good,
                ni: g.ni,
                poor: g.poor,
            },
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Summary {
    pub views: u64,
    pub sessions: u64,
    pub errors: u64,
    /// Views with at least one error / views.
    pub error_rate: f64,
    /// Share of the sessions (with a view in the range) that had no
    /// unhandled error (an uncaught exception or unhandled rejection) in
    /// the range; 1 with no sessions.
    pub crash_free_sessions: f64,
    /// p75 and ratings of each vital, by metric name.
    pub vitals: std::collections::BTreeMap<String, MetricSummary>,
    /// Whether `views`, `sessions` and `errors` are weighted by 100 / the
    /// rate each session was kept at (`extrapolate=true`): the traffic the
    /// stored sessions stand for. Raw stored counts otherwise.
    pub extrapolated: bool,
    /// The counts weighted so, for `extrapolate=true`.
    #[serde(skip)]
    pub weighted: Weighted,
}

/// Counts weighted by 100 / the rate each session was kept at.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Weighted {
    pub views: f64,
    pub sessions: f64,
    pub errors: f64,
}

impl Summary {
    /// The summary with its counts weighted by 100 / sample rate.
    pub fn extrapolated(self) -> Summary {
        let w = self.weighted;
        Summary {
            views: w.views.round() as u64,
            sessions: w.sessions.round() as u64,
            errors: w.errors.round() as u64,
            extrapolated: true,
            ..self
        }
    }
}

/// The weight of a row whose session was kept at `sample_rate` percent
/// (NULL: 100), as SQL both stores read.
pub const WEIGHT_SQL: &str = "100.0 / coalesce(sample_rate, 100.0)";

/// The crash-free share of `sessions`, `crashed` of which had an unhandled
/// error: an error of source `source` (what the SDK reports from
/// `window.onerror` and `unhandledrejection`) not marked handled.
pub fn crash_free(sessions: u64, crashed: u64) -> f64 {
    if sessions == 0 {
        1.0
    } else {
        1.0 - crashed.min(sessions) as f64 / sessions as f64
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Point {
    /// Start of the bucket, ms since the epoch.
    pub t: i64,
    /// The percentile (vitals), the count, or the crash-free share.
    pub value: f64,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Bucket {
    pub lo: f64,
    /// `null` for the open last bucket.
    pub hi: Option<f64>,
    pub count: u64,
}

/// Bucket edges for a metric's histogram: ten buckets up to "good", five up
/// to "needs improvement", then ten more to 2.5 times that, so both
/// thresholds fall on edges. The last bucket is open.
pub fn histogram_edges(metric: Metric) -> Vec<f64> {
    let t = metric.thresholds();
    let mut edges = Vec::new();
    let mut span = |lo: f64, hi: f64, n: usize| {
        for i in 0..n {
            edges.push(lo + (hi - lo) * i as f64 / n as f64);
        }
    };
    span(0.0, t.good, 10);
    span(t.good, t.ni, 5);
    span(t.ni, t.ni * 2.5, 10);
    edges.push(t.ni * 2.5);
    // Round away float noise so the edges read well (0.1, not 0.10000000000000002).
    edges.iter().map(|e| (e * 1e6).round() / 1e6).collect()
}

/// A view with its vitals and attribution, for "example slow views".
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ViewRow {
    pub view_id: String,
    pub session_id: String,
    pub ts: i64,
    pub url: String,
    pub route: String,
    pub browser: Option<String>,
    pub device: Option<String>,
    pub country: Option<String>,
    pub lcp: Option<f64>,
    pub inp: Option<f64>,
    pub cls: Option<f64>,
    pub fcp: Option<f64>,
    pub ttfb: Option<f64>,
    pub load: Option<f64>,
    pub tti: Option<f64>,
    pub lcp_element: Option<String>,
    pub lcp_resource_url: Option<String>,
    pub inp_target: Option<String>,
    pub inp_type: Option<String>,
    pub cls_target: Option<String>,
    /// The backend trace of the page load (`Server-Timing: traceparent`).
    pub trace_id: Option<String>,
    pub dns: Option<f64>,
    pub connect: Option<f64>,
    pub dcl: Option<f64>,
    #[serde(flatten)]
    pub phases: ViewPhases,
}

impl ViewRow {
    /// A stored view as a row.
    pub fn from_event(e: Event) -> ViewRow {
        let EventKind::View(v) = e.kind else {
            unreachable!("only views are view rows")
        };
        ViewRow {
            view_id: e.ctx.view_id.unwrap_or_default(),
            session_id: e.ctx.session_id,
            ts: e.ctx.ts,
            url: e.ctx.url,
            route: e.ctx.route,
            browser: e.ctx.browser,
            device: e.ctx.device,
            country: e.ctx.country,
            lcp: v.lcp,
            inp: v.inp,
            cls: v.cls,
            fcp: v.fcp,
            ttfb: v.ttfb,
            load: v.load,
            tti: v.tti,
            lcp_element: v.lcp_element,
            lcp_resource_url: v.lcp_resource_url,
            inp_target: v.inp_target,
            inp_type: v.inp_type,
            cls_target: v.cls_target,
            trace_id: v.trace_id,
            dns: v.dns,
            connect: v.connect,
            dcl: v.dcl,
            phases: *v.phases,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SessionRow {
    pub id: String,
    pub start: i64,
    pub end: i64,
    pub user_id: Option<String>,
    pub views: u64,
    pub actions: u64,
    pub errors: u64,
    pub frustrations: u64,
    pub first_url: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
    pub country: Option<String>,
    /// Whether a replay was recorded for the session.
    pub has_replay: bool,
}

/// One stored segment of a session's replay (`…/sessions/{id}/replay`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReplaySegmentInfo {
    pub index: u32,
    /// First and last event timestamps, ms since the epoch.
    pub start: i64,
    pub end: i64,
    /// rrweb events in the segment.
    pub events: u32,
    /// Bytes stored (gzip-compressed JSON).
    pub bytes: u64,
    /// Whether playback can start at this segment.
    pub full_snapshot: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionDetail {
    pub session: SessionRow,
    /// Every event of the session in time order.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<EventJson>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IssueRow {
    pub fingerprint: String,
    pub kind: Option<String>,
    pub message: String,
    pub source: String,
    pub top_frame: Option<String>,
    /// Occurrences in the range.
    pub count: u64,
    /// Sessions with an occurrence in the range.
    pub sessions: u64,
    /// Users affected in the range: signed-in users, and each session
    /// without a user id as one.
    pub users: u64,
    /// The first occurrence ever (not only in the range).
    pub first_seen: i64,
    /// The latest occurrence ever.
    pub last_seen: i64,
    /// The release of the first occurrence ever.
    pub first_release: Option<String>,
    /// The release of the latest occurrence ever.
    pub last_release: Option<String>,
    /// The releases it occurred in, oldest first (the latest
    /// [`MAX_ISSUE_RELEASES`]).
    pub releases: Vec<IssueRelease>,
    /// Occurrences per time bucket of the range.
    pub trend: Trend,
    /// The team's status; `open` again when a resolved issue regressed.
    #[schema(value_type = String)]
    pub status: fovea_schema::IssueStatus,
    /// It happened again after it was resolved (in another release than
    /// `resolved_in_release`, when one was given).
    pub regressed: bool,
    pub resolved_in_release: Option<String>,
}

/// How many releases an issue row lists.
pub const MAX_ISSUE_RELEASES: usize = 20;

/// An issue's occurrences in one release, over all time.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IssueRelease {
    pub release: Option<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub count: u64,
}

/// Counts per bucket: `counts[i]` covers `[from + i·interval_ms, from + (i+1)·interval_ms)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Trend {
    pub from: i64,
    pub interval_ms: i64,
    pub counts: Vec<u64>,
}

impl Trend {
    /// Empty buckets aligned on `interval_ms` covering `[from, to)`.
    pub fn zeros(from: i64, to: i64, interval_ms: i64) -> Trend {
        let start = from.div_euclid(interval_ms) * interval_ms;
        let n = (to - start + interval_ms - 1)
            .div_euclid(interval_ms)
            .max(1);
        Trend {
            from: start,
            interval_ms,
            counts: vec![0; n as usize],
        }
    }

    /// Adds `count` to the bucket that starts at `t` (ignored outside).
    pub fn add(&mut self, t: i64, count: u64) {
        let i = (t - self.from).div_euclid(self.interval_ms);
        if let Some(c) = usize::try_from(i).ok().and_then(|i| self.counts.get_mut(i)) {
            *c += count;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KeyCount {
    pub key: Option<String>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SessionRef {
    pub id: String,
    pub ts: i64,
    /// The trace of the session's latest occurrence (a traced request that
    /// failed).
    pub trace_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssueDetail {
    pub issue: IssueRow,
    /// Stack of the latest occurrence, as the browser wrote it.
    pub stack: Option<String>,
    /// That stack's frames, innermost first: the original function, file,
    /// line and source lines where an uploaded source map covers them
    /// (`minified` keeps the position in the bundle), else as written.
    pub frames: Vec<StackFrame>,
    /// The release of the latest occurrence.
    pub release: Option<String>,
    pub browsers: Vec<KeyCount>,
    /// Latest sessions with this issue.
    pub sessions: Vec<SessionRef>,
    /// Views and actions before the latest occurrence, in its session.
    #[schema(value_type = Vec<Object>)]
    pub breadcrumbs: Vec<EventJson>,
}

/// One frame of an error's stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StackFrame {
    pub function: Option<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The site's own code, not a dependency (`node_modules`, vendor chunks).
    pub in_app: bool,
    /// Original source lines around `line`, from the map's `sourcesContent`.
    pub context: Option<SourceContext>,
    /// Where the frame is in the minified bundle, when it was mapped.
    pub minified: Option<MinifiedPosition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SourceContext {
    pub pre: Vec<String>,
    pub line: String,
    pub post: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MinifiedPosition {
    pub function: Option<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// User actions grouped by page and element.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActionRow {
    pub route: String,
    /// `click` or `custom`.
    pub action_type: String,
    pub name: Option<String>,
    /// The element's CSS selector.
    pub target: Option<String>,
    pub count: u64,
    pub sessions: u64,
    /// Occurrences with any frustration (rage, dead or error click).
    pub frustrated: u64,
    pub rage: u64,
    pub dead: u64,
    pub error: u64,
    /// `frustrated / count`.
    pub frustration_rate: f64,
    /// Up to [`EXAMPLE_SESSIONS`] sessions with this action, frustrated ones first.
    pub example_sessions: Vec<String>,
}

/// How many example sessions an action row names.
pub const EXAMPLE_SESSIONS: usize = 3;
/// How many occurrences of an action a backend picks its example sessions
/// from: a bounded sample per group.
pub const EXAMPLE_POOL: usize = 20;

impl ActionRow {
    /// The distinct example sessions: frustrated ones first, then any.
    pub fn examples(frustrated: Vec<String>, any: Vec<String>) -> Vec<String> {
        let mut out = Vec::with_capacity(EXAMPLE_SESSIONS);
        for s in frustrated.into_iter().chain(any) {
            if out.len() == EXAMPLE_SESSIONS {
                break;
            }
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    /// `frustrated / count`, 0 without occurrences.
    pub fn rate(frustrated: u64, count: u64) -> f64 {
        if count == 0 {
            0.0
        } else {
            frustrated as f64 / count as f64
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ResourceRow {
    /// URL without its query string.
    pub url: String,
    pub kind: String,
    pub method: Option<String>,
    pub count: u64,
    pub p75_duration: Option<f64>,
    pub failures: u64,
    pub failure_rate: f64,
}

/// A backend service's requests in a range: its server and consumer spans.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ServiceRow {
    pub service: String,
    pub requests: u64,
    /// Requests whose span status is `error`.
    pub errors: u64,
    pub error_rate: f64,
    /// ms.
    pub p75: Option<f64>,
    /// ms.
    pub p95: Option<f64>,
}

impl ServiceRow {
    pub fn new(
        service: String,
        requests: u64,
        errors: u64,
        p75: Option<f64>,
        p95: Option<f64>,
    ) -> ServiceRow {
        ServiceRow {
            service,
            requests,
            errors,
            error_rate: ActionRow::rate(errors, requests),
            p75,
            p95,
        }
    }
}

/// A backend span named in a slow request's row.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SpanRef {
    pub service: String,
    pub name: String,
    /// ms.
    pub duration: f64,
    /// ms: the span's duration minus its children's (overlaps counted
    /// once), what the span itself spent.
    pub self_time: f64,
    /// `unset`, `ok` or `error`.
    pub status: String,
}

/// A browser request (fetch/XHR) that carried a trace id, and where the
/// backend spent its time.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SlowRequest {
    pub ts: i64,
    pub session_id: String,
    pub view_id: Option<String>,
    pub route: Option<String>,
    pub method: Option<String>,
    pub url: String,
    pub status: Option<u16>,
    /// ms, as the browser measured it.
    pub duration: Option<f64>,
    pub trace_id: String,
    pub span_id: Option<String>,
    /// The backend's entry span under this request (its server span).
    pub server: Option<SpanRef>,
    /// The backend span with the largest self time.
    pub bottleneck: Option<SpanRef>,
}

/// A trace: the backend's spans and the browser events that carried its id.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TraceDetail {
    pub trace_id: String,
    /// The app's `trace_url_template` filled in, when it has one.
    pub link: Option<String>,
    /// In start order.
    #[schema(value_type = Vec<Object>)]
    pub spans: Vec<fovea_schema::SpanJson>,
    /// Views (page loads linked by `Server-Timing`), resources and errors
    /// with this trace id, in time order.
    #[schema(value_type = Vec<Object>)]
    pub rum: Vec<EventJson>,
}

/// An event as the API shows it: one flat object with `type`, the context
/// fields and the type's own fields.
#[derive(Debug, Clone, PartialEq)]
pub struct EventJson(pub Event);

impl Serialize for EventJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            event_id: &'a uuid::Uuid,
            #[serde(flatten)]
            ctx: &'a Context,
            #[serde(flatten)]
            kind: &'a EventKind,
        }
        Flat {
            event_id: &self.0.event_id,
            ctx: &self.0.ctx,
            kind: &self.0.kind,
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_fall_on_histogram_edges() {
        for m in Metric::ALL {
            let edges = histogram_edges(m);
            let t = m.thresholds();
            assert!(
                edges.contains(&t.good) && edges.contains(&t.ni),
                "{m:?}: {edges:?}"
            );
            assert!(edges.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn events_serialise_flat() {
        let e = Event {
            event_id: uuid::Uuid::nil(),
            ctx: Context {
                session_id: "s".into(),
                url: "https://a/".into(),
                ..Context::default()
            },
            kind: EventKind::View(fovea_schema::ViewEvent {
                lcp: Some(1.5),
                ..Default::default()
            }),
        };
        let v = serde_json::to_value(EventJson(e)).unwrap();
        assert_eq!(v["type"], "view");
        assert_eq!(v["session_id"], "s");
        assert_eq!(v["lcp"], 1.5);
        assert_eq!(v["event_id"], "00000000-0000-0000-0000-000000000000");
        // Regression: attrs were served as a string of JSON, not the object sent.
        let action = Event {
            event_id: uuid::Uuid::nil(),
            ctx: Context::default(),
            kind: EventKind::Action(fovea_schema::ActionEvent {
                attrs: Some(r#"{"coupon":"SPRING"}"#.into()),
                ..Default::default()
            }),
        };
        let v = serde_json::to_value(EventJson(action)).unwrap();
        assert_eq!(v["attrs"]["coupon"], "SPRING");
    }
}
