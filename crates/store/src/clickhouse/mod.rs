//! The scale-out backend: one ClickHouse server, or a cluster of shards,
//! over HTTP. Several `fovea` nodes may share it; each keeps its own spool.
//!
//! Event reads use `FINAL` (see `schema.rs`), so a view counts once at its
//! highest version and an event once, before and after merges. Control
//! data (apps, users, login sessions) is written to every listed server and
//! read from the first that answers, so every node sees the same.

mod client;
mod columns;
mod erase;
mod issues;
mod read;
mod replay;
mod rollup;
mod schema;
mod sources;
mod traces;
mod usage;

use crate::now_ms;
use std::collections::HashMap;

use async_trait::async_trait;
use fovea_query::{
    ActionRow, ActionsQuery, Bucket, Filters, IssueDetail, IssueRow, IssuesQuery, Point,
    ReplaySegmentInfo, ResourceRow, ResourcesQuery, ServiceRow, SessionDetail, SessionRow,
    SessionsQuery, Summary, TimeseriesQuery, ViewRow, VitalsGroup, VitalsQuery,
};
use fovea_schema::sampling::Traffic;
use fovea_schema::{
    App, Event, IssueState, Metric, Privacy, ReplaySegment, SourceFile, SourceFileInfo, Span,
    StoredFrames,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use self::client::{quote, Client};
use self::schema::{Ddl, Layout, DAY_SQL, MIGRATIONS_TABLE};
use crate::columns::{event_cells, event_columns};
use crate::{
    ClickHouseConfig, ControlStore, EventStore, Maintenance, Result, SourceKey, SourceStore,
    StoreError, Subject,
};

#[derive(Clone)]
pub struct ClickHouseStore {
    client: Client,
    urls: Vec<String>,
    layout: Layout,
}

impl std::fmt::Debug for ClickHouseStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseStore")
            .field("urls", &self.urls)
            .finish()
    }
}

#[derive(Deserialize)]
pub(super) struct Count {
    pub n: u64,
}

impl ClickHouseStore {
    /// Connects, creates the database if needed and runs the migrations on
    /// every listed server.
    pub async fn open(config: ClickHouseConfig) -> Result<ClickHouseStore> {
        if let Some(problem) = config.problem() {
            return Err(StoreError::Rejected(problem));
        }
        let urls: Vec<String> = config
            .urls
            .iter()
            .map(|u| u.trim_end_matches('/').to_string() + "/")
            .collect();
        let store = ClickHouseStore {
            client: Client::new(
                &config.user,
                config.password.as_deref(),
                config.database.clone(),
            ),
            urls,
            layout: Layout {
                database: config.database,
                cluster: config.cluster,
            },
        };
        for url in &store.urls {
            store.migrate(url).await?;
        }
        tracing::info!(urls = ?store.urls, database = %store.layout.database, cluster = ?store.layout.cluster, "clickhouse store opened");
        Ok(store)
    }

    async fn migrate(&self, url: &str) -> Result<()> {
        let db = &self.layout.database;
        self.client
            .exec_server(url, &format!("CREATE DATABASE IF NOT EXISTS {db}"))
            .await?;
        self.client.exec(url, MIGRATIONS_TABLE).await?;
        let done: Vec<Count> = self
            .client
            .rows(url, "SELECT count() AS n FROM fovea_migrations FINAL")
            .await?;
        let done = done.first().map_or(0, |c| c.n) as usize;
        for (i, statements) in self.layout.migrations().iter().enumerate().skip(done) {
            // Every statement is idempotent (IF NOT EXISTS), so a migration
            // cut short, or run by two nodes at once, is simply run again.
            for ddl in statements {
                match ddl {
                    Ddl::Sql(sql) => self.client.exec(url, sql).await?,
                    Ddl::AddColumn { table, column, ty } => {
                        let has = || async {
                            let n: Vec<Count> = self
                                .client
                                .rows(
                                    url,
                                    &format!(
                                        "SELECT count() AS n FROM system.columns WHERE database = {} \
                                         AND table = {} AND name = {}",
                                        quote(db),
                                        quote(table),
                                        quote(column)
                                    ),
                                )
                                .await?;
                            Ok::<bool, StoreError>(n.first().is_some_and(|c| c.n > 0))
                        };
                        if !has().await? {
                            // Another node may add it between the check and
                            // the ALTER: then the column is there all the same.
                            if let Err(e) =
                                self.client.exec(url, &Ddl::alter(table, column, *ty)).await
                            {
                                if !has().await? {
                                    return Err(e);
                                }
                            }
                        }
                    }
                }
            }
            let version = i + 1;
            self.client
                .exec(
                    url,
                    &format!("INSERT INTO fovea_migrations (version) VALUES ({version})"),
                )
                .await?;
            tracing::info!(url, version, "clickhouse migration applied");
        }
        Ok(())
    }

