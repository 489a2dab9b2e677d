//! The `fovea` binary: reads the settings (flags, `FOVEA_*` variables, the
//! config file), sets up logging, the runtime and the allocator, and hands
//! over to `fovea_server::run`. Everything else lives in libraries; the
//! `sourcemaps` subcommands are a small HTTP client of the API.

// jemalloc as the allocator of every allocation (crates/alloc).
extern crate fovea_alloc;

mod memory;
mod sourcemaps;

use std::future::Future;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use fovea_server::{ClickHouseConfig, Settings, StaticApp, StoreConfig};
use serde::{Deserialize, Serialize};

#[derive(Parser)]
#[command(name = "fovea", version, about = "Self-hosted real user monitoring")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the intake, the query API and the dashboard.
    Serve(Box<Serve>),
    /// Upload, list and delete the source maps that make minified error
    /// stacks readable (docs/errors.md).
    #[command(subcommand)]
    Sourcemaps(sourcemaps::SourcemapsCommand),
}

#[derive(Args)]
struct Serve {
    /// TOML config file: any setting below (same name in snake_case) and
    /// [[apps]].
    #[arg(long, env = "FOVEA_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    options: Options,
}

/// Every setting of `fovea serve`, declared once: each is a flag, a
/// `FOVEA_*` variable and a key of the config file. Flags win over
/// variables, variables over the file, the file over the defaults; so every
/// setting is an `Option` here, `None` meaning "not given by this source".
#[derive(Args, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "FOVEA_LISTEN")]
    listen: Option<SocketAddr>,
    /// Where the spool and the DuckDB file live [default: data].
    #[arg(long, env = "FOVEA_DATA_DIR")]
    data_dir: Option<PathBuf>,
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
    /// How long a refusal for a full spool is held before it is answered,
    /// in ms (at most 10 s; 0 answers at once).
    #[arg(long, env = "FOVEA_REFUSAL_HOLD_MS")]
    refusal_hold_ms: Option<u64>,
    /// Where events are stored [default: duckdb].
    #[arg(long, env = "FOVEA_STORE")]
    store: Option<StoreKind>,
    /// DuckDB's memory limit, e.g. 256MB.
    #[arg(long, env = "FOVEA_DUCKDB_MEMORY_LIMIT")]
    duckdb_memory_limit: Option<String>,
    /// ClickHouse HTTP endpoints, e.g. http://127.0.0.1:8123; with a
    /// cluster, one per shard, comma-separated.
    #[arg(long, env = "FOVEA_CLICKHOUSE_URL", value_delimiter = ',')]
    clickhouse_url: Option<Vec<String>>,
    /// ClickHouse database [default: fovea].
    #[arg(long, env = "FOVEA_CLICKHOUSE_DATABASE")]
    clickhouse_database: Option<String>,
    /// ClickHouse user [default: default].
    #[arg(long, env = "FOVEA_CLICKHOUSE_USER")]
    clickhouse_user: Option<String>,
    /// ClickHouse password.
    #[arg(long, env = "FOVEA_CLICKHOUSE_PASSWORD", hide_env_values = true)]
    clickhouse_password: Option<String>,
    /// A `remote_servers` cluster of ClickHouse: events go to Distributed
    /// tables over its shards.
    #[arg(long, env = "FOVEA_CLICKHOUSE_CLUSTER")]
    clickhouse_cluster: Option<String>,
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
    /// Browser intake requests per second per client address.
    #[arg(long, env = "FOVEA_RATE_LIMIT_PER_IP")]
    rate_limit_per_ip: Option<f64>,
    /// Mark the login cookie Secure (when served over HTTPS).
    #[arg(long, env = "FOVEA_COOKIE_SECURE")]
    cookie_secure: Option<bool>,
    /// Default retention of new apps, in days.
    #[arg(long, env = "FOVEA_RETENTION_DAYS")]
    retention_days: Option<u32>,
    /// Largest intake body as sent, in bytes.
    #[arg(long, env = "FOVEA_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    /// Log filter, e.g. `info` or `warn,fovea_server=debug` [default: info].
    #[arg(long, env = "FOVEA_LOG")]
    log: Option<String>,
    /// `json` writes one JSON object per line, for log shippers
    /// [default: text].
    #[arg(long, env = "FOVEA_LOG_FORMAT")]
    log_format: Option<LogFormat>,
    /// Apps created or updated at start: only in the config file.
    #[arg(skip)]
    #[serde(default, skip_serializing)]
    apps: Vec<StaticApp>,
}

