//! What an app stores, per UTC day, and what it costs on disk: the figures
//! of the usage API and of its what-if. One set of statements for both
//! backends, which differ only in the spellings a [`Dialect`] gives.

use fovea_query::WEIGHT_SQL;
use serde::Deserialize;

/// A day's count of one kind: `sessions`, `views`, an event type
/// (`action`, `error`, `resource`, `long_task`), `replay_segments`,
/// `replay_bytes` or `spans`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UsageRow {
    /// The day's start, ms since the epoch (UTC).
    pub day: i64,
    pub kind: String,
    pub n: u64,
    /// `n` with each session's rows weighted by 100 / the rate it was kept
    /// at (replay and spans: as `n`).
    pub weighted: f64,
}

/// The app's rows on disk, by kind, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredBytes {
    pub views: u64,
    pub events: u64,
    pub replay: u64,
    pub spans: u64,
    /// Rows of views and events (view versions included) the bytes of
    /// `views` and `events` hold.
    pub rows: u64,
}

/// Stored sessions grouped by the context they started in, for a what-if
/// of other sampling rules.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MixRow {
    pub route: Option<String>,
    pub env: Option<String>,
    pub release: Option<String>,
    pub device: Option<String>,
    pub country: Option<String>,
    /// The rate these sessions were kept at (`None`: 100).
    pub sample_rate: Option<f64>,
    pub sessions: u64,
    pub views: u64,
}

/// The tables whose bytes are measured, with the kind they count as.
pub const BYTE_TABLES: [&str; 4] = ["views", "events", "replay_segments", "spans"];

impl StoredBytes {
    /// Adds a table's `bytes` holding `rows` rows.
    pub fn add(&mut self, table: &str, bytes: u64, rows: u64) {
        match table.trim_end_matches("_local") {
            "views" => {
                self.views += bytes;
                self.rows += rows;
            }
            "events" => {
                self.events += bytes;
                self.rows += rows;
            }
            "replay_segments" => self.replay += bytes,
            "spans" => self.spans += bytes,
            _ => {}
        }
    }
}

/// How a backend spells what the statements need.
pub(crate) struct Dialect {
    /// Read modifier after a table name (` FINAL` on ClickHouse).
    pub final_: &'static str,
    /// Integer division.
    pub div: fn(&str, i64) -> String,
    pub u64: fn(&str) -> String,
    pub f64: fn(&str) -> String,
    /// `arg_min` / `argMin`.
    pub arg_min: &'static str,
}

const DAY_MS: i64 = 86_400_000;

/// The app's day counts from `from` to `to` (ms); `app` is a quoted literal.
pub(crate) fn usage_sql(d: &Dialect, app: &str, from: i64, to: i64) -> String {
    let f = d.final_;
    let day = format!("{} * {DAY_MS}", (d.div)("ts", DAY_MS));
    let filter = format!("app = {app} AND ts >= {from} AND ts < {to}");
    let (u, w) = (d.u64, d.f64);
    // A session (or view) weighs as its row kept at the lowest rate.
    let per = |key: &str, kind: &str| {
        format!(
            "SELECT day, '{kind}' AS kind, {n} AS n, {wt} AS weighted FROM \
             (SELECT {day} AS day, {key}, max({WEIGHT_SQL}) AS w FROM views{f} WHERE {filter} GROUP BY day, {key}) \
             GROUP BY day",
            n = u("count()"),
            wt = w("sum(w)"),
        )
    };
    let plain = |table: &str, kind: &str, n: &str| {
        let n = u(n);
        format!(
            "SELECT {day} AS day, '{kind}' AS kind, {n} AS n, {w} AS weighted FROM {table}{f} WHERE {filter} GROUP BY day",
            w = w(&n),
        )
    };
    [
        per("session_id", "sessions"),
        per("view_id", "views"),
        format!(
            "SELECT {day} AS day, type AS kind, {n} AS n, {wt} AS weighted FROM events{f} WHERE {filter} GROUP BY day, type",
            n = u("count()"),
            wt = w(&format!("sum({WEIGHT_SQL})")),
        ),
        plain("replay_segments", "replay_segments", "count()"),
        plain("replay_segments", "replay_bytes", "sum(bytes)"),
        plain("spans", "spans", "count()"),
    ]
    .join(" UNION ALL ")
}

/// The app's sessions from `from` to `to` grouped by their first view's
/// context and their rate.
pub(crate) fn mix_sql(d: &Dialect, app: &str, from: i64, to: i64) -> String {
    let (f, a) = (d.final_, d.arg_min);
    let first = ["route", "env", "release", "device", "country"]
        .map(|c| format!("{a}({c}, ts) AS {c}"))
        .join(", ");
    format!(
        "SELECT route, env, release, device, country, r AS sample_rate, {sessions} AS sessions, {views} AS views FROM \
         (SELECT session_id, {first}, min(sample_rate) AS r, count() AS n FROM views{f} \
          WHERE app = {app} AND ts >= {from} AND ts < {to} GROUP BY session_id) \
         GROUP BY route, env, release, device, country, r",
        sessions = (d.u64)("count()"),
        views = (d.u64)("sum(n)"),
    )
}
