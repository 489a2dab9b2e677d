//! The `fovea` binary: parses flags, environment and config file, then
//! wires the server's parts together. Everything else lives in libraries.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use fovea_server::{Settings, StaticApp};
use serde::Deserialize;

#[derive(Parser)]
#[command(name = "fovea", version, about = "Self-hosted real user monitoring")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the intake, the query API and the dashboard.
    Serve(Serve),
}

/// Every flag can also be set by its FOVEA_* variable or in the config file
/// (same name, snake_case); flags win over variables, variables over the file.
#[derive(Args)]
struct Serve {
    /// Address to listen on.
    #[arg(long, env = "FOVEA_LISTEN")]
    listen: Option<SocketAddr>,
    /// Where the spool and the DuckDB file live.
    #[arg(long, env = "FOVEA_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// TOML config file (settings and [[apps]]).
    #[arg(long, env = "FOVEA_CONFIG")]
    config: Option<PathBuf>,
    /// Bearer token with admin rights, for automation.
    #[arg(long, env = "FOVEA_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Sets the password of user `admin` at start.
    #[arg(long, env = "FOVEA_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// How often the writer commits to the store, in ms.
    #[arg(long, env = "FOVEA_WRITER_FLUSH_MS")]
    writer_flush_ms: Option<u64>,
    /// Spooled bytes not yet stored past which intake answers 503.
    #[arg(long, env = "FOVEA_SPOOL_MAX_BYTES")]
    spool_max_bytes: Option<u64>,
    /// Least time between two spool syncs under load, in µs (at most 100 ms).
    #[arg(long, env = "FOVEA_SPOOL_COMMIT_INTERVAL_US")]
    spool_commit_interval_us: Option<u64>,
    /// DuckDB's memory limit, e.g. 256MB.
    #[arg(long, env = "FOVEA_DUCKDB_MEMORY_LIMIT")]
    duckdb_memory_limit: Option<String>,
    /// MaxMind / DB-IP .mmdb file for country lookup by IP.
    #[arg(long, env = "FOVEA_GEO_MMDB")]
    geo_mmdb: Option<PathBuf>,
    /// Headers carrying the client country, comma-separated, first wins.
    #[arg(long, env = "FOVEA_GEO_COUNTRY_HEADERS", value_delimiter = ',')]
    geo_country_headers: Option<Vec<String>>,
    /// Header with the client IP behind a proxy (e.g. x-forwarded-for).
    #[arg(long, env = "FOVEA_CLIENT_IP_HEADER")]
    client_ip_header: Option<String>,
    /// Keep events from bots (dropped by default).
    #[arg(long, env = "FOVEA_KEEP_BOTS")]
    keep_bots: Option<bool>,
    /// Extra query keys to scrub from URLs, comma-separated.
    #[arg(long, env = "FOVEA_SCRUB_QUERY_KEYS", value_delimiter = ',')]
    scrub_query_keys: Option<Vec<String>>,
    /// Intake requests per second per app.
    #[arg(long, env = "FOVEA_RATE_LIMIT")]
    rate_limit: Option<f64>,
    /// Mark the login cookie Secure (when served over HTTPS).
    #[arg(long, env = "FOVEA_COOKIE_SECURE")]
    cookie_secure: Option<bool>,
    /// Default retention of new apps, in days.
    #[arg(long, env = "FOVEA_RETENTION_DAYS")]
    retention_days: Option<u32>,
    /// Largest intake body as sent, in bytes.
    #[arg(long, env = "FOVEA_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
}

/// The config file: the same settings as the flags, plus apps.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    admin_token: Option<String>,
    admin_password: Option<String>,
    writer_flush_ms: Option<u64>,
    spool_max_bytes: Option<u64>,
    spool_commit_interval_us: Option<u64>,
    duckdb_memory_limit: Option<String>,
    geo_mmdb: Option<PathBuf>,
    geo_country_headers: Option<Vec<String>>,
    client_ip_header: Option<String>,
    keep_bots: Option<bool>,
    scrub_query_keys: Option<Vec<String>>,
    rate_limit: Option<f64>,
    cookie_secure: Option<bool>,
    retention_days: Option<u32>,
    max_body_bytes: Option<usize>,
    #[serde(default)]
    apps: Vec<StaticApp>,
}

