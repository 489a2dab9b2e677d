//! What each caller may do, decided in one place for every API route:
//! a layer over the API router authenticates the caller (`auth`) and
//! checks the route's need against the caller's role before any handler
//! runs; handlers that need the caller take the [`Principal`] it found.

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use fovea_schema::Role;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::AppState;

/// What a route needs of its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// Anyone: signing in, and the intake (its keys are checked there).
    Public,
    /// Any signed-in caller: their own account and tokens, the apps list
    /// (filtered to theirs), an erasure's status (checked by its handler).
    Signed,
    /// A caller with a writable credential: creating or deleting tokens.
    SignedWrite,
    /// Users, the audit log, new apps: `write` for changes.
    Admin { write: bool },
    /// Reading an app's data.
    Read(String),
    /// Changing an app: settings, keys, issue states, source maps,
    /// erasures.
    Write(String),
}

/// The need of a route, from its template (`/api/v1/apps/{app}/vitals`)
/// and the request's `{app}`.
pub fn need(method: &Method, route: &str, app: Option<&str>) -> Need {
    let route = route.strip_prefix("/api/v1").unwrap_or(route);
    let read = matches!(*method, Method::GET | Method::HEAD);
    match (route, app) {
        ("/login" | "/intake" | "/replay" | "/otlp/v1/traces" | "/sdk-config", _) => Need::Public,
        // A question about other rules, not a change.
        ("/apps/{app}/usage/what-if", Some(app)) => Need::Read(app.to_string()),
        ("/logout" | "/me", _) => Need::Signed,
        ("/apps", _) if read => Need::Signed,
        (r, _) if r.starts_with("/tokens") => {
            if read {
                Need::Signed
            } else {
                Need::SignedWrite
            }
        }
        (r, _) if r.starts_with("/erasures/") && read => Need::Signed,
        (r, Some(app)) if r.starts_with("/apps/{app}") => {
            if read {
                Need::Read(app.to_string())
            } else {
                Need::Write(app.to_string())
            }
        }
        // Users, the audit log, creating apps, and any route not listed.
        _ => Need::Admin { write: !read },
    }
}

/// Whether `who` may do what a route needs.
pub fn allows(who: &Principal, need: &Need) -> bool {
    match need {
        Need::Public | Need::Signed => true,
        Need::SignedWrite => !who.read_only,
        Need::Admin { write } => who.role == Role::Admin && !(*write && who.read_only),
        Need::Read(app) => who.may_read(app),
        Need::Write(app) => who.may_write(app),
    }
}

/// The layer: 401 without valid credentials, 403 when the role does not
/// allow the route; otherwise the principal goes to the handler.
pub async fn authorize(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let Some(route) = parts.extensions.get::<MatchedPath>().cloned() else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let app = RawPathParams::from_request_parts(&mut parts, &state)
        .await
        .ok()
        .and_then(|p| {
            p.iter()
                .find(|(k, _)| *k == "app")
                .map(|(_, v)| v.to_string())
        });
    let need = need(&parts.method, route.as_str(), app.as_deref());
    if need == Need::Public || parts.method == Method::OPTIONS {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let who = match Principal::authenticate(&parts, &state).await {
        Ok(who) => who,
        Err(e) => return e.into_response(),
    };
    if !allows(&who, &need) {
        return ApiError::Forbidden("your role does not allow this").into_response();
    }
    parts.extensions.insert(who);
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, read_only: bool) -> Principal {
        Principal {
            username: "u".into(),
            role,
            apps: vec!["mine".into()],
            read_only,
        }
    }

    #[test]
    fn routes_need_what_their_kind_needs() {
        let get = Method::GET;
        let post = Method::POST;
        let cases = [
            (&post, "/api/v1/login", None, Need::Public),
            (&post, "/api/v1/intake", None, Need::Public),
            (&get, "/api/v1/me", None, Need::Signed),
            (&get, "/api/v1/apps", None, Need::Signed),
            (&post, "/api/v1/apps", None, Need::Admin { write: true }),
            (&get, "/api/v1/users", None, Need::Admin { write: false }),
            (
                &Method::PATCH,
                "/api/v1/users/{username}",
                None,
                Need::Admin { write: true },
            ),
            (&get, "/api/v1/audit", None, Need::Admin { write: false }),
            (&post, "/api/v1/tokens", None, Need::SignedWrite),
            (&get, "/api/v1/erasures/{id}", None, Need::Signed),
            (
                &get,
                "/api/v1/apps/{app}/vitals",
                Some("a"),
                Need::Read("a".into()),
            ),
            (
                &Method::DELETE,
                "/api/v1/apps/{app}/users/{user_id}",
                Some("a"),
                Need::Write("a".into()),
            ),
            (
                &get,
                "/api/v1/something-new",
                None,
                Need::Admin { write: false },
            ),
        ];
        for (method, route, app, want) in cases {
            assert_eq!(need(method, route, app), want, "{method} {route}");
        }
    }

    #[test]
    fn roles_allow_their_apps_and_tokens_can_be_read_only() {
        let read = Need::Read("mine".into());
        let write = Need::Write("mine".into());
        let other = Need::Read("other".into());
        let admin = principal(Role::Admin, false);
        let member = principal(Role::Member, false);
        let viewer = principal(Role::Viewer, false);
        let read_only_admin = principal(Role::Admin, true);
        let admin_write = Need::Admin { write: true };
        let admin_read = Need::Admin { write: false };
        assert!(allows(&admin, &admin_write) && allows(&admin, &other));
        assert!(allows(&member, &read) && allows(&member, &write));
        assert!(!allows(&member, &other) && !allows(&member, &admin_read));
        assert!(allows(&viewer, &read) && !allows(&viewer, &write));
        assert!(allows(&read_only_admin, &other));
        assert!(!allows(&read_only_admin, &Need::Write("x".into())));
        assert!(!allows(&read_only_admin, &admin_write));
        assert!(allows(&read_only_admin, &admin_read));
        assert!(!allows(&read_only_admin, &Need::SignedWrite));
    }
}
