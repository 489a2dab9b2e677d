//! Who may read: users (argon2 passwords, an HttpOnly SameSite=Strict
//! session cookie, rate-limited login) and bearer tokens. Ingest keys are
//! not credentials here: they only write, through the intake.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fovea_store::LoginSession;
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::now_ms;
use crate::AppState;

const COOKIE: &str = "fovea_session";
const SESSION_TTL_MS: i64 = 7 * 86_400_000;
/// Header a cookie-authenticated state-changing request must carry. A
/// cross-site page cannot add it without a CORS preflight, which Fovea's API
/// never grants, so it stops CSRF.
pub const CSRF_HEADER: &str = "x-fovea-csrf";

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Argon2id with the crate's default (OWASP-recommended) parameters; slow on
/// purpose, so it runs on the blocking pool.
pub async fn hash_password(password: String) -> String {
    tokio::task::spawn_blocking(move || {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt");
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .expect("argon2 hashing with valid parameters")
            .to_string()
    })
    .await
    .expect("hashing task")
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

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
            .login_session(&sha256_hex(token))
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

pub async fn login(
    State(state): State<AppState>,
    Json(req): Json<Login>,
) -> Result<Response, ApiError> {
    let key = req.username.to_lowercase();
    state
        .login_limiter
        .peek(&key, 1.0)
        .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
    let user = state.store.user(&req.username).await?;
    let ok = match user {
        Some(u) => verify_password(req.password, u.password_hash).await,
        None => false,
    };
    if !ok {
        let _ = state.login_limiter.take(&key, 1.0);
        tracing::info!(username = %req.username, "login failed");
        return Err(ApiError::Unauthorized);
    }
    let token = random_token(32);
    state
        .store
        .put_login_session(&LoginSession {
            token_hash: sha256_hex(&token),
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
        state.store.delete_login_session(&sha256_hex(token)).await?;
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