    /// Runs `f` against the first server that answers.
    pub(super) async fn on_any<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut last = None;
        for url in &self.urls {
            match f(url.clone()).await {
                Err(e) if e.is_retryable() => last = Some(e),
                other => return other,
            }
        }
        Err(last.unwrap_or(StoreError::Closed))
    }

    async fn rows<T: serde::de::DeserializeOwned>(&self, sql: String) -> Result<Vec<T>> {
        self.on_any(|url| {
            let sql = sql.clone();
            async move { self.client.rows(&url, &sql).await }
        })
        .await
    }

    async fn insert_rows(&self, table: &str, rows: String) -> Result<()> {
        self.on_any(|url| {
            let rows = rows.clone();
            async move { self.client.insert(&url, table, rows).await }
        })
        .await
    }

    /// Control rows from every server that answers, the newest version of
    /// each key: writes go to the servers one after another, so one that was
    /// down for a write must not be believed alone.
    async fn control_rows<T: DeserializeOwned + Versioned>(&self, sql: String) -> Result<Vec<T>> {
        let mut newest: HashMap<String, T> = HashMap::new();
        let mut unavailable = None;
        let mut answered = false;
        for url in &self.urls {
            match self.client.rows::<T>(url, &sql).await {
                Ok(rows) => {
                    answered = true;
                    for row in rows {
                        match newest.get(row.key()) {
                            Some(seen) if seen.version() >= row.version() => {}
                            _ => {
                                newest.insert(row.key().to_string(), row);
                            }
                        }
                    }
                }
                Err(e) if e.is_retryable() => unavailable = Some(e),
                Err(e) => return Err(e),
            }
        }
        match (answered, unavailable) {
            (false, Some(e)) => Err(e),
            _ => Ok(newest.into_values().collect()),
        }
    }

    /// Control data goes to every server, so that any of them can answer.
    async fn insert_everywhere(&self, table: &str, rows: String) -> Result<()> {
        for url in &self.urls {
            self.client.insert(url, table, rows.clone()).await?;
        }
        Ok(())
    }

    /// A version above the stored one and the clock: later writes win even
    /// when nodes' clocks disagree a little.
    async fn next_version(&self, table: &str, key_col: &str, key: &str) -> Result<u64> {
        self.next_version_where(table, key_col, &format!("{key_col} = {}", quote(key)))
            .await
    }

    /// [`Self::next_version`] of the rows `filter` selects.
    async fn next_version_where(&self, table: &str, key_col: &str, filter: &str) -> Result<u64> {
        #[derive(Deserialize)]
        struct V {
            k: String,
            version: u64,
        }
        impl Versioned for V {
            fn key(&self) -> &str {
                &self.k
            }
            fn version(&self) -> u64 {
                self.version
            }
        }
        let stored: Vec<V> = self
            .control_rows(format!(
                "SELECT {key_col} AS k, max(version) AS version FROM {table} \
                 WHERE {filter} GROUP BY k"
            ))
            .await?;
        Ok(now_ms().max(stored.first().map_or(0, |v| v.version) + 1))
    }
}

fn json_line(v: serde_json::Value) -> String {
    let mut s = v.to_string();
    s.push('\n');
    s
}

/// A control row: its key and version, to pick the newest of the servers'.
trait Versioned {
    fn key(&self) -> &str;
    fn version(&self) -> u64;
}

#[derive(Deserialize)]
struct AppRow {
    version: u64,
    id: String,
    name: String,
    ingest_key: String,
    origins: String,
    sample_rate: f64,
    retention_days: u32,
    created_at: i64,
}

