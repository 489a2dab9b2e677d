//! Apps: create, list, change. Changes reach this node's intake at once
//! and other nodes' within their refresh period.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use fovea_schema::App;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::token::random_token;
use crate::AppState;

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

#[utoipa::path(get, path = "/api/v1/apps", tag = "apps", responses((status = 200, body = AppsResponse)))]
pub async fn list(
    State(state): State<AppState>,
    _who: Principal,
) -> Result<Json<AppsResponse>, ApiError> {
    Ok(Json(AppsResponse {
        apps: state.store.apps().await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/apps", tag = "apps", request_body = NewApp,
    responses((status = 201, body = App), (status = 400), (status = 409)))]
pub async fn create(
    State(state): State<AppState>,
    _who: Principal,
    Json(req): Json<NewApp>,
) -> Result<(StatusCode, Json<App>), ApiError> {
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
    };
    check(&app.name, &app.origins, app.sample_rate, app.retention_days)?;
    state.store.create_app(&app).await?;
    state.refresh_apps().await?;
    tracing::info!(app = %app.id, name = %app.name, "app created");
    Ok((StatusCode::CREATED, Json(app)))
}

#[utoipa::path(get, path = "/api/v1/apps/{app}", tag = "apps", params(("app" = String, Path)),
    responses((status = 200, body = App), (status = 404)))]
pub async fn get_one(
    State(state): State<AppState>,
    _who: Principal,
    Path(id): Path<String>,
) -> Result<Json<App>, ApiError> {
    Ok(Json(find(&state, &id)?))
}

pub fn find(state: &AppState, id: &str) -> Result<App, ApiError> {
    state
        .app_by_id(id)
        .ok_or_else(|| ApiError::NotFound(format!("no app {id:?}")))
}

#[utoipa::path(patch, path = "/api/v1/apps/{app}", tag = "apps", params(("app" = String, Path)),
    request_body = AppPatch, responses((status = 200, body = App), (status = 400), (status = 404)))]
pub async fn update(
    State(state): State<AppState>,
    _who: Principal,
    Path(id): Path<String>,
    Json(patch): Json<AppPatch>,
) -> Result<Json<App>, ApiError> {
    let old = find(&state, &id)?;
    let app = App {
        name: patch
            .name
            .map_or(old.name.clone(), |n| n.trim().to_string()),
        origins: patch.origins.unwrap_or(old.origins.clone()),
        sample_rate: patch.sample_rate.unwrap_or(old.sample_rate),
        retention_days: patch.retention_days.unwrap_or(old.retention_days),
        ..old
    };
    check(&app.name, &app.origins, app.sample_rate, app.retention_days)?;
    state.store.update_app(&app).await?;
    state.refresh_apps().await?;
    Ok(Json(app))
}