#[derive(Clone, Copy, Default, PartialEq, Debug, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StoreKind {
    /// An embedded DuckDB file in the data directory.
    #[default]
    Duckdb,
    /// A ClickHouse server or cluster, shared by several fovea nodes.
    Clickhouse,
}

#[derive(Clone, Copy, Default, PartialEq, Debug, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum LogFormat {
    #[default]
    Text,
    Json,
}

/// What `serve` was told, resolved: where to listen, how to log, the rest.
struct Config {
    listen: SocketAddr,
    log: String,
    log_format: LogFormat,
    settings: Settings,
}

impl Serve {
    fn merged(self) -> anyhow::Result<Options> {
        let Some(path) = self.config else {
            return Ok(self.options);
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let file: Options =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        self.options.over(file)
    }
}

impl Options {
    /// Each setting from `self` where given, else from `under`. Done on the
    /// TOML tables of both (a `None` is no key) so that it is written once
    /// for every setting.
    fn over(self, under: Options) -> anyhow::Result<Options> {
        let mut table = toml::Table::try_from(&under).context("merging settings")?;
        table.extend(toml::Table::try_from(&self).context("merging settings")?);
        let merged: Options = table.try_into().context("merging settings")?;
        Ok(Options {
            apps: under.apps,
            ..merged
        })
    }

    fn resolve(self) -> anyhow::Result<Config> {
        // Destructured whole, so that a setting added above and not used
        // here fails to compile (unused variable).
        let Options {
            listen,
            data_dir,
            admin_token,
            admin_password,
            writer_flush_ms,
            spool_max_bytes,
            spool_commit_interval_us,
            refusal_hold_ms,
            store,
            duckdb_memory_limit,
            clickhouse_url,
            clickhouse_database,
            clickhouse_user,
            clickhouse_password,
            clickhouse_cluster,
            geo_mmdb,
            geo_country_headers,
            client_ip_header,
            keep_bots,
            scrub_query_keys,
            rate_limit,
            rate_limit_per_ip,
            cookie_secure,
            retention_days,
            max_body_bytes,
            log,
            log_format,
            apps,
        } = self;
        let mut s = Settings::new(data_dir.unwrap_or_else(|| PathBuf::from("data")));
        match store.unwrap_or_default() {
            StoreKind::Duckdb => {
                for (key, given) in [
                    ("clickhouse_url", clickhouse_url.is_some()),
                    ("clickhouse_database", clickhouse_database.is_some()),
                    ("clickhouse_user", clickhouse_user.is_some()),
                    ("clickhouse_password", clickhouse_password.is_some()),
                    ("clickhouse_cluster", clickhouse_cluster.is_some()),
                ] {
                    // Most likely a forgotten --store: storing into a local
                    // file instead would go unnoticed.
                    if given {
                        bail!(
                            "{} is set but the store is duckdb: set {} to clickhouse",
                            names(key),
                            names("store")
                        );
                    }
                }
                if let (Some(limit), StoreConfig::DuckDb { memory_limit, .. }) =
                    (duckdb_memory_limit, &mut s.store)
                {
                    *memory_limit = limit;
                }
            }
            StoreKind::Clickhouse => {
                if duckdb_memory_limit.is_some() {
                    bail!(
                        "{} is set but the store is clickhouse: remove it",
                        names("duckdb_memory_limit")
                    );
                }
                let config = ClickHouseConfig {
                    urls: clickhouse_urls(clickhouse_url.unwrap_or_default())?,
                    database: clickhouse_database.unwrap_or_else(|| "fovea".into()),
                    user: clickhouse_user.unwrap_or_else(|| "default".into()),
                    password: clickhouse_password.filter(|p| !p.is_empty()),
                    cluster: clickhouse_cluster.filter(|c| !c.is_empty()),
                };
                if let Some(problem) = config.problem() {
                    bail!("{problem} (set by --clickhouse-url, --clickhouse-cluster, --clickhouse-database: FOVEA_CLICKHOUSE_*, clickhouse_* in the config file)");
                }
                s.store = StoreConfig::ClickHouse(config);
            }
        }
        s.admin_token = admin_token.filter(|t| !t.is_empty());
        s.admin_password = admin_password.filter(|p| !p.is_empty());
        s.apps = apps;
        if let Some(ms) = writer_flush_ms {
            s.writer_flush = Duration::from_millis(ms.max(10));
        }
        if let Some(b) = spool_max_bytes {
            s.spool_max_bytes = b;
        }
        if let Some(ms) = refusal_hold_ms {
            s.refusal_hold = Duration::from_millis(ms.min(10_000));
        }
        if let Some(us) = spool_commit_interval_us {
            // Acks under load wait up to this long: a typo must not make it seconds.
            s.spool_commit_interval = Duration::from_micros(us.min(100_000));
        }
        s.geo_mmdb = geo_mmdb;
        if let Some(h) = geo_country_headers {
            s.geo_country_headers = h;
        }
        s.client_ip_header = client_ip_header;
        s.exclude_bots = !keep_bots.unwrap_or(false);
        if let Some(k) = scrub_query_keys {
            s.scrub_query_keys = k;
        }
        if let Some(r) = rate_limit {
            s.rate_limit_per_app = r;
        }
        if let Some(r) = rate_limit_per_ip {
            s.rate_limit_per_ip = r;
        }
        s.cookie_secure = cookie_secure.unwrap_or(false);
        if let Some(d) = retention_days {
            s.default_retention_days = d;
        }
        if let Some(b) = max_body_bytes {
            s.limits.max_body = b;
        }
        Ok(Config {
            listen: listen.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080))),
            log: log.unwrap_or_else(|| "info".into()),
            log_format: log_format.unwrap_or_default(),
            settings: s,
        })
    }
}

