use std::path::PathBuf;
use std::time::Duration;

use fovea_intake::otlp::OtlpLimits;
use fovea_intake::{Limits, ReplayLimits};
use fovea_store::StoreConfig;
use serde::Deserialize;

/// Everything the server needs to know; the binary fills it from flags,
/// `FOVEA_*` variables and the config file (see the README).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The spool, and the DuckDB file when that is the store.
    pub data_dir: PathBuf,
    pub store: StoreConfig,
    /// Accepted as an admin bearer token.
    pub admin_token: Option<String>,
    /// Sets the password of user `admin` at start.
    pub admin_password: Option<String>,
    /// Apps declared in the config file; created or updated at start.
    pub apps: Vec<StaticApp>,
    /// How often the writer commits spooled events to the store.
    pub writer_flush: Duration,
    /// Spool bytes not yet in the store past which intake answers 503.
    pub spool_max_bytes: u64,
    /// Least time between two spool syncs under load (see
    /// `fovea_spool::Options::commit_interval`).
    pub spool_commit_interval: Duration,
    /// How long a refusal for a full spool is held before it is answered
    /// (`intake::hold`); zero answers at once.
    pub refusal_hold: Duration,
    pub limits: Limits,
    pub replay_limits: ReplayLimits,
    pub otlp_limits: OtlpLimits,
    /// Request headers carrying the client's country, first match wins.
    pub geo_country_headers: Vec<String>,
    pub geo_region_headers: Vec<String>,
    /// A MaxMind or DB-IP `.mmdb` file for country lookups by IP.
    pub geo_mmdb: Option<PathBuf>,
    /// Header with the client IP (e.g. `x-forwarded-for`) behind a proxy;
    /// otherwise the socket's peer address. Used for geo only, never stored.
    pub client_ip_header: Option<String>,
    pub exclude_bots: bool,
    pub scrub_query_keys: Vec<String>,
    /// Intake requests per second per app (bursts of twice that).
    pub rate_limit_per_app: f64,
    /// Browser intake requests per second per client address (bursts of
    /// 2×), so that one client cannot use up its app's rate.
    pub rate_limit_per_ip: f64,
    /// Mark the login cookie `Secure` (serve the dashboard over HTTPS).
    pub cookie_secure: bool,
    pub default_retention_days: u32,
}

impl Settings {
    /// Defaults for a data directory, storing in DuckDB at
    /// `<data_dir>/fovea.duckdb`; what `fovea serve` uses when nothing else
    /// is said.
    pub fn new(data_dir: PathBuf) -> Settings {
        Settings {
            store: StoreConfig::DuckDb {
                path: data_dir.join("fovea.duckdb"),
                memory_limit: fovea_store::DuckStore::DEFAULT_MEMORY_LIMIT.into(),
            },
            data_dir,
            admin_token: None,
            admin_password: None,
            apps: Vec::new(),
            writer_flush: Duration::from_secs(1),
            spool_max_bytes: 1 << 30,
            spool_commit_interval: fovea_spool::Options::default().commit_interval,
            refusal_hold: Duration::from_secs(1),
            limits: Limits::default(),
            replay_limits: ReplayLimits::default(),
            otlp_limits: OtlpLimits::default(),
            geo_country_headers: vec!["cf-ipcountry".into(), "cloudfront-viewer-country".into()],
            geo_region_headers: vec!["cloudfront-viewer-country-region".into()],
            geo_mmdb: None,
            client_ip_header: None,
            exclude_bots: true,
            scrub_query_keys: Vec::new(),
            rate_limit_per_app: 1000.0,
            rate_limit_per_ip: 50.0,
            cookie_secure: false,
            default_retention_days: 30,
        }
    }
}

/// An app declared in the config file (`[[apps]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticApp {
    /// Defaults to the name.
    pub id: Option<String>,
    pub name: String,
    pub ingest_key: String,
    #[serde(default)]
    pub origins: Vec<String>,
    pub sample_rate: Option<f64>,
    pub retention_days: Option<u32>,
    /// The secret backends send spans with; kept as its SHA-256. Without
    /// it, a key created in the dashboard stays.
    pub server_key: Option<String>,
    pub trace_url_template: Option<String>,
    /// `tag` (the default) keeps sessions from automated browsers (the
    /// demo's, played by headless Chromium) with their signals; `drop`
    /// drops them.
    #[serde(default)]
    pub bots: Option<fovea_schema::sampling::BotPolicy>,
}