impl Versioned for AppRow {
    fn key(&self) -> &str {
        &self.id
    }
    fn version(&self) -> u64 {
        self.version
    }
}

#[derive(Deserialize)]
struct DocRow {
    id: String,
    body: String,
    deleted: u8,
    version: u64,
}

impl Versioned for DocRow {
    fn key(&self) -> &str {
        &self.id
    }
    fn version(&self) -> u64 {
        self.version
    }
}

impl From<AppRow> for App {
    fn from(r: AppRow) -> App {
        App {
            id: r.id,
            name: r.name,
            ingest_key: r.ingest_key,
            origins: serde_json::from_str(&r.origins).unwrap_or_default(),
            sample_rate: r.sample_rate,
            retention_days: r.retention_days,
            created_at: r.created_at,
            ..App::default()
        }
    }
}

#[derive(Deserialize)]
struct AppSettingsRow {
    version: u64,
    app: String,
    server_key_hash: Option<String>,
    trace_url_template: Option<String>,
    daily_event_quota: Option<u64>,
    daily_replay_bytes_quota: Option<u64>,
    privacy: Option<String>,
    user_id_key: Option<String>,
    traffic: Option<String>,
}

impl Versioned for AppSettingsRow {
    fn key(&self) -> &str {
        &self.app
    }
    fn version(&self) -> u64 {
        self.version
    }
}

#[async_trait]
impl EventStore for ClickHouseStore {
    async fn insert(&self, events: Vec<Event>) -> Result<()> {
        let batch = crate::batch::dedupe(&events);
        let mut others = String::new();
        for e in &batch.others {
            columns::push_row(&mut others, event_columns(), event_cells(e));
        }
        // Not atomic together: a retry after a later insert failed inserts
        // the views again, which `FINAL` reads count once (and which marks
        // their hours as not rolled up: they are in `views` already).
        rollup::insert_views(self, &batch.views).await?;
        self.insert_rows("events", others).await
    }

    async fn vitals(&self, app_id: &str, q: &VitalsQuery) -> Result<Vec<VitalsGroup>> {
        read::vitals(self, app_id, q).await
    }

    async fn summary(&self, app_id: &str, f: &Filters) -> Result<Summary> {
        read::summary(self, app_id, f).await
    }

    async fn timeseries(&self, app_id: &str, q: &TimeseriesQuery) -> Result<Vec<Point>> {
        read::timeseries(self, app_id, q).await
    }

    async fn histogram(&self, app_id: &str, metric: Metric, f: &Filters) -> Result<Vec<Bucket>> {
        read::histogram(self, app_id, metric, f).await
    }

    async fn slow_views(
        &self,
        app_id: &str,
        metric: Metric,
        f: &Filters,
        limit: u32,
    ) -> Result<Vec<ViewRow>> {
        read::slow_views(self, app_id, metric, f, limit).await
    }

    async fn sessions(&self, app_id: &str, q: &SessionsQuery) -> Result<Vec<SessionRow>> {
        let mut rows = read::sessions(self, app_id, q).await?;
        replay::mark(self, app_id, &mut rows).await?;
        Ok(rows)
    }

    async fn session(&self, app_id: &str, session_id: &str) -> Result<Option<SessionDetail>> {
        let events = read::session_events(self, app_id, session_id).await?;
        let mut detail = crate::session::detail(session_id, events);
        if let Some(d) = &mut detail {
            replay::mark(self, app_id, std::slice::from_mut(&mut d.session)).await?;
        }
        Ok(detail)
    }

    async fn issues(&self, app_id: &str, q: &IssuesQuery) -> Result<Vec<IssueRow>> {
        read::issues(self, app_id, q, None).await
    }

    async fn issue(
        &self,
        app_id: &str,
        fingerprint: &str,
        q: &IssuesQuery,
    ) -> Result<Option<IssueDetail>> {
        read::issue(self, app_id, fingerprint, q).await
    }

    async fn resources(&self, app_id: &str, q: &ResourcesQuery) -> Result<Vec<ResourceRow>> {
        read::resources(self, app_id, q).await
    }

