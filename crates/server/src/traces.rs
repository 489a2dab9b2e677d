//! RUM ↔ APM: a trace's backend spans with the browser events that carry
//! its id, backend services, and the slowest traced browser requests
//! (`docs/tracing.md`). Spans arrive through the OTLP intake (`intake.rs`).

use axum::extract::{Path, State};
use axum::Json;
use fovea_query::{Params, ServiceRow, SlowRequest, TraceDetail};
use fovea_schema::is_trace_id;
use serde::Serialize;
use utoipa::ToSchema;

use crate::apps::find;
use crate::auth::Principal;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::error::FilterQuery;
use crate::query::timed;
use crate::AppState;

#[utoipa::path(get, path = "/api/v1/apps/{app}/traces/{trace_id}", tag = "tracing",
    params(("app" = String, Path), ("trace_id" = String, Path, description = "32 hex digits")),
    responses((status = 200, body = TraceDetail), (status = 404, description = "no span and no browser event has this trace id")))]
pub async fn trace(
    State(s): State<AppState>,
    _w: Principal,
    Path((app, trace_id)): Path<(String, String)>,
) -> Result<Json<TraceDetail>, ApiError> {
    timed(&s, "trace", async {
        let app = find(&s, &app)?;
        let id = trace_id.to_ascii_lowercase();
        let missing = || ApiError::NotFound(format!("no trace {trace_id:?}"));
        if !is_trace_id(&id) {
            return Err(missing());
        }
        let spans = s.store.spans(&app.id, std::slice::from_ref(&id)).await?;
        let rum = s.store.trace_events(&app.id, &id).await?;
        let link = app
            .trace_url_template
            .as_deref()
            .map(|t| t.replace("{trace_id}", &id));
        fovea_store::traces::detail(&id, spans, rum, link).ok_or_else(missing)
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct ServicesResponse {
    pub services: Vec<ServiceRow>,
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/services", tag = "tracing",
    params(("app" = String, Path), Params),
    responses((status = 200, body = ServicesResponse, description = "Backend services by requests; of the filters, only the range and env apply")))]
pub async fn services(
    State(s): State<AppState>,
    _w: Principal,
    Path(app): Path<String>,
    FilterQuery(p): FilterQuery,
) -> Result<Json<ServicesResponse>, ApiError> {
    timed(&s, "services", async {
        let app = find(&s, &app)?;
        Ok(ServicesResponse {
            services: s.store.services(&app.id, &p.filters(now_ms())?).await?,
        })
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct SlowRequestsResponse {
    pub requests: Vec<SlowRequest>,
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/slow-requests", tag = "tracing",
    params(("app" = String, Path), Params),
    responses((status = 200, body = SlowRequestsResponse, description = "The slowest traced fetch/XHR requests (limit 1..100, default 20) and the backend span that took the time")))]
pub async fn slow_requests(
    State(s): State<AppState>,
    _w: Principal,
    Path(app): Path<String>,
    FilterQuery(p): FilterQuery,
) -> Result<Json<SlowRequestsResponse>, ApiError> {
    timed(&s, "slow_requests", async {
        let app = find(&s, &app)?;
        let f = p.filters(now_ms())?;
        let limit = p.slow_requests_limit()?;
        Ok(SlowRequestsResponse {
            requests: fovea_store::traces::slow_requests(&*s.store, &app.id, &f, limit).await?,
        })
    })
    .await
}
