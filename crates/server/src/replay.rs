//! Reading session replays: a session's segment index, and one segment's
//! rrweb events. Segments are stored gzip-compressed, so a client that
//! accepts gzip (every browser) gets the stored bytes as they are.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fovea_query::ReplaySegmentInfo;
use serde::Serialize;
use utoipa::ToSchema;

use crate::apps::find;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::query::timed;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct ReplayIndex {
    /// In index order; concatenated, their events are one recording.
    pub segments: Vec<ReplaySegmentInfo>,
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/sessions/{id}/replay", tag = "query",
    params(("app" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = ReplayIndex), (status = 404)))]
pub async fn index(
    State(s): State<AppState>,
    _w: Principal,
    Path((app, id)): Path<(String, String)>,
) -> Result<Json<ReplayIndex>, ApiError> {
    timed(&s, "replay", async {
        let app = find(&s, &app)?;
        Ok(ReplayIndex {
            segments: s.store.replay_segments(&app.id, &id).await?,
        })
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/apps/{app}/sessions/{id}/replay/{index}", tag = "query",
    params(("app" = String, Path), ("id" = String, Path), ("index" = u32, Path)),
    responses(
        (status = 200, description = "The segment's rrweb events, a JSON array (gzip-encoded when the client accepts it)",
         content_type = "application/json", body = Vec<Object>),
        (status = 400), (status = 404)))]
pub async fn segment(
    State(s): State<AppState>,
    _w: Principal,
    Path((app, id, index)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let index: u32 = index
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("index {index:?} is not a segment number")))?;
    let gzipped = timed(&s, "replay_segment", async {
        let app = find(&s, &app)?;
        s.store
            .replay_segment(&app.id, &id, index)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!("no replay segment {index} in session {id:?}"))
            })
    })
    .await?
    .0;
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let mut res = if accepts_gzip {
        let mut res = gzipped.into_response();
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        res
    } else {
        let cap = s.settings.replay_limits.max_decompressed;
        let json = fovea_intake::decompress(Some("gzip"), &gzipped, cap).map_err(|e| {
            ApiError::Store(fovea_store::StoreError::Rejected(format!(
                "a stored replay segment does not decompress: {e}"
            )))
        })?;
        json.into_response()
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    // A segment changes only if its upload is retried; a minute of caching
    // makes seeking back and forth in the player cheap.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=60"),
    );
    Ok(res)
}