fn clickhouse_urls(given: Vec<String>) -> anyhow::Result<Vec<String>> {
    let urls: Vec<String> = given
        .into_iter()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .collect();
    if urls.is_empty() {
        bail!(
            "the clickhouse store needs {}, e.g. http://127.0.0.1:8123",
            names("clickhouse_url")
        );
    }
    // The store checks each URL when it opens (only http:// is spoken).
    Ok(urls)
}

/// A setting's three names, for messages: which one the user gave is not
/// known here.
fn names(key: &str) -> String {
    format!(
        "--{} (FOVEA_{}, {key} in the config file)",
        key.replace('_', "-"),
        key.to_uppercase()
    )
}

fn init_logs(filter: &str, format: LogFormat) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .with_context(|| format!("log filter {filter:?}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        // Colour only for a person at a terminal: escape codes garble files
        // and log collectors.
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
            .init(),
        LogFormat::Json => builder.with_ansi(false).json().init(),
    }
    Ok(())
}

/// Resolves at the first SIGINT or SIGTERM. The handlers are installed
/// here, before start-up, so that a signal that comes early is not the
/// default (immediate) exit but a graceful shutdown once serving.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

fn main() -> anyhow::Result<()> {
    let serve = match Cli::parse().command {
        Command::Serve(serve) => *serve,
        Command::Sourcemaps(cmd) => return sourcemaps::run(cmd),
    };
    let config = serve.merged()?.resolve()?;
    init_logs(&config.log, config.log_format)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let shutdown = {
        let _in_runtime = runtime.enter();
        shutdown_signal()?
    };
    runtime.block_on(fovea_server::run(
        config.listen,
        config.settings,
        shutdown,
        memory::release_startup_pages,
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Serve {
        let Command::Serve(serve) = Cli::try_parse_from(["fovea", "serve"].iter().chain(args))
            .unwrap()
            .command
        else {
            unreachable!("parsed `fovea serve`")
        };
        *serve
    }

    /// Regression: `--token -OAlt…` was refused as an unknown flag `-O`
    /// (one token in 64 begins with `-`).
    #[test]
    fn a_token_beginning_with_a_hyphen_is_a_token() {
        let cli = Cli::try_parse_from([
            "fovea",
            "sourcemaps",
            "list",
            "--server",
            "http://127.0.0.1:1",
            "--app",
            "a1",
            "--token",
            "-OAltd9Ph-cm_W8aje1ugqew",
        ]);
        assert!(cli.is_ok(), "{:?}", cli.err().map(|e| e.to_string()));
    }

    fn file(text: &str) -> Options {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let file = file(
            r#"
            listen = "0.0.0.0:9000"
            writer_flush_ms = 250
            rate_limit = 5.0
            scrub_query_keys = ["file"]
            [[apps]]
            name = "shop"
            ingest_key = "k"
            "#,
        );
        let cli = parse(&["--listen", "127.0.0.1:7000", "--scrub-query-keys", "a,b"]);
        let c = cli.options.over(file).unwrap().resolve().unwrap();
        assert_eq!(c.listen, "127.0.0.1:7000".parse().unwrap());
        assert_eq!(c.settings.writer_flush, Duration::from_millis(250));
        assert_eq!(c.settings.rate_limit_per_app, 5.0);
        assert_eq!(c.settings.scrub_query_keys, ["a", "b"]);
        assert_eq!(c.settings.apps.len(), 1);
        assert_eq!(c.settings.spool_max_bytes, 1 << 30);
        assert_eq!(c.log_format, LogFormat::Text);
    }

    #[test]
    fn variables_sit_between_flags_and_the_file() {
        // The only test that sets a variable, and the only one reading it.
        std::env::set_var("FOVEA_RETENTION_DAYS", "7");
        let from_env = parse(&[]).options.over(file("retention_days = 3"));
        let from_flag = parse(&["--retention-days", "9"])
            .options
            .over(file("retention_days = 3"));
        std::env::remove_var("FOVEA_RETENTION_DAYS");
        let days = |o: anyhow::Result<Options>| o.unwrap().resolve().unwrap().settings;
        assert_eq!(days(from_env).default_retention_days, 7);
        assert_eq!(days(from_flag).default_retention_days, 9);
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let err = toml::from_str::<Options>("listen_addr = \"127.0.0.1:1\"")
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("unknown field `listen_addr`"),
            "{err}"
        );
        // The config file names itself; it cannot be set in itself.
        assert!(toml::from_str::<Options>("config = \"x.toml\"").is_err());
    }

    #[test]
    fn duckdb_is_the_default_store_in_the_data_dir() {
        let c = parse(&["--data-dir", "/srv/fovea", "--duckdb-memory-limit", "1GB"])
            .options
            .resolve()
            .unwrap();
        assert_eq!(
            c.settings.store,
            StoreConfig::DuckDb {
                path: "/srv/fovea/fovea.duckdb".into(),
                memory_limit: "1GB".into()
            }
        );
    }

    #[test]
    fn clickhouse_settings() {
        let o = parse(&[
            "--store",
            "clickhouse",
            "--clickhouse-url",
            "http://a:8123, http://b:8123",
            "--clickhouse-cluster",
            "rum",
        ])
        .options
        .over(file("clickhouse_password = \"secret\""));
        assert_eq!(
            o.unwrap().resolve().unwrap().settings.store,
            StoreConfig::ClickHouse(ClickHouseConfig {
                urls: vec!["http://a:8123".into(), "http://b:8123".into()],
                database: "fovea".into(),
                user: "default".into(),
                password: Some("secret".into()),
                cluster: Some("rum".into()),
            })
        );
    }

    #[test]
    fn store_settings_that_cannot_work_are_refused() {
        let err = |args: &[&str]| parse(args).options.resolve().err().unwrap().to_string();
        assert!(err(&["--store", "clickhouse"]).contains("needs --clickhouse-url"));
        assert!(
            err(&["--store", "clickhouse", "--clickhouse-url", "a:9000"])
                .contains("clickhouse url \"a:9000\": only http:// is spoken")
        );
        assert!(err(&["--clickhouse-url", "http://a:8123"])
            .contains("the store is duckdb: set --store (FOVEA_STORE, store in the config file) to clickhouse"));
        assert!(err(&[
            "--store",
            "clickhouse",
            "--clickhouse-url",
            "http://a:8123",
            "--duckdb-memory-limit",
            "1GB"
        ])
        .contains("FOVEA_DUCKDB_MEMORY_LIMIT, duckdb_memory_limit in the config file) is set"));
    }
}