    async fn actions(&self, app_id: &str, q: &ActionsQuery) -> Result<Vec<ActionRow>> {
        read::actions(self, app_id, q).await
    }

    async fn insert_replay(&self, segments: Vec<ReplaySegment>) -> Result<()> {
        replay::insert(self, segments).await
    }

    async fn replay_segments(
        &self,
        app_id: &str,
        session_id: &str,
    ) -> Result<Vec<ReplaySegmentInfo>> {
        replay::segments(self, app_id, session_id).await
    }

    async fn replay_segment(
        &self,
        app_id: &str,
        session_id: &str,
        index: u32,
    ) -> Result<Option<Vec<u8>>> {
        replay::segment(self, app_id, session_id, index).await
    }

    async fn insert_spans(&self, spans: Vec<Span>) -> Result<()> {
        traces::insert(self, spans).await
    }

    async fn spans(&self, app_id: &str, trace_ids: &[String]) -> Result<Vec<Span>> {
        traces::spans(self, app_id, trace_ids).await
    }

    async fn trace_events(&self, app_id: &str, trace_id: &str) -> Result<Vec<Event>> {
        traces::trace_events(self, app_id, trace_id).await
    }

    async fn traced_requests(&self, app_id: &str, f: &Filters, limit: u32) -> Result<Vec<Event>> {
        traces::traced_requests(self, app_id, f, limit).await
    }

    async fn services(&self, app_id: &str, f: &Filters) -> Result<Vec<ServiceRow>> {
        traces::services(self, app_id, f).await
    }

    async fn usage(&self, app_id: &str, from: i64, to: i64) -> Result<Vec<crate::UsageRow>> {
        usage::usage(self, app_id, from, to).await
    }

    async fn session_mix(&self, app_id: &str, from: i64, to: i64) -> Result<Vec<crate::MixRow>> {
        usage::session_mix(self, app_id, from, to).await
    }

    async fn stored_bytes(&self, app_id: &str) -> Result<crate::StoredBytes> {
        usage::stored_bytes(self, app_id).await
    }

    async fn stored_since(&self, since: i64) -> Result<Vec<crate::StoredToday>> {
        #[derive(Deserialize)]
        struct R {
            app: String,
            n: u64,
            b: u64,
        }
        let rows: Vec<R> = self
            .rows(format!(
                "SELECT app, toUInt64(sum(n)) AS n, toUInt64(sum(b)) AS b FROM (
                     SELECT app, count() AS n, toUInt64(0) AS b FROM views FINAL WHERE ts >= {since} GROUP BY app
                     UNION ALL SELECT app, count() AS n, toUInt64(0) AS b FROM events FINAL WHERE ts >= {since} GROUP BY app
                     UNION ALL SELECT app, toUInt64(0) AS n, sum(bytes) AS b FROM replay_segments FINAL WHERE ts >= {since} GROUP BY app
                 ) GROUP BY app ORDER BY app"
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| crate::StoredToday {
                app_id: r.app,
                events: r.n,
                replay_bytes: r.b,
            })
            .collect())
    }
}

#[async_trait]
impl ControlStore for ClickHouseStore {
    async fn apps(&self) -> Result<Vec<App>> {
        let rows: Vec<AppRow> = self
            .control_rows(
                "SELECT version, id, name, ingest_key, origins, sample_rate, retention_days, \
                 created_at FROM apps FINAL"
                    .into(),
            )
            .await?;
        let mut settings: HashMap<String, AppSettingsRow> = self
            .control_rows::<AppSettingsRow>(
                "SELECT version, app, server_key_hash, trace_url_template, daily_event_quota, \
                 daily_replay_bytes_quota, privacy, user_id_key, traffic FROM app_settings FINAL"
                    .into(),
            )
            .await?
            .into_iter()
            .map(|t| (t.app.clone(), t))
            .collect();
        let mut apps: Vec<App> = rows
            .into_iter()
            .map(|r| {
                let t = settings.remove(&r.id);
                App {
                    server_key_hash: t.as_ref().and_then(|t| t.server_key_hash.clone()),
                    trace_url_template: t.as_ref().and_then(|t| t.trace_url_template.clone()),
                    daily_event_quota: t.as_ref().and_then(|t| t.daily_event_quota),
                    daily_replay_bytes_quota: t.as_ref().and_then(|t| t.daily_replay_bytes_quota),
                    privacy: Privacy::from_json(t.as_ref().and_then(|t| t.privacy.as_deref())),
                    user_id_key: t.as_ref().and_then(|t| t.user_id_key.clone()),
                    traffic_rules: Traffic::from_json(
                        t.as_ref().and_then(|t| t.traffic.as_deref()),
                    ),
                    ..App::from(r)
                }
            })
            .collect();
        apps.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(apps)
    }

