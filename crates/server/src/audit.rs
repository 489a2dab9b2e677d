//! The audit log: who did what to Fovea's configuration, and when
//! (logins, apps and keys, users and tokens, erasures, source maps).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::clock::now_ms;
use crate::docs::{self, kind};
use crate::error::{ApiError, ApiQuery};
use crate::token::random_token;
use crate::AppState;
use fovea_store::StoreError;

/// One administrative action.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// When (ms).
    pub ts: i64,
    /// The user name (or `admin-token`) that did it.
    pub actor: String,
    /// What, e.g. `login`, `app.update`, `user.create`, `erasure.request`.
    pub action: String,
    /// What it was done to: an app id, a user name, a token id…
    pub target: Option<String>,
    pub detail: Option<String>,
}

/// Records an action once it has succeeded. Entries are ordered by time:
/// the id is the zero-padded timestamp plus a random suffix.
pub async fn record(
    state: &AppState,
    actor: &str,
    action: &str,
    target: Option<&str>,
    detail: Option<String>,
) -> Result<(), StoreError> {
    let entry = AuditEntry {
        ts: now_ms(),
        actor: actor.to_string(),
        action: action.to_string(),
        target: target.map(str::to_string),
        detail,
    };
    let id = format!("{:015}-{}", entry.ts, random_token(4));
    tracing::info!(actor, action, target, "audit");
    docs::put(state.store.as_ref(), kind::AUDIT, &id, &entry).await
}

#[derive(Deserialize, IntoParams)]
pub struct AuditParams {
    /// Entries returned, newest first: 1..1000, default 200.
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
}

#[utoipa::path(operation_id = "list_audit", get, path = "/api/v1/audit", tag = "admin", params(AuditParams),
    responses((status = 200, body = AuditLog), (status = 400), (status = 403)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> Result<Json<AuditLog>, ApiError> {
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1..1000".into()));
    }
    Ok(Json(AuditLog {
        entries: docs::list(state.store.as_ref(), kind::AUDIT, limit).await?,
    }))
}
