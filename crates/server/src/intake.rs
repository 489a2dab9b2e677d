//! `POST /api/v1/intake`, `POST /api/v1/replay` and the OTLP trace intake
//! (`POST /v1/traces`): cheap work only. Authenticate the key, check the
//! origin and the rate, decode and validate, resolve geo (the IP goes no
//! further), append to the spool, answer once it is durable. The intake
//! never touches the store.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fovea_intake::{otlp, Batch, BatchMeta, Format, IntakeError};
use fovea_store::App;
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::error::{log_refusal, ApiQuery, IntakeReply};
use crate::metrics::{Quota, Reason};
use crate::token::hash_token;
use crate::AppState;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyParam {
    /// The app's public ingest key (also accepted as `x-fovea-key`).
    pub key: Option<String>,
}

/// What an intake took.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    /// Events (or segments) accepted: durable in the spool.
    pub accepted: usize,
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
pub(crate) fn cors(req: &HeaderMap, res: &mut HeaderMap) {
    if let Some(origin) = req.get(header::ORIGIN) {
        res.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        res.insert(header::VARY, HeaderValue::from_static("Origin"));
        res.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Retry-After"),
        );
    }
}

#[utoipa::path(post, path = "/api/v1/intake", tag = "intake", params(KeyParam),
    request_body(content = Object, description = "A batch as JSON, or NDJSON (application/x-ndjson), optionally gzip or deflate (Content-Encoding); docs/intake.md", content_type = "application/json"),
    responses(crate::openapi::IntakeAnswers),
    security(()))]
pub async fn intake(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<KeyParam>,
    req: Request,
) -> Response {
    let (peer, headers, body) = split(req);
    let result = accept(&state, q, peer, &headers, body).await;
    hold(&state, &result).await;
    if let Ok(n) = result {
        state.metrics.events_accepted.inc_by(n as u64);
    }
    answer(&state, &headers, result)
}

/// `POST /api/v1/replay`: one session replay segment, under the same key,
/// origin, rate and spool rules as events (`docs/intake.md`).
#[utoipa::path(post, path = "/api/v1/replay", tag = "intake", params(KeyParam),
    request_body(content = Object, description = "One rrweb segment, JSON, optionally gzip; docs/intake.md", content_type = "application/json"),
    responses(crate::openapi::IntakeAnswers),
    security(()))]
pub async fn replay(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<KeyParam>,
    req: Request,
) -> Response {
    let (peer, headers, body) = split(req);
    let result = accept_replay(&state, q, peer, &headers, body).await;
    hold(&state, &result).await;
    if let Ok(n) = result {
        state.metrics.replay_segments_accepted.inc_by(n as u64);
    }
    answer(&state, &headers, result)
}

