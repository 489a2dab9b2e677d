//! Erasure requests: everything of a user or a session goes, on request
//! (GDPR article 17). A request is recorded, answered 202 with its id, and
//! run in the background; a restart resumes the ones not finished, and
//! running one again is harmless.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use fovea_store::{StoreError, Subject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::clock::now_ms;
use crate::docs::{self, kind};
use crate::error::ApiError;
use crate::token::random_token;
use crate::{apps, audit, AppState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Running,
    Done,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    User,
    Session,
}

/// An erasure request and where it stands.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Erasure {
    pub id: String,
    pub app: String,
    pub subject: SubjectKind,
    /// The user or session id while the erasure is to run; emptied once
    /// it is done, so that the record does not keep what was erased.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    #[schema(ignore)]
    value: String,
    pub status: Status,
    pub rows_removed: u64,
    pub requested_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ErasureAccepted {
    pub erasure_id: String,
}

/// At most this long the erasure waits for the spool to be stored, so
/// that events accepted before the request are erased too.
const SPOOL_WAIT: Duration = Duration::from_secs(30);

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn request(
    state: AppState,
    who: Principal,
    app: String,
    subject: SubjectKind,
    value: String,
) -> Result<(StatusCode, Json<ErasureAccepted>), ApiError> {
    apps::find(&state, &app)?;
    if value.is_empty() || value.len() > 512 {
        return Err(ApiError::BadRequest("the id must be 1 to 512 bytes".into()));
    }
    let now = now_ms();
    let erasure = Erasure {
        id: format!("{now:015}-{}", random_token(6)),
        app,
        subject,
        value,
        status: Status::Pending,
        rows_removed: 0,
        requested_by: who.username.clone(),
        created_at: now,
        updated_at: now,
    };
    docs::put(state.store.as_ref(), kind::ERASURE, &erasure.id, &erasure).await?;
    audit::record(
        &state,
        &who.username,
        "erasure.request",
        Some(&erasure.app),
        Some(format!("{:?} erasure {}", erasure.subject, erasure.id)),
    )
    .await?;
    let id = erasure.id.clone();
    tokio::spawn(run(state, erasure));
    Ok((
        StatusCode::ACCEPTED,
        Json(ErasureAccepted { erasure_id: id }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/apps/{app}/users/{user_id}", tag = "privacy",
    params(("app" = String, Path), ("user_id" = String, Path, description = "As the SDK sent it (hashed here when the app hashes user ids)")),
    responses((status = 202, body = ErasureAccepted), (status = 403), (status = 404)))]
pub async fn erase_user(
    State(state): State<AppState>,
    who: Principal,
    Path((app, user_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<ErasureAccepted>), ApiError> {
    request(state, who, app, SubjectKind::User, user_id).await
}

#[utoipa::path(delete, path = "/api/v1/apps/{app}/sessions/{id}", tag = "privacy",
    params(("app" = String, Path), ("id" = String, Path)),
    responses((status = 202, body = ErasureAccepted), (status = 403), (status = 404)))]
pub async fn erase_session(
    State(state): State<AppState>,
    who: Principal,
    Path((app, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<ErasureAccepted>), ApiError> {
    request(state, who, app, SubjectKind::Session, id).await
}

#[utoipa::path(get, path = "/api/v1/erasures/{id}", tag = "privacy", params(("id" = String, Path)),
    responses((status = 200, body = Erasure), (status = 404)))]
pub async fn status(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Erasure>, ApiError> {
    let erasure: Option<Erasure> = docs::get(state.store.as_ref(), kind::ERASURE, &id).await?;
    erasure
        .filter(|e| who.may_write(&e.app))
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no erasure {id:?}")))
}

/// Runs the erasures a stop interrupted.
pub async fn resume(state: &AppState) -> Result<(), StoreError> {
    let all: Vec<Erasure> = docs::list(state.store.as_ref(), kind::ERASURE, 10_000).await?;
    for e in all {
        if matches!(e.status, Status::Pending | Status::Running) {
            tracing::info!(erasure = %e.id, "resuming an erasure");
            tokio::spawn(run(state.clone(), e));
        }
    }
    Ok(())
}

async fn run(state: AppState, mut e: Erasure) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let deadline = tokio::time::Instant::now() + SPOOL_WAIT;
    while state.spool.pending_bytes() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let subject = match e.subject {
        // Stored as the app's mode made it: hashed ids are found by hash;
        // an app that drops user ids has none to find.
        SubjectKind::User => state
            .policy(&e.app)
            .user_id
            .apply(e.value.clone())
            .map(Subject::User),
        SubjectKind::Session => Some(Subject::Session(e.value.clone())),
    };
    e.status = Status::Running;
    e.updated_at = now_ms();
    let mut outcome = Ok(0);
    // Retried with backoff while the store is unavailable: an accepted
    // request must not be forgotten because the database blinked.
    for attempt in 0..5u32 {
        if let Err(err) = docs::put(state.store.as_ref(), kind::ERASURE, &e.id, &e).await {
            tracing::warn!(erasure = %e.id, error = %err, "could not record an erasure's state");
        }
        outcome = match &subject {
            Some(subject) => state.store.erase(&e.app, subject).await,
            None => Ok(0),
        };
        match &outcome {
            Err(err) if err.is_retryable() => {
                tracing::warn!(erasure = %e.id, attempt, error = %err, "erasure failed; retrying");
                tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
            }
            _ => break,
        }
    }
    match outcome {
        Ok(rows) => {
            e.rows_removed = rows;
            e.value.clear();
            e.status = Status::Done;
            tracing::info!(erasure = %e.id, app = %e.app, rows, "erasure done");
        }
        Err(err) => {
            e.status = Status::Failed;
            tracing::error!(erasure = %e.id, error = %err, "erasure failed");
        }
    }
    e.updated_at = now_ms();
    if let Err(err) = docs::put(state.store.as_ref(), kind::ERASURE, &e.id, &e).await {
        tracing::error!(erasure = %e.id, error = %err, "could not record an erasure's end");
    }
}
