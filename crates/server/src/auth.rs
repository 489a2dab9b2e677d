//! Who is calling: dashboard users (argon2 passwords, an HttpOnly
//! SameSite=Strict session cookie, rate-limited login), their API tokens,
//! and the bootstrap admin token. Ingest keys are not credentials here:
//! they only write, through the intake. What each caller may do is
//! decided in `access.rs`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fovea_schema::{Role, User};
use fovea_store::StoreError;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::clock::now_ms;
use crate::docs::{self, kind};
use crate::error::{ApiError, ApiJson};
use crate::token::{hash_token, random_token};
use crate::{audit, password, AppState};

const COOKIE: &str = "fovea_session";
/// A login lasts at most this long, however active (ms).
pub const SESSION_ABSOLUTE_MS: i64 = 7 * 86_400_000;
/// A login unused for this long ends (ms).
pub const SESSION_IDLE_MS: i64 = 8 * 3_600_000;
/// `last_seen` is written at most this often per login, not on every request.
const TOUCH_EVERY_MS: i64 = 60_000;
/// Header a cookie-authenticated state-changing request must carry. A
/// cross-site page cannot add it without a CORS preflight, which Fovea's API
/// never grants, so it stops CSRF.
pub const CSRF_HEADER: &str = "x-fovea-csrf";
/// The user name of the bootstrap token (`FOVEA_ADMIN_TOKEN`).
const ADMIN_TOKEN_USER: &str = "admin-token";

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
    pub role: Role,
    /// The apps a member or viewer is given.
    pub apps: Vec<String>,
    /// Signed in with a read-only API token.
    pub read_only: bool,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin && !self.read_only
    }

    pub fn may_read(&self, app: &str) -> bool {
        self.role == Role::Admin || self.apps.iter().any(|a| a == app)
    }

    pub fn may_write(&self, app: &str) -> bool {
        !self.read_only
            && match self.role {
                Role::Admin => true,
                Role::Member => self.apps.iter().any(|a| a == app),
                Role::Viewer => false,
            }
    }

    fn of(user: User, read_only: bool) -> Principal {
        Principal {
            username: user.username,
            role: user.role,
            apps: user.apps,
            read_only,
        }
    }

    /// Finds the caller of a request from its bearer token or its session
    /// cookie.
    pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
        if let Some(auth) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            let token = auth.strip_prefix("Bearer ").ok_or(ApiError::Unauthorized)?;
            return bearer(state, token).await;
        }
        let token = cookie_token(&parts.headers).ok_or(ApiError::Unauthorized)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe && parts.headers.get(CSRF_HEADER).is_none() {
            return Err(ApiError::Forbidden(
                "state-changing requests need the X-Fovea-Csrf header",
            ));
        }
        let hash = hash_token(token);
        let mut login: Login = docs::get(state.store.as_ref(), kind::LOGIN, &hash)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let now = now_ms();
        let user = user(state, &login.username).await?;
        if now >= login.expires_at || now - login.last_seen >= SESSION_IDLE_MS {
            return Err(ApiError::Unauthorized);
        }
        // A password change or a re-created user ends the logins before it.
        let user = user
            .filter(|u| login.created_at >= u.password_changed_at.max(u.created_at))
            .ok_or(ApiError::Unauthorized)?;
        if now - login.last_seen >= TOUCH_EVERY_MS {
            login.last_seen = now;
            docs::put(state.store.as_ref(), kind::LOGIN, &hash, &login).await?;
        }
        Ok(Principal::of(user, false))
    }
}

async fn bearer(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    if let Some(admin) = &state.settings.admin_token {
        if bool::from(admin.as_bytes().ct_eq(token.as_bytes())) {
            return Ok(Principal {
                username: ADMIN_TOKEN_USER.into(),
                role: Role::Admin,
                apps: Vec::new(),
                read_only: false,
            });
        }
    }
    let (id, _) = token
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|rest| rest.split_once('_'))
        .ok_or(ApiError::Unauthorized)?;
    let mut stored: ApiToken = docs::get(state.store.as_ref(), kind::TOKEN, id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !bool::from(
        hash_token(token)
            .as_bytes()
            .ct_eq(stored.token_hash.as_bytes()),
    ) {
        return Err(ApiError::Unauthorized);
    }
    let user = user(state, &stored.username)
        .await?
        .filter(|u| stored.created_at >= u.created_at)
        .ok_or(ApiError::Unauthorized)?;
    let now = now_ms();
    if stored
        .last_used_at
        .is_none_or(|t| now - t >= TOUCH_EVERY_MS)
    {
        stored.last_used_at = Some(now);
        docs::put(state.store.as_ref(), kind::TOKEN, id, &stored).await?;
    }
    Ok(Principal::of(user, stored.access == TokenAccess::Read))
}

