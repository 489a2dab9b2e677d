//! Dashboard users and their API tokens. Only admins manage users; every
//! user manages their own tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use fovea_schema::{Role, User};
use fovea_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{self, ApiToken, Principal, TokenAccess, MAX_USERNAME};
use crate::clock::now_ms;
use crate::docs::{self, kind};
use crate::error::{ApiError, ApiJson};
use crate::{audit, password, AppState};

/// Users and tokens listed at most (they are few).
const MAX_LISTED: u32 = 10_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: Role,
    /// The app ids a member or viewer may see.
    #[serde(default)]
    pub apps: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// A new password; the user's logins end.
    pub password: Option<String>,
    pub role: Option<Role>,
    pub apps: Option<Vec<String>>,
}

/// A user as the API shows it: never the password hash.
#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub username: String,
    pub role: Role,
    pub apps: Vec<String>,
    pub created_at: i64,
}

impl From<User> for UserView {
    fn from(u: User) -> UserView {
        UserView {
            username: u.username,
            role: u.role,
            apps: u.apps,
            created_at: u.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UsersResponse {
    pub users: Vec<UserView>,
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = (1..=MAX_USERNAME).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "username must be 1 to {MAX_USERNAME} letters, digits or . _ @ -"
        )))
    }
}

fn check_password(p: &str) -> Result<(), ApiError> {
    if (8..=1024).contains(&p.chars().count()) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "password must be 8 to 1024 characters".into(),
        ))
    }
}

fn check_apps(state: &AppState, apps: &[String]) -> Result<(), ApiError> {
    match apps.iter().find(|a| state.app_by_id(a).is_none()) {
        Some(a) => Err(ApiError::BadRequest(format!("apps: no app {a:?}"))),
        None => Ok(()),
    }
}

async fn all_users(state: &AppState) -> Result<Vec<User>, ApiError> {
    let mut users: Vec<User> = docs::list(state.store.as_ref(), kind::USER, MAX_LISTED).await?;
    users.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(users)
}

