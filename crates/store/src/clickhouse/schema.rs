//! Tables and migrations. A migration is appended, never edited: the
//! `fovea_migrations` table of each server records which ones it has run.
//!
//! Every event and control table is a `ReplacingMergeTree` whose key ends in the row's
//! identity, because a retried insert is stored twice on non-replicated
//! tables: reads use `FINAL`, so a duplicate counts once before any merge.
//! Event tables are partitioned by (app, UTC day): retention drops an app's
//! whole days. Their sort key has the hour before the identity, so that a
//! question reads only the hours it asks about (`FINAL` merges whole key
//! ranges). A view's versions and an event's copies carry the same `ts`
//! unless the client's clock is off by more than the pipeline's drift
//! threshold, when each send's drift estimate differs by milliseconds:
//! only then, and only across an hour's edge, could two copies miss each
//! other and count twice. With a cluster, each server holds `*_local` tables and a
//! `Distributed` table of the plain name over them, sharded by session, so
//! that every copy of an event lands on the same shard.

use super::columns::sql_type;
use crate::columns::{event_columns, view_columns, Column, Ty, SPAN_COLUMNS};

/// One step of a migration.
#[derive(Debug, Clone, PartialEq)]
pub enum Ddl {
    /// A statement that is idempotent by itself (`IF NOT EXISTS`).
    Sql(String),
    /// A column added unless the table has it: ClickHouse 18.16 has no
    /// `ADD COLUMN IF NOT EXISTS`, and a new database creates the table
    /// with the column already.
    AddColumn {
        table: String,
        column: &'static str,
        ty: Ty,
    },
}

impl Ddl {
    /// The `ALTER` of an [`Ddl::AddColumn`].
    pub fn alter(table: &str, column: &str, ty: Ty) -> String {
        format!("ALTER TABLE {table} ADD COLUMN `{column}` {}", sql_type(ty))
    }
}

fn sql(statements: Vec<String>) -> Vec<Ddl> {
    statements.into_iter().map(Ddl::Sql).collect()
}

/// Where the event tables live.
#[derive(Debug, Clone)]
pub struct Layout {
    pub database: String,
    pub cluster: Option<String>,
}

/// The UTC day (`YYYYMMDD`) of a millisecond timestamp column, the second
/// part of the event tables' partition key.
pub const DAY_SQL: &str = "toYYYYMMDD(toDateTime(intDiv(ts, 1000), 'UTC'))";