fn settings(cli: Serve) -> anyhow::Result<(SocketAddr, Settings)> {
    let file: FileConfig = match &cli.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => FileConfig::default(),
    };
    let listen = cli
        .listen
        .or(file.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".parse().expect("valid"));
    let data_dir = cli
        .data_dir
        .or(file.data_dir)
        .unwrap_or_else(|| PathBuf::from("data"));
    let mut s = Settings::new(data_dir);
    s.admin_token = cli
        .admin_token
        .or(file.admin_token)
        .filter(|t| !t.is_empty());
    s.admin_password = cli
        .admin_password
        .or(file.admin_password)
        .filter(|p| !p.is_empty());
    s.apps = file.apps;
    if let Some(ms) = cli.writer_flush_ms.or(file.writer_flush_ms) {
        s.writer_flush = Duration::from_millis(ms.max(10));
    }
    if let Some(b) = cli.spool_max_bytes.or(file.spool_max_bytes) {
        s.spool_max_bytes = b;
    }
    if let Some(us) = cli
        .spool_commit_interval_us
        .or(file.spool_commit_interval_us)
    {
        // Acks under load wait up to this long: a typo must not make it seconds.
        s.spool_commit_interval = Duration::from_micros(us.min(100_000));
    }
    if let Some(m) = cli.duckdb_memory_limit.or(file.duckdb_memory_limit) {
        s.duckdb_memory_limit = m;
    }
    s.geo_mmdb = cli.geo_mmdb.or(file.geo_mmdb);
    if let Some(h) = cli.geo_country_headers.or(file.geo_country_headers) {
        s.geo_country_headers = h;
    }
    s.client_ip_header = cli.client_ip_header.or(file.client_ip_header);
    s.exclude_bots = !cli.keep_bots.or(file.keep_bots).unwrap_or(false);
    if let Some(k) = cli.scrub_query_keys.or(file.scrub_query_keys) {
        s.scrub_query_keys = k;
    }
    if let Some(r) = cli.rate_limit.or(file.rate_limit) {
        s.rate_limit_per_app = r;
    }
    s.cookie_secure = cli.cookie_secure.or(file.cookie_secure).unwrap_or(false);
    if let Some(d) = cli.retention_days.or(file.retention_days) {
        s.default_retention_days = d;
    }
    if let Some(b) = cli.max_body_bytes.or(file.max_body_bytes) {
        s.limits.max_body = b;
    }
    Ok((listen, s))
}

fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FOVEA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if std::env::var("FOVEA_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down: finishing requests, then draining the spool");
}

/// glibc gives every thread that contends for malloc its own arena (up to
/// 8 per core); with tokio's and DuckDB's threads that alone adds tens of MB
/// of retained heap. Two arenas keep the peak RSS under load low at no
/// measurable throughput cost (bench/README.md, `rss`).
/// `MALLOC_ARENA_MAX`, when set, wins.
fn cap_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; it is called
        // before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

fn main() -> anyhow::Result<()> {
    cap_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    init_logs();
    let Command::Serve(serve) = Cli::parse().command;
    let (listen, settings) = settings(serve)?;
    let data_dir = settings
        .data_dir
        .canonicalize()
        .unwrap_or(settings.data_dir.clone());
    let running = fovea_server::start(settings)
        .await
        .context("starting fovea")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let apps = running
        .state
        .refresh_apps()
        .await
        .map(|a| a.len())
        .unwrap_or(0);
    tracing::info!(
        listen = %listen,
        data_dir = %data_dir.display(),
        dashboard = %format!("http://{listen}/"),
        apps,
        "fovea is up"
    );
    if apps == 0 {
        tracing::info!("no apps yet: create one in the dashboard (Settings) or with POST /api/v1/apps, then add the SDK snippet to your site");
    }
    let app = fovea_server::router(running.state.clone())
        .into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
    running.writer.shutdown().await;
    tracing::info!("fovea stopped");
    Ok(())
}
