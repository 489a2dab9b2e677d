//! An app's sampling rules and exclusions (`/apps/{app}/sampling`), and the
//! browser SDK's share of them (`/sdk-config`): the SDK applies the rules
//! before it sends anything, so dropped sessions cost nothing; the
//! pipeline applies them again to clients that do not.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fovea_intake::IntakeError;
use fovea_query::DAY_MS;
use fovea_schema::sampling::{Rates, SamplingRule, Traffic};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiJson, ApiQuery, IntakeReply};
use crate::intake::{app_for_key, cors, header_str, KeyParam};
use crate::{apps, audit, AppState};

#[utoipa::path(get, path = "/api/v1/apps/{app}/sampling", tag = "sampling",
    params(("app" = String, Path)),
    responses((status = 200, body = Traffic), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Traffic>, ApiError> {
    Ok(Json(apps::find(&state, &id)?.traffic().filled()))
}

/// Replaces the rules, the exclusions and the bot policy at once; the
/// default rule's `session_rate` becomes the app's `sample_rate`.
#[utoipa::path(put, path = "/api/v1/apps/{app}/sampling", tag = "sampling",
    params(("app" = String, Path)), request_body = Traffic,
    responses((status = 200, body = Traffic), (status = 400), (status = 404)))]
pub async fn put(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    ApiJson(traffic): ApiJson<Traffic>,
) -> Result<Json<Traffic>, ApiError> {
    traffic.validate().map_err(ApiError::BadRequest)?;
    let mut app = apps::current(&state, &id).await?;
    app.set_traffic(traffic.filled());
    state.store.update_app(&app).await?;
    state.refresh_apps().await?;
    audit::record(&state, &who.username, "app.sampling", Some(&app.id), None).await?;
    Ok(Json(app.traffic()))
}

/// What the browser SDK needs of an app's rules.
#[derive(Serialize, ToSchema)]
pub struct SdkConfig {
    rules: Vec<SamplingRule>,
    default: Rates,
    exclude: BrowserExclusions,
    /// What the server knows of the requesting browser, for rules on
    /// device and country.
    client: Client,
    /// Until when (ms) the app is over a daily quota: the SDK sends
    /// nothing before then.
    quota_until: Option<i64>,
}

/// The exclusions a browser can check (address ranges are the server's).
#[derive(Serialize, ToSchema)]
pub struct BrowserExclusions {
    envs: Vec<String>,
    routes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Client {
    /// `desktop`, `mobile`, `tablet` or `bot`.
    device: Option<String>,
    /// ISO 3166 alpha-2, when geo lookup is configured.
    country: Option<String>,
}

/// The SDK's configuration for the app of an ingest key: public like the
/// key, small, and revalidated with its `ETag` whenever the SDK asks
/// (`Cache-Control: no-cache`). The SDK keeps an answer for 5 minutes, so
/// a rule change reaches every browser within 5 minutes.
#[utoipa::path(get, path = "/api/v1/sdk-config", tag = "intake", params(KeyParam),
    responses((status = 200, body = SdkConfig), (status = 304, description = "Unchanged since the ETag sent in If-None-Match"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(()))]
pub async fn sdk_config(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<KeyParam>,
    req: Request,
) -> Response {
    let peer = crate::intake::peer(&req);
    let headers = req.headers();
    let mut res = match app_for_key(&state, q, headers) {
        Ok(app) => {
            let ip = crate::auth::client_ip(&state, headers, peer);
            let now = now_ms();
            let traffic = app.traffic().filled();
            let over = |check: Result<(), IntakeError>| check.is_err();
            let quota_until = (over(state.quotas.check_events(&app, now))
                || over(state.quotas.check_replay(&app, now)))
            .then(|| now - now.rem_euclid(DAY_MS) + DAY_MS);
            let config = SdkConfig {
                rules: traffic.rules,
                default: traffic.default,
                exclude: BrowserExclusions {
                    envs: traffic.exclude.envs,
                    routes: traffic.exclude.routes,
                },
                client: Client {
                    device: header_str(headers, header::USER_AGENT)
                        .map(|ua| state.pipeline.agent(ua).device.to_string()),
                    country: state
                        .geo
                        .locate(|name| header_str(headers, name), ip)
                        .country,
                },
                quota_until,
            };
            revalidated(
                headers,
                serde_json::to_vec(&config).expect("config serializes"),
            )
        }
        Err(e) => IntakeReply(e).into_response(),
    };
    cors(headers, res.headers_mut());
    res
}

/// A 200 with an `ETag` of `body`, or a 304 when the browser has it.
fn revalidated(req: &HeaderMap, body: Vec<u8>) -> Response {
    let tag = format!("\"{}\"", &fovea_schema::sha256_hex(&body)[..32]);
    let fresh = header_str(req, header::IF_NONE_MATCH).is_some_and(|sent| {
        sent.split(',')
            .any(|t| t.trim().trim_start_matches("W/") == tag)
    });
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response()
    };
    let h = res.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(&tag).expect("hex"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}
