//! Probes for load balancers and orchestrators: `/healthz` says the process
//! serves HTTP, `/readyz` that the store answers too. The intake does not
//! depend on either: it spools while the store is away.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::error_body;
use crate::AppState;

/// How long the store may take to answer a ping before the node is
/// reported not ready.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(PING_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => "ready".into_response(),
        Ok(Err(e)) => not_ready(&e.to_string()),
        Err(_) => not_ready("the store did not answer in time"),
    }
}

fn not_ready(detail: &str) -> Response {
    tracing::debug!(detail, "not ready");
    error_body(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", detail)
}
