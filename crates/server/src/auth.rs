//! Who may read: users (argon2 passwords, an HttpOnly SameSite=Strict
//! session cookie, rate-limited login) and bearer tokens. Ingest keys are
//! not credentials here: they only write, through the intake.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fovea_store::LoginSession;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::clock::now_ms;
use crate::error::ApiError;
use crate::token::{hash_token, random_token};
use crate::{password, AppState};

const COOKIE: &str = "fovea_session";
const SESSION_TTL_MS: i64 = 7 * 86_400_000;
/// Header a cookie-authenticated state-changing request must carry. A
/// cross-site page cannot add it without a CORS preflight, which Fovea's API
/// never grants, so it stops CSRF.
pub const CSRF_HEADER: &str = "x-fovea-csrf";

fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// An authenticated caller of the query and admin API.
#[derive(Debug, Clone)]
pub struct Principal {
    pub username: String,
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(auth) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            let token = auth.strip_prefix("Bearer ").ok_or(ApiError::Unauthorized)?;
            return match &state.settings.admin_token {
                Some(admin) if bool::from(admin.as_bytes().ct_eq(token.as_bytes())) => {
                    Ok(Principal {
                        username: "admin-token".into(),
                    })
                }
                _ => Err(ApiError::Unauthorized),
            };
        }
        let token = cookie_token(&parts.headers).ok_or(ApiError::Unauthorized)?;
        let session = state
            .store
            .login_session(&hash_token(token))
            .await?
            .filter(|s| s.expires_at > now_ms())
            .ok_or(ApiError::Unauthorized)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe && parts.headers.get(CSRF_HEADER).is_none() {
            return Err(ApiError::Forbidden(
                "state-changing requests need the X-Fovea-Csrf header",
            ));
        }
        Ok(Principal {
            username: session.username,
        })
    }
}

#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

fn session_cookie(value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie is ASCII")
}

/// Longer user names are refused before anything else is done.
const MAX_USERNAME: usize = 64;

pub async fn login(
    State(state): State<AppState>,
    Json(req): Json<Login>,
) -> Result<Response, ApiError> {
    if req.username.is_empty() || req.username.len() > MAX_USERNAME {
        return Err(ApiError::BadRequest(format!(
            "the user name must be 1 to {MAX_USERNAME} bytes"
        )));
    }
    // Taken before the password check, so that concurrent attempts cannot
    // pass the limit, and given back on success. Keyed by the exact name:
    // attempts as `ADMIN` (no such user) do not lock out `admin`.
    let key = req.username.as_str();
    state
        .login_limiter
        .take(key, 1.0)
        .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
    let user = state.store.user(&req.username).await?;
    let ok = match user {
        Some(u) => password::verify(req.password, u.password_hash).await,
        None => false,
    };
    if !ok {
        tracing::info!(username = %req.username, "login failed");
        return Err(ApiError::Unauthorized);
    }
    state.login_limiter.give_back(key, 1.0);
    let token = random_token(32);
    state
        .store
        .put_login_session(&LoginSession {
            token_hash: hash_token(&token),
            username: req.username,
            expires_at: now_ms() + SESSION_TTL_MS,
        })
        .await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&token, SESSION_TTL_MS / 1000, state.settings.cookie_secure),
    );
    Ok(res)
}

pub async fn logout(
    State(state): State<AppState>,
    _who: Principal,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = cookie_token(&headers) {
        state.store.delete_login_session(&hash_token(token)).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, state.settings.cookie_secure),
    );
    Ok(res)
}

pub async fn me(who: Principal) -> Json<serde_json::Value> {
    Json(json!({ "username": who.username }))
}
