//! Read-only endpoints under `/api/v1/apps/{app}/`: each validates its
//! parameters into a typed query, asks the store, and times itself.

use std::future::Future;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::Json;
use fovea_query::{
    ActionRow, Bucket, IssueDetail, IssueRow, Params, Point, ResourceRow, Series, SessionDetail,
    SessionRow, Summary, ViewRow, VitalsGroup,
};
use fovea_schema::{IssueStatus, Metric};
use serde::Serialize;
use utoipa::ToSchema;

use crate::apps::find;
use crate::auth::Principal;
use crate::clock::now_ms;
use crate::error::{ApiError, FilterQuery};
use crate::metrics::Endpoint;
use crate::AppState;

pub(crate) async fn timed<T>(
    state: &AppState,
    endpoint: &'static str,
    f: impl Future<Output = Result<T, ApiError>>,
) -> Result<Json<T>, ApiError> {
    let start = Instant::now();
    let out = f.await;
    state
        .metrics
        .query_seconds
        .get_or_create(&Endpoint { endpoint })
        .observe(start.elapsed().as_secs_f64());
    out.map(Json)
}

#[derive(Serialize, ToSchema)]
pub struct VitalsResponse {
    #[schema(value_type = String)]
    pub metric: Metric,
    pub p: u8,
    pub groups: Vec<VitalsGroup>,
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/vitals", tag = "query",
    params(("app" = String, Path), Params), responses((status = 200, body = VitalsResponse), (status = 400), (status = 401), (status = 404)))]