pub(super) fn columns_sql(cols: impl Iterator<Item = &'static Column>) -> String {
    cols.map(|(n, t)| format!("`{n}` {}", sql_type(*t)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Layout {
    /// The table an event table's rows are stored in on each server.
    fn local(&self, table: &str) -> String {
        match self.cluster {
            Some(_) => format!("{table}_local"),
            None => table.to_string(),
        }
    }

    /// The tables partitioned by (app, day) with their local tables, for
    /// statements each server runs on its own part of the data (dropping
    /// partitions).
    pub fn day_tables(&self) -> [(&'static str, String); 4] {
        ["views", "events", "replay_segments", "spans"].map(|t| (t, self.local(t)))
    }

    /// An event table sharded by session, so that a session's rows and
    /// every copy of an event land on one shard.
    fn event_table(&self, table: &str, engine: &str, order: &str, cols: String) -> Vec<String> {
        self.sharded_table(table, engine, order, cols, "cityHash64(session_id)")
    }

    fn sharded_table(
        &self,
        table: &str,
        engine: &str,
        order: &str,
        cols: String,
        shard_by: &str,
    ) -> Vec<String> {
        let local = self.local(table);
        let mut out = vec![format!(
            "CREATE TABLE IF NOT EXISTS {local} ({cols}) ENGINE = {engine} \
             PARTITION BY (app, {DAY_SQL}) ORDER BY {order}"
        )];
        if let Some(cluster) = &self.cluster {
            out.push(format!(
                "CREATE TABLE IF NOT EXISTS {table} AS {local} ENGINE = Distributed({cluster}, {db}, {local}, {shard_by})",
                db = self.database
            ));
        }
        out
    }

    /// Migration 1: the whole initial schema.
    fn initial(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.extend(self.event_table(
            "views",
            "ReplacingMergeTree(version)",
            "(app, intDiv(ts, 3600000), view_id)",
            columns_sql(view_columns()),
        ));
        out.extend(self.event_table(
            "events",
            "ReplacingMergeTree",
            "(app, type, intDiv(ts, 3600000), event_id)",
            columns_sql(event_columns()),
        ));
        // Control data: on every server in full (writes go to all), versioned
        // so that the latest write wins.
        out.push(
            "CREATE TABLE IF NOT EXISTS apps (id String, name String, ingest_key String, \
             origins String, sample_rate Float64, retention_days UInt32, created_at Int64, \
             version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY id"
                .into(),
        );
        out.push(
            "CREATE TABLE IF NOT EXISTS users (username String, password_hash String, \
             version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY username"
                .into(),
        );
        out.push(
            "CREATE TABLE IF NOT EXISTS login_sessions (token_hash String, username String, \
             expires_at Int64, deleted UInt8, version UInt64) \
             ENGINE = ReplacingMergeTree(version) ORDER BY token_hash"
                .into(),
        );
        out
    }

    /// Migration 3: replay segments, stored and sharded like events; the
    /// newest upload of a (session, index) wins.
    fn replay(&self) -> Vec<String> {
        self.event_table(
            "replay_segments",
            "ReplacingMergeTree(received_at)",
            "(app, session_id, idx)",
            "`app` String, `session_id` String, `idx` UInt32, `view_id` Nullable(String), \
             `ts` Int64, `end_ts` Int64, `events` UInt32, `full_snapshot` UInt8, `bytes` UInt64, \
             `data` String, `received_at` Int64"
                .into(),
        )
    }

    /// Migration 7: backend spans (sharded by trace, sorted so that a
    /// trace is one key range), the page load's trace on views, and the
    /// apps' settings added since the first schema (a control table, on every server).
    fn traces(&self) -> Vec<Ddl> {
        let mut out = sql(self.sharded_table(
            "spans",
            "ReplacingMergeTree",
            "(app, trace_id, span_id)",
            columns_sql(SPAN_COLUMNS.iter()),
            "cityHash64(trace_id)",
        ));
        out.extend(self.add_columns(
            "views",
            &[("trace_id", Ty::OptText), ("span_id", Ty::OptText)],
        ));
        out.push(Ddl::Sql(
            "CREATE TABLE IF NOT EXISTS app_settings (app String, \
             server_key_hash Nullable(String), trace_url_template Nullable(String), \
             daily_event_quota Nullable(UInt64), daily_replay_bytes_quota Nullable(UInt64), \
             version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY app"
                .into(),
        ));
        out
    }

    /// Migration 8: small control records as JSON by kind and id (users with
    /// roles, login sessions, API tokens, audit entries, erasures), on every
    /// server, the newest version of an id winning. The users of the first
    /// schema move over as admins; their login sessions end. The apps'
    /// privacy settings join their other settings.
    fn control_docs(&self) -> Vec<Ddl> {
        let mut out = sql(vec![
            "CREATE TABLE IF NOT EXISTS control_docs (kind String, id String, body String, \
         deleted UInt8, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY (kind, id)"
                .into(),
            // 18.16 has no toJSONString: names and PHC hashes are escaped by hand.
            r#"INSERT INTO control_docs SELECT 'user', username, concat('{"username":"',
         replaceAll(replaceAll(username, '\\', '\\\\'), '"', '\\"'), '","password_hash":"',
         replaceAll(replaceAll(password_hash, '\\', '\\\\'), '"', '\\"'),
         '","role":"admin","apps":[],"created_at":0,"password_changed_at":0}'), 0, version
         FROM users FINAL"#
                .into(),
            "DROP TABLE IF EXISTS login_sessions".into(),
            "DROP TABLE IF EXISTS users".into(),
        ]);
        for column in ["privacy", "user_id_key"] {
            out.push(Ddl::AddColumn {
                table: "app_settings".into(),
                column,
                ty: Ty::OptText,
            });
        }
        out
    }

    /// Migration 9: the rate each session was kept at and its automation
    /// signals on every event, and the apps' sampling rules.
    fn sampling(&self) -> Vec<Ddl> {
        let mut out = self.add_columns("views", crate::columns::CONTEXT_TAIL);
        out.extend(self.add_columns("events", crate::columns::CONTEXT_TAIL));
        out.push(Ddl::AddColumn {
            table: "app_settings".into(),
            column: "traffic",
            ty: Ty::OptText,
        });
        out
    }

    /// Migration 10: the views' timing breakdowns and custom context.
    fn view_phases(&self) -> Vec<Ddl> {
        self.add_columns("views", &crate::columns::VIEW_TAIL)
    }

    /// Adds `columns` to an event table: on every server's local table
    /// and, in a cluster, to the distributed table over them.
    fn add_columns(&self, table: &str, columns: &[Column]) -> Vec<Ddl> {
        let mut tables = vec![self.local(table)];
        if self.cluster.is_some() {
            tables.push(table.into());
        }
        tables
            .into_iter()
            .flat_map(|table| {
                columns.iter().map(move |(column, ty)| Ddl::AddColumn {
                    table: table.clone(),
                    column,
                    ty: *ty,
                })
            })
            .collect()
    }

    /// Every migration, in order, as the statements it runs.
    pub fn migrations(&self) -> Vec<Vec<Ddl>> {
        vec![
            sql(self.initial()),
            sql(super::rollup::tables()),
            sql(self.replay()),
            sql(super::sources::table()),
            sql(super::issues::table()),
            sql(super::issues::frames_table()),
            self.traces(),
            self.control_docs(),
            self.sampling(),
            self.view_phases(),
            super::rollup::crossed_table(),
            super::rollup::late_table(),
        ]
    }
}

/// The table that records applied migrations.
pub const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS fovea_migrations \
     (version UInt32, applied_at DateTime DEFAULT now()) \
     ENGINE = ReplacingMergeTree ORDER BY version";