/// The address the request came from (a proxy's, behind one).
pub(crate) fn peer(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

fn split(req: Request) -> (Option<IpAddr>, HeaderMap, Body) {
    let peer = peer(&req);
    let (parts, body) = req.into_parts();
    (peer, parts.headers, body)
}

fn answer(state: &AppState, headers: &HeaderMap, result: Result<usize, IntakeError>) -> Response {
    let mut res = match result {
        Ok(n) => (StatusCode::ACCEPTED, Json(Accepted { accepted: n })).into_response(),
        Err(e) => {
            count_refusal(state, &e);
            IntakeReply(e).into_response()
        }
    };
    cors(headers, res.headers_mut());
    res
}

fn count_refusal(state: &AppState, e: &IntakeError) {
    state
        .metrics
        .requests_rejected
        .get_or_create(&Reason { reason: e.code() })
        .inc();
}

pub(crate) fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// What every browser intake request passes before its body is read: a
/// known key, an allowed origin ([`app_for_key`]), then [`room`].
fn admit(state: &AppState, q: KeyParam, headers: &HeaderMap) -> Result<App, IntakeError> {
    room(state, app_for_key(state, q, headers)?)
}

/// The app of the request's ingest key, if the request's origin may use it.
pub(crate) fn app_for_key(
    state: &AppState,
    q: KeyParam,
    headers: &HeaderMap,
) -> Result<App, IntakeError> {
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
    Ok(app)
}

/// Bodies decoded on the request's own worker: a typical SDK batch (a few
/// KB of JSON) decodes in microseconds, less than a hand-off costs.
const INLINE_DECODE_BYTES: usize = 64 << 10;

/// Large or compressed batches and segments decoded at once at most (each
/// may inflate to the decompression cap).
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);
/// OTLP requests decoded at once at most: a decoded request can take ~50×
/// its 4 MiB cap.
static OTLP_DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Runs a decode off the async workers when it may take long (a large or
/// compressed body), at most `slots` at a time, so that a few heavy
/// requests cannot stall every connection a worker serves.
async fn off_the_workers<T: Send + 'static>(
    slots: &'static tokio::sync::Semaphore,
    body: &[u8],
    compressed: bool,
    decode: impl FnOnce() -> Result<T, IntakeError> + Send + 'static,
) -> Result<T, IntakeError> {
    if !compressed && body.len() <= INLINE_DECODE_BYTES {
        return decode();
    }
    let _permit = slots
        .acquire()
        .await
        .expect("the semaphore is never closed");
    match tokio::task::spawn_blocking(decode).await {
        Ok(decoded) => decoded,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// One client address's rate, after its app's: a flood from one address
/// is refused before it uses up its app's rate for every visitor. Loopback
/// is not limited: it is a proxy on the same host (whose clients are told
/// apart only with `--client-ip-header`), a load test or a test.
fn per_address(state: &AppState, ip: Option<IpAddr>) -> Result<(), IntakeError> {
    let Some(ip) = ip.filter(|ip| !ip.is_loopback()) else {
        return Ok(());
    };
    state
        .ip_limiter
        .take(&ip.to_string(), 1.0)
        .map_err(|retry_after_secs| IntakeError::RateLimited { retry_after_secs })
}

/// The app's rate and room in the spool.
fn room(state: &AppState, app: App) -> Result<App, IntakeError> {
    state
        .intake_limiter
        .take(&app.id, 1.0)
        .map_err(|retry_after_secs| IntakeError::RateLimited { retry_after_secs })?;
    if state.spool_refusing() {
        return Err(IntakeError::SpoolFull {
            retry_after_secs: 30,
        });
    }
    // With one app there is nobody to keep room for: it has the whole spool.
    let (cap, pending) = (state.settings.spool_max_bytes, state.spool.pending_bytes());
    if state.app_count() > 1 && state.spool_shares.over_half(&app.id, cap, pending) {
        return Err(IntakeError::SpoolShare {
            retry_after_secs: 30,
        });
    }
    Ok(app)
}

/// Shows an app's quota state in `/metrics` and logs when it changes;
/// passes the check's result on. Apps without that quota are left out.
fn quota_state(
    state: &AppState,
    app: &App,
    limit: Option<u64>,
    quota: &'static str,
    check: Result<(), IntakeError>,
) -> Result<(), IntakeError> {
    if let Some(limit) = limit {
        let exceeded = i64::from(check.is_err());
        let key = Quota {
            app: app.id.clone(),
            quota,
        };
        let gauge = state.metrics.quota_exceeded.get_or_create(&key);
        if gauge.set(exceeded) != exceeded {
            let since = state.metrics.quota_exceeded_since.get_or_create(&key);
            since.set(exceeded * now_ms() / 1000);
            if exceeded == 1 {
                tracing::warn!(app = %app.id, quota, limit, "the app's daily quota is used up: its intake answers 429 until the next UTC day");
            } else {
                tracing::info!(app = %app.id, quota, limit, "the app is within its daily quota again");
            }
        }
    }
    if check.is_err() {
        state
            .drops
            .add(&app.id, now_ms(), crate::usage::DropReason::Quota, 1);
    }
    check
}

/// Whether the client is in one of the app's excluded address ranges
/// (its own offices, probes): checked here, the only place that sees the
/// address. Its requests are answered as accepted, so that it does not
/// retry, and counted as dropped.
fn internal(state: &AppState, app: &App, ip: Option<IpAddr>, n: usize) -> bool {
    let excluded = ip.is_some_and(|ip| app.traffic_rules.ip_excluded(ip));
    if excluded {
        state
            .drops
            .add(&app.id, now_ms(), crate::usage::DropReason::Excluded, n);
    }
    excluded
}

/// Refusals held at once at most; past it they are answered at once.
const MAX_HELD: usize = 10_000;

/// Holds a refusal for a full spool a moment before answering it. A client
/// that ignores `Retry-After` (a load generator, a foreign SDK, an old
/// client) would otherwise turn the node's CPU into a stream of refusals
/// while the writer, which yields to requests, needs it to drain: a held
/// request costs a timer, not CPU, and a client waiting for its answer
/// sends nothing else on that connection. The hold ends early (after a
/// tenth of it) once the spool has room again, so that the writer is not
/// left without work while every client waits out its hold.
async fn hold<T>(state: &AppState, result: &Result<T, IntakeError>) {
    use std::sync::atomic::Ordering;
    let hold = state.settings.refusal_hold;
    let refused_for_room = matches!(
        result,
        Err(IntakeError::SpoolFull { .. } | IntakeError::SpoolShare { .. })
    );
    if hold.is_zero() || !refused_for_room {
        return;
    }
    if state.held_refusals.fetch_add(1, Ordering::Relaxed) < MAX_HELD {
        tokio::time::sleep(hold / 10).await;
        state.until_room(hold - hold / 10).await;
    }
    state.held_refusals.fetch_sub(1, Ordering::Relaxed);
}

/// A backend's key: the app's secret server key in `x-fovea-key` (or a
/// bearer token), never the public browser key.
fn admit_backend(state: &AppState, headers: &HeaderMap) -> Result<App, IntakeError> {
    let key = header_str(headers, "x-fovea-key")
        .or_else(|| {
            header_str(headers, header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer "))
        })
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(IntakeError::ServerKey(
            "no server key: send the app's server key in the x-fovea-key header",
        ))?;
    let app = match state.app_by_server_key(&hash_token(key)) {
        Some(app) => app,
        None if state.app_by_key(key).is_some() => {
            return Err(IntakeError::ServerKey(
                "this is the app's public browser key; backends send its secret server key",
            ))
        }
        None => return Err(IntakeError::ServerKey("no app has this server key")),
    };
    room(state, app)
}

/// `POST /v1/traces` (and `/api/v1/otlp/v1/traces`): OTLP/HTTP spans from a
/// backend, protobuf or JSON, answered in the request's encoding as the
/// OTLP specification says (200, with `partial_success` when spans were
/// refused).
#[utoipa::path(post, path = "/v1/traces", tag = "intake",
    params(("x-fovea-key" = Option<String>, Header, description = "The app's secret server key (or Authorization: Bearer)")),
    request_body(content = Object, description = "An OTLP ExportTraceServiceRequest, protobuf (application/x-protobuf) or OTLP JSON, optionally gzip", content_type = "application/json"),
    responses(crate::openapi::OtlpAnswers),
    security(()))]
pub async fn traces(State(state): State<AppState>, req: Request) -> Response {
    let (_, headers, body) = split(req);
    // A client that sent neither protobuf nor JSON is answered in JSON.
    let (encoding, result) = match otlp::Encoding::of(header_str(&headers, header::CONTENT_TYPE)) {
        Ok(encoding) => (
            encoding,
            accept_traces(&state, encoding, &headers, body).await,
        ),
        Err(e) => (otlp::Encoding::Json, Err(e)),
    };
    hold(&state, &result).await;
    let (status, body) = match result {
        Ok(d) => {
            state.metrics.spans_accepted.inc_by(d.accepted as u64);
            state.metrics.spans_rejected.inc_by(d.rejected as u64);
            (
                StatusCode::OK,
                otlp::response(encoding, d.rejected, d.error),
            )
        }
        Err(e) => {
            count_refusal(&state, &e);
            log_refusal(&e);
            let mut res = (e.status(), otlp::error_body(encoding, &e)).into_response();
            if let Some(secs) = e.retry_after_secs() {
                res.headers_mut().insert(header::RETRY_AFTER, secs.into());
            }
            set_content_type(&mut res, encoding);
            return res;
        }
    };
    let mut res = (status, body).into_response();
    set_content_type(&mut res, encoding);
    res
}

/// The same OTLP intake under the API prefix, for proxies that route only
/// `/api/`.
#[utoipa::path(post, path = "/api/v1/otlp/v1/traces", tag = "intake",
    params(("x-fovea-key" = Option<String>, Header, description = "The app's secret server key (or Authorization: Bearer)")),
    request_body(content = Object, description = "As POST /v1/traces", content_type = "application/json"),
    responses(crate::openapi::OtlpAnswers),
    security(()))]
