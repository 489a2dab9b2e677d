//! Probes for load balancers and orchestrators: `/healthz` says the process
//! serves HTTP, `/readyz` that the store answers too. The intake does not
//! depend on either: it spools while the store is away.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::{error_body, ErrorBody};
use crate::AppState;

/// How long the store may take to answer a ping before the node is
/// reported not ready.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = String, content_type = "text/plain", description = "The process serves HTTP")), security(()))]
pub async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = String, content_type = "text/plain", description = "The store answers too"),
        (status = 503, body = ErrorBody, description = "The store does not answer")), security(()))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(PING_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => "ready".into_response(),
        Ok(Err(e)) => not_ready(&e.to_string()),
        Err(_) => not_ready("the store did not answer in time"),
    }
}

/// The database's own words go to the log only.
fn not_ready(detail: &str) -> Response {
    tracing::debug!(detail, "not ready");
    error_body(
        StatusCode::SERVICE_UNAVAILABLE,
        "store_unavailable",
        "the store does not answer; the server log has the details",
    )
}