async fn existing(state: &AppState, name: &str) -> Result<User, ApiError> {
    auth::user(state, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user {name:?}")))
}

/// Refuses a change that would leave no admin who can sign in.
async fn keep_an_admin(state: &AppState, changed: &str) -> Result<(), ApiError> {
    let others = all_users(state)
        .await?
        .into_iter()
        .any(|u| u.role == Role::Admin && u.username != changed);
    if others {
        Ok(())
    } else {
        Err(ApiError::Conflict(
            "this is the last admin: make another user admin first".into(),
        ))
    }
}

/// Creates or replaces a user (the bootstrap admin and the API).
pub async fn put(state: &AppState, user: &User) -> Result<(), StoreError> {
    docs::put(state.store.as_ref(), kind::USER, &user.username, user).await
}

#[utoipa::path(operation_id = "list_users", get, path = "/api/v1/users", tag = "admin",
    responses((status = 200, body = UsersResponse), (status = 403)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<UsersResponse>, ApiError> {
    Ok(Json(UsersResponse {
        users: all_users(&state)
            .await?
            .into_iter()
            .map(UserView::from)
            .collect(),
    }))
}

#[utoipa::path(operation_id = "create_user", post, path = "/api/v1/users", tag = "admin", request_body = NewUser,
    responses((status = 201, body = UserView), (status = 400), (status = 403), (status = 409)))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    check_name(&req.username)?;
    check_password(&req.password)?;
    check_apps(&state, &req.apps)?;
    if auth::user(&state, &req.username).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "user {:?} already exists",
            req.username
        )));
    }
    let now = now_ms();
    let user = User {
        username: req.username,
        password_hash: password::hash(req.password).await,
        role: req.role,
        apps: req.apps,
        created_at: now,
        password_changed_at: now,
    };
    put(&state, &user).await?;
    audit::record(
        &state,
        &who.username,
        "user.create",
        Some(&user.username),
        Some(format!("role {:?}, apps {:?}", user.role, user.apps)),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[utoipa::path(operation_id = "update_user", patch, path = "/api/v1/users/{username}", tag = "admin", params(("username" = String, Path)),
    request_body = UserPatch,
    responses((status = 200, body = UserView), (status = 400), (status = 403), (status = 404), (status = 409)))]
pub async fn update(
    State(state): State<AppState>,
    who: Principal,
    Path(name): Path<String>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> Result<Json<UserView>, ApiError> {
    let mut user = existing(&state, &name).await?;
    let mut changed = Vec::new();
    if let Some(apps) = patch.apps {
        check_apps(&state, &apps)?;
        user.apps = apps;
        changed.push("apps");
    }
    if let Some(role) = patch.role {
        if user.role == Role::Admin && role != Role::Admin {
            keep_an_admin(&state, &name).await?;
        }
        user.role = role;
        changed.push("role");
    }
    if let Some(p) = patch.password {
        check_password(&p)?;
        user.password_hash = password::hash(p).await;
        // Ends every login of the user made before now (`auth`).
        user.password_changed_at = now_ms();
        changed.push("password");
    }
    put(&state, &user).await?;
    audit::record(
        &state,
        &who.username,
        "user.update",
        Some(&name),
        Some(changed.join(", ")),
    )
    .await?;
    Ok(Json(user.into()))
}

#[utoipa::path(delete, path = "/api/v1/users/{username}", tag = "admin", params(("username" = String, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)))]
pub async fn delete(
    State(state): State<AppState>,
    who: Principal,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = existing(&state, &name).await?;
    if user.role == Role::Admin {
        keep_an_admin(&state, &name).await?;
    }
    for t in tokens_of(&state, Some(&name)).await? {
        state.store.delete_doc(kind::TOKEN, &t.id).await?;
    }
    state.store.delete_doc(kind::USER, &name).await?;
    audit::record(&state, &who.username, "user.delete", Some(&name), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn tokens_of(state: &AppState, username: Option<&str>) -> Result<Vec<ApiToken>, ApiError> {
    let tokens: Vec<ApiToken> = docs::list(state.store.as_ref(), kind::TOKEN, MAX_LISTED).await?;
    Ok(tokens
        .into_iter()
        .filter(|t| username.is_none_or(|u| t.username == u))
        .collect())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    pub access: TokenAccess,
}

/// A token as listed: never the token or its hash.
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub username: String,
    pub access: TokenAccess,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> TokenView {
        TokenView {
            id: t.id,
            name: t.name,
            username: t.username,
            access: t.access,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// A new token: shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub view: TokenView,
    /// `Authorization: Bearer <token>`; only its hash is kept.
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokensResponse {
    pub tokens: Vec<TokenView>,
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth",
    responses((status = 200, body = TokensResponse, description = "The caller's tokens; an admin's lists everyone's"), (status = 401)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<TokensResponse>, ApiError> {
    let mine = (!who.is_admin()).then_some(who.username.as_str());
    Ok(Json(TokensResponse {
        tokens: tokens_of(&state, mine)
            .await?
            .into_iter()
            .map(TokenView::from)
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 400), (status = 401), (status = 403)))]
pub async fn create_token(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let name = req.name.trim().to_string();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::BadRequest(
            "name must be 1 to 100 characters".into(),
        ));
    }
    if auth::user(&state, &who.username).await?.is_none() {
        // The bootstrap token is no user: it cannot own tokens.
        return Err(ApiError::Forbidden("only a signed-in user owns tokens"));
    }
    let (stored, token) = ApiToken::new(&who.username, name, req.access);
    docs::put(state.store.as_ref(), kind::TOKEN, &stored.id, &stored).await?;
    audit::record(
        &state,
        &who.username,
        "token.create",
        Some(&stored.id),
        Some(format!("{:?}", stored.access)),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            view: stored.into(),
            token,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth", params(("id" = String, Path)),
    responses((status = 204), (status = 401), (status = 404)))]
pub async fn delete_token(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let token: Option<ApiToken> = docs::get(state.store.as_ref(), kind::TOKEN, &id).await?;
    match token {
        Some(t) if t.username == who.username || who.is_admin() => {
            state.store.delete_doc(kind::TOKEN, &id).await?;
            audit::record(&state, &who.username, "token.delete", Some(&id), None).await?;
            Ok(StatusCode::NO_CONTENT)
        }
        _ => Err(ApiError::NotFound(format!("no token {id:?}"))),
    }
}