pub async fn traces_under_api(state: State<AppState>, req: Request) -> Response {
    traces(state, req).await
}

fn set_content_type(res: &mut Response, encoding: otlp::Encoding) {
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(encoding.content_type()),
    );
}

async fn accept_traces(
    state: &AppState,
    encoding: otlp::Encoding,
    headers: &HeaderMap,
    body: Body,
) -> Result<otlp::DecodedTraces, IntakeError> {
    let app = admit_backend(state, headers)?;
    let limits = &state.settings.otlp_limits;
    let bytes = read_body(body, limits.max_body).await?;
    let received_at = now_ms();
    let content_encoding = header_str(headers, header::CONTENT_ENCODING).map(str::to_string);
    let mut decoded = off_the_workers(&OTLP_DECODES, &bytes, true, {
        let (bytes, limits) = (bytes.clone(), limits.clone());
        move || {
            otlp::decode_traces(
                encoding,
                content_encoding.as_deref(),
                &bytes,
                &limits,
                received_at,
            )
        }
    })
    .await?;
    if decoded.accepted == 0 {
        return Ok(decoded);
    }
    let batch = Batch {
        meta: BatchMeta {
            app_id: app.id,
            received_at,
            user_agent: None,
            country: None,
            region: None,
        },
        format: Format::Spans,
        body: std::mem::take(&mut decoded.body),
    };
    spool(state, batch).await?;
    Ok(decoded)
}

