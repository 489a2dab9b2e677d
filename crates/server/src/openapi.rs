//! `GET /api/openapi.json`, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{apps, audit, auth, erasure, issues, query, replay, sourcemaps, traces, users};

struct Security;

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
    modifiers(&Security),
    security(("bearer" = []), ("session_cookie" = []))
)]
struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
