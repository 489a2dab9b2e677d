//! `GET /api/openapi.json`, generated from the handlers' annotations.

use axum::Json;
use std::collections::BTreeMap;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use utoipa::openapi::schema::{Object, Schema};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorBody;

use crate::{
    apps, audit, auth, erasure, health, intake, issues, metrics, query, replay, sampling,
    sourcemaps, traces, usage, users,
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
                let responses = &mut op.responses.responses;
                for (status, description) in ERRORS {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| Response::builder().description(description).into());
                }
                // An error status listed without a body gets the error body.
                for (status, response) in responses.iter_mut() {
                    if let RefOr::T(r) = response {
                        if r.content.is_empty() && !status.starts_with('2') {
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

/// An intake's answers for the OpenAPI document: the success with its
/// schema, and the refusals with theirs (`None`: the API's `ErrorBody`,
/// added by [`Errors`]).
fn answers(
    ok: (&str, &str, RefOr<Schema>),
    refusals: &[(&str, &str)],
    refusal: Option<RefOr<Schema>>,
) -> BTreeMap<String, RefOr<Response>> {
    let body = |schema: RefOr<Schema>| Content::builder().schema(Some(schema)).build();
    let mut out = BTreeMap::from([(
        ok.0.to_string(),
        Response::builder()
            .description(ok.1)
            .content("application/json", body(ok.2))
            .build()
            .into(),
    )]);
    for (status, description) in refusals {
        let mut r = Response::builder().description(*description);
        if let Some(schema) = &refusal {
            r = r.content("application/json", body(schema.clone()));
        }
        out.insert(status.to_string(), r.build().into());
    }
    out
}

/// The answers of the browser intakes (events and replay segments).
pub struct IntakeAnswers;

impl utoipa::IntoResponses for IntakeAnswers {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        answers(
            (
                "202",
                "Durable in the spool",
                Ref::from_schema_name("Accepted").into(),
            ),
            &[
                ("400", "Undecodable or invalid; the message names the field"),
                ("401", "No or unknown key"),
                ("403", "Origin not allowed"),
                ("413", "Too large, compressed or not, or too many events"),
                ("415", "Unsupported content type or encoding"),
                (
                    "429",
                    "Over the app's or the address's rate, or its daily quota; see Retry-After",
                ),
                (
                    "503",
                    "The spool is full, or this app holds half of it; see Retry-After",
                ),
            ],
            None,
        )
    }
}

/// The answers of the OTLP intake, in the OTLP specification's messages.
pub struct OtlpAnswers;

impl utoipa::IntoResponses for OtlpAnswers {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let object = || RefOr::T(Schema::Object(Object::new()));
        answers(
            (
                "200",
                "ExportTraceServiceResponse, with partial_success when spans were refused",
                object(),
            ),
            &[
                ("400", "Undecodable (a google.rpc.Status)"),
                ("401", "No server key, or the browser key"),
                ("413", "Too large, or too many spans"),
                ("415", "Neither protobuf nor JSON"),
                ("429", "Over the app's rate; see Retry-After"),
                ("503", "The spool is full; see Retry-After"),
            ],
            Some(object()),
        )
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
        sampling::get, sampling::put, sampling::sdk_config, usage::usage, usage::what_if,
    ),
    components(schemas(ErrorBody, intake::Accepted)),
    modifiers(&Security, &Errors),
    security(("bearer" = []), ("session_cookie" = []))
)]
struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