async fn read_body(body: Body, max: usize) -> Result<axum::body::Bytes, IntakeError> {
    axum::body::to_bytes(body, max)
        .await
        .map_err(|_| IntakeError::TooLarge(format!("body is over the limit of {max} bytes")))
}

/// Appends a batch to the spool; returns once it is durable.
async fn spool(state: &AppState, batch: Batch) -> Result<(), IntakeError> {
    let record = batch.encode();
    let (app, size) = (batch.meta.app_id, record.len() as u64);
    state.spool.append(record).await.map_err(|e| match e {
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
    state.spool_shares.add(&app, size);
    state.spool_full(false);
    Ok(())
}

async fn accept(
    state: &AppState,
    q: KeyParam,
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    body: Body,
) -> Result<usize, IntakeError> {
    let app = admit(state, q, headers)?;
    let ip = crate::auth::client_ip(state, headers, peer);
    per_address(state, ip)?;
    quota_state(
        state,
        &app,
        app.daily_event_quota,
        "events",
        state.quotas.check_events(&app, now_ms()),
    )?;
    let limits = &state.settings.limits;
    let bytes = read_body(body, limits.max_body).await?;
    let content_type = header_str(headers, header::CONTENT_TYPE).map(str::to_string);
    let encoding = header_str(headers, header::CONTENT_ENCODING).map(str::to_string);
    let decoded = off_the_workers(&DECODES, &bytes, encoding.is_some(), {
        let (bytes, limits) = (bytes.clone(), limits.clone());
        move || {
            fovea_intake::decode(
                content_type.as_deref(),
                encoding.as_deref(),
                &bytes,
                &limits,
            )
        }
    })
    .await?;
    let n = decoded.events;
    if n == 0 || internal(state, &app, ip, n) {
        return Ok(0);
    }
    let location = state.geo.locate(|name| header_str(headers, name), ip);
    let received_at = now_ms();
    let batch = Batch {
        meta: BatchMeta {
            app_id: app.id.clone(),
            received_at,
            user_agent: header_str(headers, header::USER_AGENT).map(str::to_string),
            country: location.country,
            region: location.region,
        },
        format: decoded.format,
        body: decoded.body,
    };
    spool(state, batch).await?;
    state.quotas.accepted_events(&app.id, received_at, n as u64);
    Ok(n)
}

/// A replay segment needs no geo (its session's events carry it), only
/// the user agent, for the same bot rule as the events.
async fn accept_replay(
    state: &AppState,
    q: KeyParam,
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    body: Body,
) -> Result<usize, IntakeError> {
    let app = admit(state, q, headers)?;
    let ip = crate::auth::client_ip(state, headers, peer);
    per_address(state, ip)?;
    if internal(state, &app, ip, 0) {
        return Ok(0);
    }
    quota_state(
        state,
        &app,
        app.daily_replay_bytes_quota,
        "replay_bytes",
        state.quotas.check_replay(&app, now_ms()),
    )?;
    let limits = &state.settings.replay_limits;
    let bytes = read_body(body, limits.max_body).await?;
    let content_type = header_str(headers, header::CONTENT_TYPE).map(str::to_string);
    let encoding = header_str(headers, header::CONTENT_ENCODING).map(str::to_string);
    // Segments are gzipped by the SDK whether or not it says so.
    let decoded = off_the_workers(&DECODES, &bytes, true, {
        let (bytes, limits) = (bytes.clone(), limits.clone());
        move || {
            fovea_intake::decode_replay(
                content_type.as_deref(),
                encoding.as_deref(),
                &bytes,
                &limits,
            )
        }
    })
    .await?;
    let received_at = now_ms();
    let size = decoded.body.len() as u64;
    let batch = Batch {
        meta: BatchMeta {
            app_id: app.id.clone(),
            received_at,
            user_agent: header_str(headers, header::USER_AGENT).map(str::to_string),
            country: None,
            region: None,
        },
        format: Format::Replay,
        body: decoded.body,
    };
    spool(state, batch).await?;
    // Counted decompressed until the writer has stored it gzip'd.
    state
        .quotas
        .accepted_replay_bytes(&app.id, received_at, size);
    Ok(1)
}