pub async fn vitals(
    State(s): State<AppState>,
    _w: Principal,
    Path(app): Path<String>,
    FilterQuery(p): FilterQuery,
) -> Result<Json<VitalsResponse>, ApiError> {
    timed(&s, "vitals", async {
        let app = find(&s, &app)?;
        let q = p.vitals(now_ms())?;
        let groups = s.store.vitals(&app.id, &q).await?;
        Ok(VitalsResponse {
            metric: q.metric,
            p: q.p,
            groups,
        })
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/summary", tag = "query",
    params(("app" = String, Path), Params), responses((status = 200, body = Summary)))]
pub async fn summary(
    State(s): State<AppState>,
    _w: Principal,
    Path(app): Path<String>,
    FilterQuery(p): FilterQuery,
) -> Result<Json<Summary>, ApiError> {
    timed(&s, "summary", async {
        let app = find(&s, &app)?;
        let summary = s.store.summary(&app.id, &p.filters(now_ms())?).await?;
        Ok(if p.extrapolate == Some(true) {
            summary.extrapolated()
        } else {
            summary
        })
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct TimeseriesResponse {
    /// A vital or `views`, `sessions`, `errors`, `actions`.
    pub metric: String,
    /// Percentile, for vitals.
    pub p: Option<u8>,
    /// Bucket width in seconds.
    pub interval: i64,
    pub points: Vec<Point>,
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/timeseries", tag = "query",
    params(("app" = String, Path), Params), responses((status = 200, body = TimeseriesResponse)))]
pub async fn timeseries(
    State(s): State<AppState>,
    _w: Principal,
    Path(app): Path<String>,
    FilterQuery(p): FilterQuery,
) -> Result<Json<TimeseriesResponse>, ApiError> {
    timed(&s, "timeseries", async {
        let app = find(&s, &app)?;
        let q = p.timeseries(now_ms())?;
        let points = s.store.timeseries(&app.id, &q).await?;
        let (metric, pct) = match q.series {
            Series::Vital(m, pct) => (m.name().to_string(), Some(pct)),
            _ => (p.metric.clone().unwrap_or_default(), None),
        };
        Ok(TimeseriesResponse {
            metric,
            p: pct,
            interval: q.interval_ms / 1000,
            points,
        })
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct HistogramResponse {
    #[schema(value_type = String)]
    pub metric: Metric,
    pub buckets: Vec<Bucket>,
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/histogram", tag = "query",
    params(("app" = String, Path), Params), responses((status = 200, body = HistogramResponse)))]
pub async fn histogram(
    State(s): State<AppState>,
    _w: Principal,
    Path(app): Path<String>,
    FilterQuery(p): FilterQuery,
) -> Result<Json<HistogramResponse>, ApiError> {
    timed(&s, "histogram", async {
        let app = find(&s, &app)?;
        let metric = p.metric()?;
        let buckets = s
            .store
            .histogram(&app.id, metric, &p.filters(now_ms())?)
            .await?;
        Ok(HistogramResponse { metric, buckets })
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct ViewsResponse {
    pub views: Vec<ViewRow>,
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/views", tag = "query",
    params(("app" = String, Path), Params), responses((status = 200, body = ViewsResponse)))]
pub async fn views(
    State(s): State<AppState>,
    _w: Principal,
    Path(app): Path<String>,
    FilterQuery(p): FilterQuery,
) -> Result<Json<ViewsResponse>, ApiError> {
    timed(&s, "views", async {
        let app = find(&s, &app)?;
        let views = s
            .store
            .slow_views(
                &app.id,
                p.metric()?,
                &p.filters(now_ms())?,
                p.views_limit()?,
            )
            .await?;
        Ok(ViewsResponse { views })
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct SessionsResponse {
    pub sessions: Vec<SessionRow>,
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/sessions", tag = "query",
    params(("app" = String, Path), Params), responses((status = 200, body = SessionsResponse)))]
pub async fn sessions(
    State(s): State<AppState>,
    _w: Principal,
    Path(app): Path<String>,
    FilterQuery(p): FilterQuery,
) -> Result<Json<SessionsResponse>, ApiError> {
    timed(&s, "sessions", async {
        let app = find(&s, &app)?;
        Ok(SessionsResponse {
            sessions: s.store.sessions(&app.id, &p.sessions(now_ms())?).await?,
        })
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/sessions/{id}", tag = "query",
    params(("app" = String, Path), ("id" = String, Path)), responses((status = 200, body = SessionDetail), (status = 404)))]
pub async fn session(
    State(s): State<AppState>,
    _w: Principal,
    Path((app, id)): Path<(String, String)>,
) -> Result<Json<SessionDetail>, ApiError> {
    timed(&s, "session", async {
        let app = find(&s, &app)?;
        s.store
            .session(&app.id, &id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no session {id:?}")))
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct IssuesResponse {
    pub issues: Vec<IssueRow>,
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/issues", tag = "query",
    params(("app" = String, Path), Params), responses((status = 200, body = IssuesResponse)))]
pub async fn issues(
    State(s): State<AppState>,
    _w: Principal,
    Path(app): Path<String>,
    FilterQuery(p): FilterQuery,
) -> Result<Json<IssuesResponse>, ApiError> {
    timed(&s, "issues", async {
        let app = find(&s, &app)?;
        let status = match p.status.as_deref() {
            None | Some("") | Some("all") => None,
            Some(v) => Some(IssueStatus::parse(v).ok_or_else(|| {
                ApiError::BadRequest(format!("status {v:?}: open, resolved, ignored or all"))
            })?),
        };
        let mut issues = s.store.issues(&app.id, &p.issues(now_ms())?).await?;
        crate::issues::apply(issues.iter_mut(), &s.store.issue_states(&app.id).await?);
        issues.retain(|i| status.is_none_or(|st| i.status == st));
        Ok(IssuesResponse { issues })
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/issues/{fingerprint}", tag = "query",
    params(("app" = String, Path), ("fingerprint" = String, Path), Params), responses((status = 200, body = IssueDetail), (status = 404)))]
pub async fn issue(
    State(s): State<AppState>,
    _w: Principal,
    Path((app, fp)): Path<(String, String)>,
    FilterQuery(p): FilterQuery,
) -> Result<Json<IssueDetail>, ApiError> {
    timed(&s, "issue", async {
        let app = find(&s, &app)?;
        let mut detail = s
            .store
            .issue(&app.id, &fp, &p.issues(now_ms())?)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no issue {fp:?} in this range")))?;
        crate::issues::apply([&mut detail.issue], &s.store.issue_states(&app.id).await?);
        // Symbolicated when read, so a map uploaded after the error still
        // explains it; the result is stored for the next read.
        if let Some(stack) = &detail.stack {
            detail.frames = s
                .symbols
                .stored_frames(&app.id, detail.release.as_deref(), stack)
                .await;
        }
        Ok(detail)
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct ActionsResponse {
    pub actions: Vec<ActionRow>,
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/actions", tag = "query",
    params(("app" = String, Path), Params), responses((status = 200, body = ActionsResponse)))]
pub async fn actions(
    State(s): State<AppState>,
    _w: Principal,
    Path(app): Path<String>,
    FilterQuery(p): FilterQuery,
) -> Result<Json<ActionsResponse>, ApiError> {
    timed(&s, "actions", async {
        let app = find(&s, &app)?;
        Ok(ActionsResponse {
            actions: s.store.actions(&app.id, &p.actions(now_ms())?).await?,
        })
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct ResourcesResponse {
    pub resources: Vec<ResourceRow>,
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/resources", tag = "query",
    params(("app" = String, Path), Params), responses((status = 200, body = ResourcesResponse)))]
pub async fn resources(
    State(s): State<AppState>,
    _w: Principal,
    Path(app): Path<String>,
    FilterQuery(p): FilterQuery,
) -> Result<Json<ResourcesResponse>, ApiError> {
    timed(&s, "resources", async {
        let app = find(&s, &app)?;
        Ok(ResourcesResponse {
            resources: s.store.resources(&app.id, &p.resources(now_ms())?).await?,
        })
    })
    .await
}
