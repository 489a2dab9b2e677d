//! `GET /api/openapi.json`, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorBody;

use crate::{
    apps, audit, auth, erasure, health, intake, issues, metrics, query, replay, sourcemaps, traces,
    users,
};

struct Security;

/// The error answers any route may give, documented on every operation
/// that does not describe its own: each is an [`ErrorBody`].
const ERRORS: [(&str, &str); 7] = [
    (
        "400",
        "A parameter or the body is invalid; the message names it",
    ),
    ("401", "Sign in or send a bearer token"),
    ("403", "The caller's role does not allow this"),
    ("404", "No such app or resource"),
    ("429", "Too many attempts; see Retry-After"),
    ("500", "The store failed; the server log has the details"),
    ("503", "The store is unavailable; retry"),
];

struct Errors;

impl Modify for Errors {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let error = || {
            Content::builder()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build()
        };
        for item in doc.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                for (status, description) in ERRORS {
                    let documented = op.responses.responses.entry(status.to_string());
                    let response = documented
                        .or_insert_with(|| Response::builder().description(description).into());
                    // A status listed without a body gets the error body.
                    if let RefOr::T(r) = response {
                        if r.content.is_empty() {
                            r.content.insert("application/json".into(), error());
                        }
                    }
                }
            }
        }
    }
}

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("fovea_session"))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fovea API",
        description = "Query and admin API of Fovea. The intake format is documented in docs/intake.md; \
                       authentication (POST /api/v1/login, bearer tokens) in docs/api.md."
    ),
    paths(
        intake::intake, intake::replay, intake::traces, intake::traces_under_api,
        health::healthz, health::readyz, metrics::scrape,
        auth::login, auth::logout, auth::me,
        users::list, users::create, users::update, users::delete,
        users::list_tokens, users::create_token, users::delete_token, audit::list,
        apps::list, apps::create, apps::get_one, apps::update, apps::rotate_server_key,
        apps::rotate_ingest_key, erasure::erase_user, erasure::erase_session, erasure::status,
        query::vitals, query::summary, query::timeseries, query::histogram, query::views,
        query::sessions, query::session, query::issues, query::issue, query::resources,
        query::actions, traces::trace, traces::services, traces::slow_requests,
        issues::update, replay::index, replay::segment,
        sourcemaps::upload, sourcemaps::list, sourcemaps::delete_release, sourcemaps::delete_one,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security, &Errors),
    security(("bearer" = []), ("session_cookie" = []))
)]
struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
