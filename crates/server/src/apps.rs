//! Apps: create, list, change. Changes reach this node's intake at once
//! and other nodes' within their refresh period.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use fovea_pipeline::Scrubber;
use fovea_schema::{App, Privacy, UserIdModeName};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::clock::now_ms;
use crate::docs::{self, kind};
use crate::error::{ApiError, ApiJson};
use crate::state::OldKey;
use crate::token::{hash_token, random_token};
use crate::{audit, AppState};

#[derive(Serialize, ToSchema)]
pub struct AppsResponse {
    pub apps: Vec<App>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApp {
    pub name: String,
    #[serde(default)]
    pub origins: Vec<String>,
    pub sample_rate: Option<f64>,
    pub retention_days: Option<u32>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppPatch {
    pub name: Option<String>,
    pub origins: Option<Vec<String>>,
    pub sample_rate: Option<f64>,
    pub retention_days: Option<u32>,
    /// A link to a trace in the team's tracing tool, with `{trace_id}`;
    /// `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub trace_url_template: Option<Option<String>>,
    /// Events stored per UTC day at most; `null`: unlimited.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub daily_event_quota: Option<Option<u64>>,
    /// Replay bytes stored per UTC day at most; `null`: unlimited.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub daily_replay_bytes_quota: Option<Option<u64>>,
    /// What is stored of user ids from now on: `raw`, `hash` or `drop`.
    pub user_id_mode: Option<UserIdModeName>,
    /// Regexes whose matches are scrubbed from every stored text, besides
    /// the built-in patterns (at most 50).
    pub scrub_patterns: Option<Vec<String>>,
    /// Query keys whose values are scrubbed, besides the built-in list
    /// (at most 100).
    pub scrub_keys: Option<Vec<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A new app: the app, and its server key, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedApp {
    #[serde(flatten)]
    pub app: App,
    /// The secret backends send spans with (`x-fovea-key`); only its hash
    /// is kept.
    pub server_key: String,
}

#[derive(Serialize, ToSchema)]
pub struct ServerKey {
    pub server_key: String,
}

/// A new server key: `fsk_` and 32 random bytes as hex.
fn new_server_key() -> String {
    format!("fsk_{}", random_token(32))
}

fn check_template(template: &Option<String>) -> Result<(), ApiError> {
    let Some(t) = template else { return Ok(()) };
    if !(t.starts_with("https://") || t.starts_with("http://"))
        || !t.contains("{trace_id}")
        || t.len() > 2048
    {
        return Err(ApiError::BadRequest(
            "trace_url_template must be an http(s) URL of at most 2048 characters with {trace_id} where the trace id goes".into(),
        ));
    }
    Ok(())
}

/// Quotas up to what every JSON client reads exactly (2^53 − 1).
const MAX_QUOTA: u64 = (1 << 53) - 1;

fn check_quotas(app: &App) -> Result<(), ApiError> {
    if [app.daily_event_quota, app.daily_replay_bytes_quota]
        .iter()
        .flatten()
        .any(|q| *q > MAX_QUOTA)
    {
        return Err(ApiError::BadRequest(format!(
            "daily quotas must be at most {MAX_QUOTA}, or null for none"
        )));
    }
    Ok(())
}

fn check_privacy(p: &Privacy) -> Result<(), ApiError> {
    let bad = |m: String| Err(ApiError::BadRequest(m));
    if p.scrub_patterns.len() > 50 || p.scrub_patterns.iter().any(|p| p.len() > 1000) {
        return bad("scrub_patterns: at most 50 patterns of at most 1000 characters".into());
    }
    if p.scrub_keys.len() > 100 || p.scrub_keys.iter().any(|k| k.is_empty() || k.len() > 100) {
        return bad("scrub_keys: at most 100 keys of 1 to 100 characters".into());
    }
    if let Err(e) = Scrubber::default().with_patterns(&p.scrub_patterns) {
        return bad(format!("scrub_patterns: {e}"));
    }
    Ok(())
}

fn check(
    name: &str,
    origins: &[String],
    sample_rate: f64,
    retention_days: u32,
) -> Result<(), ApiError> {
    let bad = |m: String| Err(ApiError::BadRequest(m));
    if name.trim().is_empty() || name.len() > 100 {
        return bad("name must be 1 to 100 characters".into());
    }
    if let Some(o) = origins.iter().find(|o| {
        *o != "*" && !(o.starts_with("http://") || o.starts_with("https://")) || o.ends_with('/')
    }) {
        return bad(format!(
            "origin {o:?} must be * or scheme://host[:port] without a path"
        ));
    }
    if !(0.0..=100.0).contains(&sample_rate) {
        return bad("sample_rate must be 0..100".into());
    }
    if !(1..=3650).contains(&retention_days) {
        return bad("retention_days must be 1..3650".into());
    }
    Ok(())
}

#[utoipa::path(operation_id = "list_apps", get, path = "/api/v1/apps", tag = "apps", responses((status = 200, body = AppsResponse)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<AppsResponse>, ApiError> {
    let mut apps = state.store.apps().await?;
    apps.retain(|a| who.may_read(&a.id));
    Ok(Json(AppsResponse { apps }))
}

#[utoipa::path(operation_id = "create_app", post, path = "/api/v1/apps", tag = "apps", request_body = NewApp,
    responses((status = 201, body = CreatedApp), (status = 400), (status = 409)))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<NewApp>,
) -> Result<(StatusCode, Json<CreatedApp>), ApiError> {
    let server_key = new_server_key();
    let app = App {
        id: uuid::Uuid::new_v4().simple().to_string()[..12].to_string(),
        name: req.name.trim().to_string(),
        ingest_key: random_token(16),
        origins: req.origins,
        sample_rate: req.sample_rate.unwrap_or(100.0),
        retention_days: req
            .retention_days
            .unwrap_or(state.settings.default_retention_days),
        created_at: now_ms(),
        server_key_hash: Some(hash_token(&server_key)),
        trace_url_template: None,
        user_id_key: Some(random_token(32)),
        ..App::default()
    };
    check(&app.name, &app.origins, app.sample_rate, app.retention_days)?;
    state.store.create_app(&app).await?;
    state.refresh_apps().await?;
    audit::record(&state, &who.username, "app.create", Some(&app.id), None).await?;
    Ok((StatusCode::CREATED, Json(CreatedApp { app, server_key })))
}

