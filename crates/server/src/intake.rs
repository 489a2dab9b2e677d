//! `POST /api/v1/intake`: cheap work only. Authenticate the key, check the
//! origin and the rate, decode and validate, resolve geo (the IP goes no
//! further), append to the spool, answer once it is durable. The intake
//! never touches the store.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fovea_intake::{Batch, BatchMeta, IntakeError};
use serde::Deserialize;
use serde_json::json;

use crate::clock::now_ms;
use crate::error::IntakeReply;
use crate::metrics::Reason;
use crate::AppState;

#[derive(Deserialize)]
pub struct KeyParam {
    key: Option<String>,
}

/// Answers CORS preflights for any origin: the key is checked on the POST.
pub async fn preflight(headers: HeaderMap) -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    cors(&headers, h);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, content-encoding, x-fovea-key"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    res
}

/// Reflects the request's origin: the key is public and the origin check
/// happens server side (403), so letting the browser read an error only
/// helps the site's developers.
fn cors(req: &HeaderMap, res: &mut HeaderMap) {
    if let Some(origin) = req.get(header::ORIGIN) {
        res.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        res.insert(header::VARY, HeaderValue::from_static("Origin"));
        res.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Retry-After"),
        );
    }
}

pub async fn intake(
    State(state): State<AppState>,
    Query(q): Query<KeyParam>,
    req: Request,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    let result = accept(&state, q, peer, &headers, body).await;
    let mut res = match result {
        Ok(n) => {
            state.metrics.events_accepted.inc_by(n as u64);
            (StatusCode::ACCEPTED, Json(json!({ "accepted": n }))).into_response()
        }
        Err(e) => {
            state
                .metrics
                .requests_rejected
                .get_or_create(&Reason { reason: e.code() })
                .inc();
            IntakeReply(e).into_response()
        }
    };
    cors(&headers, res.headers_mut());
    res
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn accept(
    state: &AppState,
    q: KeyParam,
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    body: Body,
) -> Result<usize, IntakeError> {
    let key = q
        .key
        .or_else(|| header_str(headers, "x-fovea-key").map(str::to_string))
        .filter(|k| !k.is_empty())
        .ok_or(IntakeError::MissingKey)?;
    let app = state.app_by_key(&key).ok_or(IntakeError::UnknownKey)?;
    if let Some(origin) = header_str(headers, header::ORIGIN) {
        if !app.origins.iter().any(|o| o == "*" || o == origin) {
            return Err(IntakeError::OriginNotAllowed(origin.to_string()));
        }
    }
    state
        .intake_limiter
        .take(&app.id, 1.0)
        .map_err(|retry_after_secs| IntakeError::RateLimited { retry_after_secs })?;
    if state.spool.pending_bytes() > state.settings.spool_max_bytes {
        state.spool_full(true);
        return Err(IntakeError::SpoolFull {
            retry_after_secs: 30,
        });
    }
    let limits = &state.settings.limits;
    let bytes = axum::body::to_bytes(body, limits.max_body)
        .await
        .map_err(|_| {
            IntakeError::TooLarge(format!(
                "body is over the limit of {} bytes",
                limits.max_body
            ))
        })?;
    let decoded = fovea_intake::decode(
        header_str(headers, header::CONTENT_TYPE),
        header_str(headers, header::CONTENT_ENCODING),
        &bytes,
        limits,
    )?;
    let n = decoded.events.len();
    if n == 0 {
        return Ok(0);
    }
    let ip = state
        .settings
        .client_ip_header
        .as_deref()
        .and_then(|h| header_str(headers, h))
        .and_then(|v| v.split(',').next())
        .and_then(|v| v.trim().parse().ok())
        .or(peer);
    let location = state.geo.locate(|name| header_str(headers, name), ip);
    let batch = Batch {
        meta: BatchMeta {
            app_id: app.id,
            received_at: now_ms(),
            user_agent: header_str(headers, header::USER_AGENT).map(str::to_string),
            country: location.country,
            region: location.region,
        },
        format: decoded.format,
        body: decoded.body,
    };
    state
        .spool
        .append(batch.encode())
        .await
        .map_err(|e| match e {
            fovea_spool::SpoolError::Full { .. } => {
                state.spool_full(true);
                IntakeError::SpoolFull {
                    retry_after_secs: 30,
                }
            }
            e => {
                tracing::error!(error = %e, "spool append failed");
                IntakeError::Spool
            }
        })?;
    state.spool_full(false);
    Ok(n)
}
