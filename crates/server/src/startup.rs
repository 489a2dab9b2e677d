//! Start-up and shutdown: open the store and the spool, create the config
//! file's apps and the admin user, start the writer and the periodic tasks,
//! serve until told to stop, then store what the spool holds for a bounded time.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fovea_schema::sampling::Traffic;
use fovea_schema::{App, Role, User};
use fovea_store::{Store, StoreConfig, StoreError};

use crate::clock::now_ms;
use crate::token::random_token;
use crate::{password, router, AppState, Settings, Writer};

/// What a running server is made of: its state, for [`router`], and the
/// writer, to stop.
pub struct Running {
    pub state: AppState,
    pub writer: Writer,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error("listening on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error(transparent)]
    Spool(#[from] fovea_spool::SpoolError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Geo(#[from] fovea_pipeline::GeoError),
}

/// Opens the store. ClickHouse may be down when a node starts (an outage,
/// a cluster restarting): the node waits for it, its spool kept, rather
/// than exiting; DuckDB's errors (a locked or unreadable file) are final.
async fn open_store(config: &StoreConfig) -> Result<Arc<dyn Store>, StoreError> {
    let mut backoff = Duration::from_secs(1);
    loop {
        match fovea_store::open(config).await {
            Err(e) if e.is_retryable() && matches!(config, StoreConfig::ClickHouse(_)) => {
                tracing::warn!(
                    error = %e,
                    retry_in_s = backoff.as_secs(),
                    "the store does not answer yet; waiting for it before serving"
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
            other => return other,
        }
    }
}

/// Opens the store and the spool (in the data directory), creates or
/// updates the config file's apps and the admin user, and starts the writer
/// and the periodic tasks.
pub async fn start(settings: Settings) -> Result<Running, StartError> {
    let dir = &settings.data_dir;
    std::fs::create_dir_all(dir).map_err(|e| StartError::DataDir(dir.display().to_string(), e))?;
    let store = open_store(&settings.store).await?;
    let (spool, reader) = fovea_spool::open(
        &dir.join("spool"),
        fovea_spool::Options {
            max_pending_bytes: settings.spool_max_bytes,
            commit_interval: settings.spool_commit_interval,
            ..fovea_spool::Options::default()
        },
    )?;
    let state = AppState::new(settings, store, spool)?;
    bootstrap(&state).await?;
    let writer = Writer::spawn(reader, state.clone());
    state.spawn_maintenance(Duration::from_secs(10));
    Ok(Running { state, writer })
}

/// `fovea serve`: starts, calls `up` once it listens, serves on `listen`
/// until `shutdown` resolves, lets the requests in flight finish, then
/// stops the writer, which stores what the spool holds for at most
/// `writer::SHUTDOWN_DRAIN` (the rest is durable and stored at the next
/// start).
pub async fn run(
    listen: SocketAddr,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
    up: impl FnOnce(),
) -> Result<(), StartError> {
    let data_dir = settings.data_dir.clone();
    let store = match settings.store {
        StoreConfig::DuckDb { .. } => "duckdb",
        StoreConfig::ClickHouse(_) => "clickhouse",
    };
    let mut shutdown = Box::pin(shutdown);
    // A stop asked for while start-up waits for the store ends it there.
    let running = tokio::select! {
        running = start(settings) => running?,
        () = &mut shutdown => {
            tracing::info!("stopped during start-up");
            return Ok(());
        }
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| StartError::Listen(listen, e))?;
    // The bound address, not the asked one: with port 0 this says which.
    let listen = listener
        .local_addr()
        .map_err(|e| StartError::Listen(listen, e))?;
    let apps = running.state.refresh_apps().await?.len();
    tracing::info!(
        listen = %listen,
        data_dir = %data_dir.canonicalize().unwrap_or(data_dir).display(),
        store,
        dashboard = %format!("http://{listen}/"),
        apps,
        "fovea is up"
    );
    if apps == 0 {
        tracing::info!("no apps yet: create one in the dashboard (Settings) or with POST /api/v1/apps, then add the SDK snippet to your site");
    }
    up();
    serve(listener, router(running.state.clone()), shutdown).await;
    running.writer.shutdown().await;
    tracing::info!("fovea stopped");
    Ok(())
}

/// A client has this long to send a request's headers; a keep-alive
/// connection waiting longer for its next request is closed too.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// ... and this long to send its body.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests still running at a stop get this long to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves HTTP/1.1 until `shutdown`, then lets running requests finish.
/// Its own accept loop rather than `axum::serve`, for the timeouts a
/// server facing the internet needs: slow clients (headers or bodies
/// trickled byte by byte) must not hold connections and memory forever.
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;

    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        BODY_TIMEOUT,
    ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = TowerToHyperService::new(tower::service_fn(
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            },
        ));
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    tracing::info!(
        "shutting down: finishing requests, then storing what the spool holds for up to 10 s"
    );
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after 10 s were cut off");
    }
}

/// Creates or updates the config file's apps and sets the admin password;
/// on a first start without one, makes one up and logs it once.
async fn bootstrap(state: &AppState) -> Result<(), StoreError> {
    let existing = state.store.apps().await?;
    for s in &state.settings.apps {
        let id = s.id.clone().unwrap_or_else(|| s.name.clone());
        let app = App {
            id: id.clone(),
            name: s.name.clone(),
            ingest_key: s.ingest_key.clone(),
            origins: s.origins.clone(),
            sample_rate: s.sample_rate.unwrap_or(100.0),
            retention_days: s
                .retention_days
                .unwrap_or(state.settings.default_retention_days),
            created_at: now_ms(),
            server_key_hash: s.server_key.as_deref().map(crate::token::hash_token),
            trace_url_template: s.trace_url_template.clone(),
            user_id_key: Some(random_token(32)),
            traffic_rules: Traffic {
                bots: s.bots.unwrap_or_default(),
                ..Traffic::default()
            },
            ..App::default()
        };
        match existing.iter().find(|a| a.id == id) {
            Some(old) => {
                state
                    .store
                    .update_app(&App {
                        created_at: old.created_at,
                        sample_rate: s.sample_rate.unwrap_or(old.sample_rate),
                        server_key_hash: app
                            .server_key_hash
                            .clone()
                            .or(old.server_key_hash.clone()),
                        trace_url_template: app
                            .trace_url_template
                            .clone()
                            .or(old.trace_url_template.clone()),
                        // Quotas and privacy are set in the dashboard or the API.
                        daily_event_quota: old.daily_event_quota,
                        daily_replay_bytes_quota: old.daily_replay_bytes_quota,
                        privacy: old.privacy.clone(),
                        user_id_key: old.user_id_key.clone().or(app.user_id_key.clone()),
                        // Rules are set in the dashboard or the API; the
                        // file may say what becomes of automated browsers.
                        traffic_rules: Traffic {
                            bots: s.bots.unwrap_or(old.traffic_rules.bots),
                            ..old.traffic_rules.clone()
                        },
                        ..app
                    })
                    .await?
            }
            None => state.store.create_app(&app).await?,
        }
    }
    state.refresh_apps().await?;
    // The configured password is set when it differs from the stored one
    // (which ends the admin's logins), not at every start.
    let admin = crate::auth::user(state, "admin").await?;
    let password = match (&state.settings.admin_password, &admin) {
        (Some(p), Some(u)) if password::verify(p.clone(), u.password_hash.clone()).await => None,
        (Some(p), _) => Some(p.clone()),
        (None, None) => {
            let p = random_token(12);
            tracing::warn!(username = "admin", password = %p, "created the admin user; this password is shown once");
            Some(p)
        }
        (None, Some(_)) => None,
    };
    if let Some(p) = password {
        let now = now_ms();
        let user = User {
            username: "admin".into(),
            password_hash: password::hash(p).await,
            role: Role::Admin,
            apps: Vec::new(),
            created_at: admin.map_or(now, |u| u.created_at),
            password_changed_at: now,
        };
        crate::users::put(state, &user).await?;
    }
    crate::erasure::resume(state).await?;
    Ok(())
}