#[utoipa::path(post, path = "/api/v1/apps/{app}/server-key", tag = "apps", params(("app" = String, Path)),
    responses((status = 200, body = ServerKey, description = "The new key, shown this once; the old one stops working at once"), (status = 404)))]
pub async fn rotate_server_key(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<ServerKey>, ApiError> {
    let server_key = new_server_key();
    let app = App {
        server_key_hash: Some(hash_token(&server_key)),
        ..current(&state, &id).await?
    };
    state.store.update_app(&app).await?;
    state.refresh_apps().await?;
    audit::record(
        &state,
        &who.username,
        "app.server_key.rotate",
        Some(&app.id),
        None,
    )
    .await?;
    Ok(Json(ServerKey { server_key }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKey {
    /// Hours the replaced key keeps working, 0..720 (default 24), so that
    /// pages cached or deployed with it keep sending while the new key
    /// rolls out.
    pub grace_hours: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct RotatedKey {
    pub ingest_key: String,
    pub previous_key: String,
    /// Until when the previous key is accepted (ms).
    pub previous_key_expires_at: i64,
}

const MAX_GRACE_HOURS: u32 = 720;

#[utoipa::path(post, path = "/api/v1/apps/{app}/rotate-key", tag = "apps", params(("app" = String, Path)),
    request_body(content = RotateKey, description = "Optional"),
    responses((status = 200, body = RotatedKey), (status = 400), (status = 403), (status = 404)))]
pub async fn rotate_ingest_key(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<RotatedKey>, ApiError> {
    // The body is optional: no body is the default grace period.
    let req: RotateKey = match body.iter().all(u8::is_ascii_whitespace) {
        true => RotateKey { grace_hours: None },
        false => serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("the body: {e}")))?,
    };
    let grace_hours = req.grace_hours.unwrap_or(24);
    if grace_hours > MAX_GRACE_HOURS {
        return Err(ApiError::BadRequest(format!(
            "grace_hours must be 0..{MAX_GRACE_HOURS}"
        )));
    }
    let old = current(&state, &id).await?;
    let previous = OldKey {
        app: old.id.clone(),
        key: old.ingest_key.clone(),
        expires_at: now_ms() + i64::from(grace_hours) * 3_600_000,
    };
    if grace_hours > 0 {
        docs::put(
            state.store.as_ref(),
            kind::OLD_KEY,
            &previous.key,
            &previous,
        )
        .await?;
    }
    let app = App {
        ingest_key: random_token(16),
        ..old
    };
    state.store.update_app(&app).await?;
    state.refresh_apps().await?;
    audit::record(
        &state,
        &who.username,
        "app.ingest_key.rotate",
        Some(&app.id),
        Some(format!("grace {grace_hours} h")),
    )
    .await?;
    Ok(Json(RotatedKey {
        ingest_key: app.ingest_key,
        previous_key: previous.key,
        previous_key_expires_at: previous.expires_at,
    }))
}

#[utoipa::path(get, path = "/api/v1/apps/{app}", tag = "apps", params(("app" = String, Path)),
    responses((status = 200, body = App), (status = 404)))]
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<App>, ApiError> {
    Ok(Json(find(&state, &id)?))
}