pub async fn user(state: &AppState, username: &str) -> Result<Option<User>, StoreError> {
    docs::get(state.store.as_ref(), kind::USER, username).await
}

/// The principal the access layer found (`access::authorize`).
impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

/// The client's address: the configured proxy header's first entry, else
/// the peer. Used for limits and geo, never stored.
pub fn client_ip(state: &AppState, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
    state
        .settings
        .client_ip_header
        .as_deref()
        .and_then(|h| headers.get(h))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|v| v.trim().parse().ok())
        .or(peer)
}

/// The connection's peer address, when the server was started with it
/// (tests calling the router directly have none).
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// A login session, stored under the SHA-256 of its cookie token.
#[derive(Serialize, Deserialize)]
struct Login {
    username: String,
    created_at: i64,
    last_seen: i64,
    expires_at: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct Credentials {
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
pub const MAX_USERNAME: usize = 64;

#[utoipa::path(post, path = "/api/v1/login", tag = "auth", request_body = Credentials,
    responses((status = 204, description = "Signed in: the session cookie is set"), (status = 400), (status = 401),
        (status = 429, description = "Too many attempts for this name or from this address")), security(()))]
pub async fn login(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    ApiJson(req): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    if req.username.is_empty() || req.username.len() > MAX_USERNAME {
        return Err(ApiError::BadRequest(format!(
            "the user name must be 1 to {MAX_USERNAME} bytes"
        )));
    }
    // Taken before the password check, so that concurrent attempts cannot
    // pass the limits, and given back on success. By the exact name
    // (attempts as `ADMIN` do not lock out `admin`) and by address (one
    // client cannot try every name).
    let keys = [
        format!("user:{}", req.username),
        format!(
            "ip:{}",
            client_ip(&state, &headers, peer)
                .map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
        ),
    ];
    let limiters = [&state.login_limiter, &state.login_ip_limiter];
    for (limiter, key) in limiters.iter().zip(&keys) {
        limiter
            .take(key, 1.0)
            .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
    }
    let user = user(&state, &req.username).await?;
    let ok = match user {
        Some(u) => password::verify(req.password, u.password_hash).await,
        None => false,
    };
    if !ok {
        tracing::info!(username = %req.username, "login failed");
        return Err(ApiError::Unauthorized);
    }
    for (limiter, key) in limiters.iter().zip(&keys) {
        limiter.give_back(key, 1.0);
    }
    let token = random_token(32);
    let now = now_ms();
    docs::put(
        state.store.as_ref(),
        kind::LOGIN,
        &hash_token(&token),
        &Login {
            username: req.username.clone(),
            created_at: now,
            last_seen: now,
            expires_at: now + SESSION_ABSOLUTE_MS,
        },
    )
    .await?;
    audit::record(&state, &req.username, "login", None, None).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(
            &token,
            SESSION_ABSOLUTE_MS / 1000,
            state.settings.cookie_secure,
        ),
    );
    Ok(res)
}

#[utoipa::path(post, path = "/api/v1/logout", tag = "auth", responses((status = 204), (status = 401)))]
pub async fn logout(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = cookie_token(&headers) {
        state
            .store
            .delete_doc(kind::LOGIN, &hash_token(token))
            .await?;
    }
    audit::record(&state, &who.username, "logout", None, None).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, state.settings.cookie_secure),
    );
    Ok(res)
}

/// The caller.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub role: Role,
    /// The apps a member or viewer is given (admins see every app).
    pub apps: Vec<String>,
    /// Signed in with a read-only API token.
    pub read_only: bool,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401)))]
pub async fn me(who: Principal) -> Json<Me> {
    Json(Me {
        username: who.username,
        role: who.role,
        apps: who.apps,
        read_only: who.read_only,
    })
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum TokenAccess {
    #[serde(rename = "read")]
    Read,
    #[serde(rename = "read-write")]
    ReadWrite,
}

/// `fvt_<id>_<secret>`: the id finds the record, the whole token's hash
/// must match it.
pub const TOKEN_PREFIX: &str = "fvt_";

/// An API token as stored: its hash, never the token.
#[derive(Serialize, Deserialize)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub username: String,
    pub access: TokenAccess,
    pub token_hash: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl ApiToken {
    /// A new token for `username`, and the token itself (shown once).
    pub fn new(username: &str, name: String, access: TokenAccess) -> (ApiToken, String) {
        let id = random_token(8);
        let token = format!("{TOKEN_PREFIX}{id}_{}", random_token(24));
        (
            ApiToken {
                id,
                name,
                username: username.to_string(),
                access,
                token_hash: hash_token(&token),
                created_at: now_ms(),
                last_used_at: None,
            },
            token,
        )
    }
}
