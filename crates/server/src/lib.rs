//! Fovea's HTTP surface and its background work.
//!
//! [`router`] builds the whole HTTP API over an [`AppState`] (so tests call
//! it without a socket); [`start`] opens the store and the spool and starts
//! the writer; [`run`] is all of `fovea serve`, from start to shutdown.

mod access;
mod apps;
mod audit;
mod auth;
mod clock;
mod dashboard;
mod docs;
mod erasure;
mod error;
mod health;
mod intake;
mod issues;
mod metrics;
mod openapi;
mod password;
mod query;
mod quota;
mod ratelimit;
mod replay;
mod sampling;
mod settings;
mod sourcemaps;
mod startup;
mod state;
mod symbols;
mod token;
mod traces;
mod usage;
mod users;
mod writer;

pub use fovea_store::{ClickHouseConfig, StoreConfig};
pub use settings::{Settings, StaticApp};
pub use startup::{run, start, Running, StartError};
pub use state::AppState;
pub use writer::Writer;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post};
use axum::Router;

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/login", post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/users", get(users::list).post(users::create))
        .route(
            "/users/{username}",
            patch(users::update).delete(users::delete),
        )
        .route("/tokens", get(users::list_tokens).post(users::create_token))
        .route("/tokens/{id}", delete(users::delete_token))
        .route("/audit", get(audit::list))
        .route("/erasures/{id}", get(erasure::status))
        .route("/apps", get(apps::list).post(apps::create))
        .route("/apps/{app}", get(apps::get_one).patch(apps::update))
        .route("/apps/{app}/server-key", post(apps::rotate_server_key))
        .route("/apps/{app}/rotate-key", post(apps::rotate_ingest_key))
        .route("/apps/{app}/users/{user_id}", delete(erasure::erase_user))
        .route(
            "/apps/{app}/sampling",
            get(sampling::get).put(sampling::put),
        )
        .route("/apps/{app}/usage", get(usage::usage))
        .route("/apps/{app}/usage/what-if", post(usage::what_if))
        .route("/sdk-config", get(sampling::sdk_config))
        .route("/apps/{app}/vitals", get(query::vitals))
        .route("/apps/{app}/summary", get(query::summary))
        .route("/apps/{app}/timeseries", get(query::timeseries))
        .route("/apps/{app}/histogram", get(query::histogram))
        .route("/apps/{app}/views", get(query::views))
        .route("/apps/{app}/sessions", get(query::sessions))
        .route(
            "/apps/{app}/sessions/{id}",
            get(query::session).delete(erasure::erase_session),
        )
        .route("/apps/{app}/sessions/{id}/replay", get(replay::index))
        .route(
            "/apps/{app}/sessions/{id}/replay/{index}",
            get(replay::segment),
        )
        .route("/apps/{app}/issues", get(query::issues))
        .route(
            "/apps/{app}/issues/{fingerprint}",
            get(query::issue).patch(issues::update),
        )
        .route("/apps/{app}/resources", get(query::resources))
        .route("/apps/{app}/actions", get(query::actions))
        .route("/apps/{app}/traces/{trace_id}", get(traces::trace))
        .route("/apps/{app}/services", get(traces::services))
        .route("/apps/{app}/slow-requests", get(traces::slow_requests))
        .route("/otlp/v1/traces", post(intake::traces_under_api))
        .route(
            "/apps/{app}/sourcemaps",
            get(sourcemaps::list)
                .post(sourcemaps::upload)
                .delete(sourcemaps::delete_release)
                .layer(DefaultBodyLimit::max(sourcemaps::MAX_FILE + (1 << 20))),
        )
        .route(
            "/apps/{app}/sourcemaps/{id}",
            delete(sourcemaps::delete_one),
        )
        .route("/intake", post(intake::intake).options(intake::preflight))
        .route("/replay", post(intake::replay).options(intake::preflight))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::authorize,
        ))
        .fallback(error::not_found);
    Router::new()
        .nest("/api/v1", api)
        .route("/api/openapi.json", get(openapi::document))
        .route("/v1/traces", post(intake::traces))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::scrape))
        .route("/sdk/{file}", get(dashboard::sdk))
        .fallback(dashboard::serve)
        .with_state(state)
}
