//! Fovea's HTTP surface and its background work.
//!
//! [`router`] builds the whole HTTP API over an [`AppState`] (so tests call
//! it without a socket); [`start`] opens the spool and the store, starts the
//! writer and returns everything `fovea serve` needs to run and stop.

mod apps;
mod auth;
mod clock;
mod dashboard;
mod error;
mod intake;
mod metrics;
mod openapi;
mod password;
mod query;
mod ratelimit;
mod settings;
mod state;
mod token;
mod writer;

pub use settings::{Settings, StaticApp};
pub use state::AppState;
pub use writer::Writer;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/login", post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/apps", get(apps::list).post(apps::create))
        .route("/apps/{app}", get(apps::get_one).patch(apps::update))
        .route("/apps/{app}/vitals", get(query::vitals))
        .route("/apps/{app}/summary", get(query::summary))
        .route("/apps/{app}/timeseries", get(query::timeseries))
        .route("/apps/{app}/histogram", get(query::histogram))
        .route("/apps/{app}/views", get(query::views))
        .route("/apps/{app}/sessions", get(query::sessions))
        .route("/apps/{app}/sessions/{id}", get(query::session))
        .route("/apps/{app}/issues", get(query::issues))
        .route("/apps/{app}/issues/{fingerprint}", get(query::issue))
        .route("/apps/{app}/resources", get(query::resources))
        .route("/intake", post(intake::intake).options(intake::preflight))
        .fallback(error::not_found);
    Router::new()
        .nest("/api/v1", api)
        .route("/api/openapi.json", get(openapi::document))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::scrape))
        .route("/sdk/{file}", get(dashboard::sdk))
        .fallback(dashboard::serve)
        .with_state(state)
}

/// What a running server is made of, for the binary to wire and stop.
pub struct Running {
    pub state: AppState,
    pub writer: Writer,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error(transparent)]
    Spool(#[from] fovea_spool::SpoolError),
    #[error(transparent)]
    Store(#[from] fovea_store::StoreError),
    #[error(transparent)]
    Geo(#[from] fovea_pipeline::GeoError),
}

/// Opens the data directory (spool + DuckDB file), bootstraps apps and the
/// admin user, and starts the writer and the periodic tasks.
pub async fn start(settings: Settings) -> Result<Running, StartError> {
    let dir = &settings.data_dir;
    std::fs::create_dir_all(dir).map_err(|e| StartError::DataDir(dir.display().to_string(), e))?;
    let store: Arc<dyn fovea_store::Store> = Arc::new(fovea_store::DuckStore::open(
        &dir.join("fovea.duckdb"),
        &settings.duckdb_memory_limit,
    )?);
    let (spool, reader) = fovea_spool::open(
        &dir.join("spool"),
        fovea_spool::Options {
            max_pending_bytes: settings.spool_max_bytes,
            commit_interval: settings.spool_commit_interval,
            ..fovea_spool::Options::default()
        },
    )?;
    let state = AppState::new(settings, store, spool)?;
    state.bootstrap().await?;
    let writer = Writer::spawn(reader, state.clone());
    state.spawn_maintenance(Duration::from_secs(10));
    Ok(Running { state, writer })
}