    async fn create_app(&self, app: &App) -> Result<()> {
        // Not atomic across nodes: two nodes creating one id at the same
        // moment both succeed and the later write wins. Ingest keys are
        // random, so they never collide.
        let taken = self
            .apps()
            .await?
            .iter()
            .any(|a| a.id == app.id || a.ingest_key == app.ingest_key);
        if taken {
            return Err(StoreError::Conflict(format!(
                "app {:?} or its key",
                app.name
            )));
        }
        self.put_app(app, now_ms()).await
    }

    async fn update_app(&self, app: &App) -> Result<()> {
        let version = self.next_version("apps", "id", &app.id).await?;
        self.put_app(app, version).await
    }

    async fn doc(&self, kind: &str, id: &str) -> Result<Option<String>> {
        Ok(self
            .doc_rows(kind, &format!("AND id = {}", quote(id)))
            .await?
            .into_iter()
            .next())
    }

    async fn docs(&self, kind: &str, limit: u32) -> Result<Vec<String>> {
        self.doc_rows(kind, &format!("ORDER BY id DESC LIMIT {limit}"))
            .await
    }

    async fn put_doc(&self, kind: &str, id: &str, body: &str) -> Result<()> {
        self.write_doc(kind, id, body, false).await
    }

    async fn delete_doc(&self, kind: &str, id: &str) -> Result<()> {
        self.write_doc(kind, id, "", true).await
    }

    async fn issue_states(&self, app_id: &str) -> Result<Vec<IssueState>> {
        issues::list(self, app_id).await
    }

    async fn put_issue_state(&self, state: &IssueState) -> Result<()> {
        issues::put(self, state).await
    }

    async fn stored_frames(
        &self,
        app_id: &str,
        release: &str,
        stack_hash: &str,
    ) -> Result<Option<StoredFrames>> {
        issues::stored_frames(self, app_id, release, stack_hash).await
    }

    async fn put_stored_frames(&self, frames: &StoredFrames) -> Result<()> {
        issues::put_stored_frames(self, frames).await
    }
}

impl ClickHouseStore {
    /// The live records of a kind, newest version of each id, from every
    /// server (`control_rows`); tombstones are read too, so that a delete
    /// one server has wins over the row another still holds. `tail`
    /// filters by id or orders and limits.
    async fn doc_rows(&self, kind: &str, tail: &str) -> Result<Vec<String>> {
        let mut rows: Vec<DocRow> = self
            .control_rows(format!(
                "SELECT id, body, deleted, version FROM control_docs FINAL WHERE kind = {} {tail}",
                quote(kind)
            ))
            .await?;
        rows.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(rows
            .into_iter()
            .filter(|r| r.deleted == 0)
            .map(|r| r.body)
            .collect())
    }

    async fn write_doc(&self, kind: &str, id: &str, body: &str, deleted: bool) -> Result<()> {
        let version = self
            .next_version_where(
                "control_docs",
                "id",
                &format!("kind = {} AND id = {}", quote(kind), quote(id)),
            )
            .await?;
        let row = serde_json::json!({
            "kind": kind,
            "id": id,
            "body": body,
            "deleted": u8::from(deleted),
            "version": version,
        });
        self.insert_everywhere("control_docs", json_line(row)).await
    }