/// The app as the store has it now, for a change: the index may be up to
/// a refresh old, and writing back an old server key hash would undo a
/// rotation made on another node.
pub(crate) async fn current(state: &AppState, id: &str) -> Result<App, ApiError> {
    state
        .store
        .apps()
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("no app {id:?}")))
}

pub fn find(state: &AppState, id: &str) -> Result<App, ApiError> {
    state
        .app_by_id(id)
        .ok_or_else(|| ApiError::NotFound(format!("no app {id:?}")))
}

#[utoipa::path(operation_id = "update_app", patch, path = "/api/v1/apps/{app}", tag = "apps", params(("app" = String, Path)),
    request_body = AppPatch, responses((status = 200, body = App), (status = 400), (status = 404)))]
pub async fn update(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<AppPatch>,
) -> Result<Json<App>, ApiError> {
    let old = current(&state, &id).await?;
    let app = App {
        name: patch
            .name
            .map_or(old.name.clone(), |n| n.trim().to_string()),
        origins: patch.origins.unwrap_or(old.origins.clone()),
        sample_rate: patch.sample_rate.unwrap_or(old.sample_rate),
        retention_days: patch.retention_days.unwrap_or(old.retention_days),
        trace_url_template: patch
            .trace_url_template
            .unwrap_or(old.trace_url_template.clone())
            .filter(|t| !t.trim().is_empty()),
        daily_event_quota: patch.daily_event_quota.unwrap_or(old.daily_event_quota),
        daily_replay_bytes_quota: patch
            .daily_replay_bytes_quota
            .unwrap_or(old.daily_replay_bytes_quota),
        privacy: Privacy {
            user_id_mode: patch.user_id_mode.unwrap_or(old.privacy.user_id_mode),
            scrub_patterns: patch
                .scrub_patterns
                .unwrap_or(old.privacy.scrub_patterns.clone()),
            scrub_keys: patch.scrub_keys.unwrap_or(old.privacy.scrub_keys.clone()),
        },
        // Apps made before hashing existed get their key when they need it.
        user_id_key: old.user_id_key.clone().or_else(|| Some(random_token(32))),
        ..old
    };
    check(&app.name, &app.origins, app.sample_rate, app.retention_days)?;
    check_privacy(&app.privacy)?;
    check_quotas(&app)?;
    check_template(&app.trace_url_template)?;
    state.store.update_app(&app).await?;
    state.refresh_apps().await?;
    audit::record(&state, &who.username, "app.update", Some(&app.id), None).await?;
    Ok(Json(app))
}