    async fn put_app(&self, app: &App, version: u64) -> Result<()> {
        let row = serde_json::json!({
            "id": app.id,
            "name": app.name,
            "ingest_key": app.ingest_key,
            "origins": serde_json::to_string(&app.origins).expect("strings serialize"),
            "sample_rate": app.sample_rate,
            "retention_days": app.retention_days,
            "created_at": app.created_at,
            "version": version,
        });
        self.insert_everywhere("apps", json_line(row)).await?;
        let settings = serde_json::json!({
            "app": app.id,
            "server_key_hash": app.server_key_hash,
            "trace_url_template": app.trace_url_template,
            "daily_event_quota": app.daily_event_quota,
            "daily_replay_bytes_quota": app.daily_replay_bytes_quota,
            "privacy": app.privacy.to_json(),
            "user_id_key": app.user_id_key,
            "traffic": app.traffic_rules.to_json(),
            "version": version,
        });
        self.insert_everywhere("app_settings", json_line(settings))
            .await
    }
}

/// The start (ms) of the UTC day `ts` falls in.
fn day_start(ts: i64) -> i64 {
    ts.div_euclid(fovea_query::DAY_MS) * fovea_query::DAY_MS
}

#[async_trait]
impl Maintenance for ClickHouseStore {
    /// Drops the app's whole UTC days before the day of `before`: a day's
    /// rows go when all of them are past retention (at most a day late).
    /// Dropping a partition is idempotent, so every node may run this.
    async fn expire(&self, app_id: &str, before: i64) -> Result<u64> {
        #[derive(Deserialize)]
        struct Day {
            day: u32,
            n: u64,
        }
        let cutoff = day_start(before);
        let mut deleted = 0;
        for (table, local) in self.layout.day_tables() {
            let days: Vec<Day> = self
                .rows(format!(
                    "SELECT {DAY_SQL} AS day, count() AS n FROM {table} \
                     WHERE app = {} AND ts < {cutoff} GROUP BY day",
                    quote(app_id)
                ))
                .await?;
            for d in days {
                for url in &self.urls {
                    self.client
                        .exec(
                            url,
                            &format!(
                                "ALTER TABLE {local} DROP PARTITION ({}, {})",
                                quote(app_id),
                                d.day
                            ),
                        )
                        .await?;
                }
                deleted += d.n;
            }
        }
        // The roll-ups of those days go with them, on every server.
        #[derive(Deserialize)]
        struct RollupDay {
            day: u32,
        }
        for table in rollup::TABLES {
            for url in &self.urls {
                let days: Vec<RollupDay> = self
                    .client
                    .rows(
                        url,
                        &format!(
                            "SELECT DISTINCT toYYYYMMDD(toDateTime(intDiv(hour, 1000), 'UTC')) AS day                              FROM {table} WHERE app = {} AND hour < {cutoff}",
                            quote(app_id)
                        ),
                    )
                    .await?;
                for d in days {
                    self.client
                        .exec(
                            url,
                            &format!(
                                "ALTER TABLE {table} DROP PARTITION ({}, {})",
                                quote(app_id),
                                d.day
                            ),
                        )
                        .await?;
                }
            }
        }
        Ok(deleted)
    }

    async fn erase(&self, app_id: &str, subject: &Subject) -> Result<u64> {
        erase::erase(self, app_id, subject).await
    }

    async fn roll_up(&self, before: i64, busy_since: i64) -> Result<u64> {
        rollup::roll_up(self, before, busy_since).await
    }

    /// Every listed server must answer: with shards, one down fails the
    /// `Distributed` reads and writes.
    async fn ping(&self) -> Result<()> {
        for url in &self.urls {
            self.client.rows::<Count>(url, "SELECT 1 AS n").await?;
        }
        Ok(())
    }
}

#[async_trait]
impl SourceStore for ClickHouseStore {
    async fn put_source_file(&self, file: &SourceFile) -> Result<()> {
        sources::put(self, file).await
    }

    async fn source_files(
        &self,
        app_id: &str,
        release: Option<&str>,
    ) -> Result<Vec<SourceFileInfo>> {
        sources::list(self, app_id, release).await
    }

    async fn source_file(&self, app_id: &str, key: &SourceKey<'_>) -> Result<Option<SourceFile>> {
        sources::get(self, app_id, key).await
    }

    async fn delete_source_files(
        &self,
        app_id: &str,
        id: Option<&str>,
        release: Option<&str>,
    ) -> Result<u64> {
        sources::delete(self, app_id, id, release).await
    }
}
