//! The embedded backend: one DuckDB file, nothing to install.
//!
//! One connection writes (the spool drainer is the only writer); queries
//! take connections from a small pool of clones of it. DuckDB calls block,
//! so each runs on tokio's blocking pool.

mod columns;
mod read;
mod rollup;
mod schema;

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use duckdb::types::Value;
use duckdb::{appender_params_from_iter, params, params_from_iter, Connection};
use fovea_query::{
    App, Bucket, Filters, IssueDetail, IssueRow, Point, ResourceRow, ResourcesQuery, SessionDetail,
    SessionRow, SessionsQuery, Summary, TimeseriesQuery, ViewRow, VitalsGroup, VitalsQuery, DAY_MS,
};
use fovea_schema::{Event, EventKind, Metric};

use crate::{LoginSession, Result, Store, StoreError, User};

impl From<duckdb::Error> for StoreError {
    fn from(e: duckdb::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

#[derive(Clone)]
pub struct DuckStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for DuckStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DuckStore")
    }
}

/// How far around a batch's timestamps the writer looks for earlier copies
/// of its events (client retries, spool replays).
const DEDUP_WINDOW_MS: i64 = DAY_MS;

impl DuckStore {
    /// Opens (creating if needed) the database file and migrates it.
    /// `memory_limit` is DuckDB's, e.g. `256MB`.
    pub fn open(path: &Path, memory_limit: &str) -> Result<DuckStore> {
        let config = duckdb::Config::default()
            .max_memory(memory_limit)?
            .threads(2)?;
        let conn = Connection::open_with_flags(path, config)?;
        schema::migrate(&conn)?;
        tracing::info!(path = %path.display(), memory_limit, "duckdb store opened");
        Ok(DuckStore {
            inner: Arc::new(Inner {
                writer: Mutex::new(conn),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> duckdb::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = inner.readers.lock().expect("reader pool").pop();
            let conn = match pooled {
                Some(c) => c,
                None => inner.writer.lock().expect("writer").try_clone()?,
            };
            let out = f(&conn);
            inner.readers.lock().expect("reader pool").push(conn);
            Ok(out?)
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }

    async fn write<T, E, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        E: Into<StoreError>,
        F: FnOnce(&mut Connection) -> std::result::Result<T, E> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().expect("writer");
            f(&mut conn).map_err(Into::into)
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

/// Appends a batch through the staging tables and merges it in one
/// transaction: events deduplicated by id, views keeping their highest
/// version.
fn insert_batch(conn: &mut Connection, events: &[Event]) -> duckdb::Result<()> {
    let (lo, hi) = match (
        events.iter().map(|e| e.ctx.ts).min(),
        events.iter().map(|e| e.ctx.ts).max(),
    ) {
        (Some(lo), Some(hi)) => (lo - DEDUP_WINDOW_MS, hi + DEDUP_WINDOW_MS),
        _ => return Ok(()),
    };
    conn.execute_batch("DELETE FROM temp.views_stage; DELETE FROM temp.events_stage;")?;
    {
        let mut views = conn.appender_to_catalog_and_db("views_stage", "temp", "main")?;
        let mut others = conn.appender_to_catalog_and_db("events_stage", "temp", "main")?;
        for e in events {
            match &e.kind {
                EventKind::View(v) => {
                    views.append_row(appender_params_from_iter(columns::view_values(e, v)))?
                }
                _ => others.append_row(appender_params_from_iter(columns::event_values(e)))?,
            }
        }
        views.flush()?;
        others.flush()?;
    }
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO events SELECT * FROM (
             SELECT * FROM temp.events_stage QUALIFY row_number() OVER (PARTITION BY app, event_id) = 1
         ) s WHERE NOT EXISTS (
             SELECT 1 FROM events e WHERE e.app = s.app AND e.event_id = s.event_id AND e.ts BETWEEN ? AND ?)",
        params![lo, hi],
    )?;
    tx.execute_batch(
        "CREATE OR REPLACE TEMP TABLE views_new AS SELECT * FROM temp.views_stage
             QUALIFY row_number() OVER (PARTITION BY app, view_id ORDER BY version DESC) = 1;",
    )?;
    // Drop staged views that an equal or newer version already beat, then
    // replace the older versions of the rest.
    tx.execute(
        "DELETE FROM views_new n WHERE EXISTS (SELECT 1 FROM views v WHERE v.app = n.app
             AND v.view_id = n.view_id AND v.version >= n.version AND v.ts BETWEEN ? AND ?)",
        params![lo, hi],
    )?;
    // The hours whose views change, replaced or new, lose their roll-ups.
    let mut hours = view_hours(
        &tx,
        "DELETE FROM views v WHERE v.ts BETWEEN ? AND ? AND EXISTS (SELECT 1 FROM views_new n
             WHERE n.app = v.app AND n.view_id = v.view_id) RETURNING app, ts",
        params![lo, hi],
    )?;
    hours.extend(view_hours(&tx, "SELECT app, ts FROM views_new", [])?);
    hours.sort();
    hours.dedup();
    rollup::invalidate(&tx, &hours)?;
    tx.execute_batch("INSERT INTO views SELECT * FROM views_new; DROP TABLE views_new;")?;
    tx.commit()
}

/// Runs a statement yielding (app, ts) rows; returns their (app, hour).
fn view_hours(
    conn: &Connection,
    sql: &str,
    params: impl duckdb::Params,
) -> duckdb::Result<Vec<(String, i64)>> {
    let mut st = conn.prepare(sql)?;
    let rows = st.query_map(params, |r| {
        let ts: i64 = r.get(1)?;
        Ok((r.get(0)?, ts.div_euclid(rollup::HOUR_MS) * rollup::HOUR_MS))
    })?;
    rows.collect()
}

fn app_from_row(r: &duckdb::Row) -> duckdb::Result<App> {
    let origins: String = r.get(3)?;
    Ok(App {
        id: r.get(0)?,
        name: r.get(1)?,
        ingest_key: r.get(2)?,
        origins: serde_json::from_str(&origins).unwrap_or_default(),
        sample_rate: r.get(4)?,
        retention_days: r.get(5)?,
        created_at: r.get(6)?,
    })
}

fn app_values(app: &App) -> [Value; 7] {
    [
        Value::Text(app.id.clone()),
        Value::Text(app.name.clone()),
        Value::Text(app.ingest_key.clone()),
        Value::Text(serde_json::to_string(&app.origins).expect("strings serialize")),
        Value::Double(app.sample_rate),
        Value::UInt(app.retention_days),
        Value::BigInt(app.created_at),
    ]
}

fn is_constraint(e: &duckdb::Error) -> bool {
    let s = e.to_string();
    s.contains("Constraint Error") || s.contains("duplicate key")
}

#[async_trait]
impl Store for DuckStore {
    async fn insert(&self, events: Vec<Event>) -> Result<()> {
        self.write(move |c| insert_batch(c, &events)).await
    }

    async fn expire(&self, app_id: &str, before: i64) -> Result<u64> {
        let app = app_id.to_string();
        self.write(move |c| {
            let v = c.execute(
                "DELETE FROM views WHERE app = ? AND ts < ?",
                params![app, before],
            )?;
            let e = c.execute(
                "DELETE FROM events WHERE app = ? AND ts < ?",
                params![app, before],
            )?;
            rollup::expire(c, &app, before)?;
            Ok::<_, duckdb::Error>((v + e) as u64)
        })
        .await
    }

    async fn roll_up(&self, before: i64) -> Result<u64> {
        self.write(move |c| rollup::roll_up(c, before)).await
    }

    async fn apps(&self) -> Result<Vec<App>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT id, name, ingest_key, origins, sample_rate, retention_days, created_at FROM apps ORDER BY created_at, id",
            )?;
            let rows = st.query_map([], app_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn create_app(&self, app: &App) -> Result<()> {
        let values = app_values(app);
        let name = app.name.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO apps VALUES (?, ?, ?, ?, ?, ?, ?)",
                params_from_iter(values),
            )
            .map(|_| ())
            .map_err(|e| {
                if is_constraint(&e) {
                    StoreError::Conflict(format!("app {name:?} or its key"))
                } else {
                    e.into()
                }
            })
        })
        .await
    }

    async fn update_app(&self, app: &App) -> Result<()> {
        let [id, name, key, origins, rate, retention, _] = app_values(app);
        self.write(move |c| {
            c.execute(
                "UPDATE apps SET name = ?, ingest_key = ?, origins = ?, sample_rate = ?, retention_days = ? WHERE id = ?",
                params_from_iter([name, key, origins, rate, retention, id]),
            )
            .map(|_| ())
        })
        .await
    }

    async fn user(&self, username: &str) -> Result<Option<User>> {
        let name = username.to_string();
        self.read(move |c| {
            let mut st =
                c.prepare("SELECT username, password_hash FROM users WHERE username = ?")?;
            let mut rows = st.query_map([name], |r| {
                Ok(User {
                    username: r.get(0)?,
                    password_hash: r.get(1)?,
                })
            })?;
            rows.next().transpose()
        })
        .await
    }

    async fn put_user(&self, user: &User) -> Result<()> {
        let u = user.clone();
        self.write(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO users VALUES (?, ?)",
                params![u.username, u.password_hash],
            )
            .map(|_| ())
        })
        .await
    }

    async fn login_session(&self, token_hash: &str) -> Result<Option<LoginSession>> {
        let hash = token_hash.to_string();
        self.read(move |c| {
            let mut st = c.prepare(
                "SELECT token_hash, username, expires_at FROM login_sessions WHERE token_hash = ?",
            )?;
            let mut rows = st.query_map([hash], |r| {
                Ok(LoginSession {
                    token_hash: r.get(0)?,
                    username: r.get(1)?,
                    expires_at: r.get(2)?,
                })
            })?;
            rows.next().transpose()
        })
        .await
    }

    async fn put_login_session(&self, s: &LoginSession) -> Result<()> {
        let s = s.clone();
        self.write(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO login_sessions VALUES (?, ?, ?)",
                params![s.token_hash, s.username, s.expires_at],
            )?;
            c.execute(
                "DELETE FROM login_sessions WHERE expires_at < ?",
                params![s.expires_at - 31 * DAY_MS],
            )
            .map(|_| ())
        })
        .await
    }

    async fn delete_login_session(&self, token_hash: &str) -> Result<()> {
        let hash = token_hash.to_string();
        self.write(move |c| {
            c.execute("DELETE FROM login_sessions WHERE token_hash = ?", [hash])
                .map(|_| ())
        })
        .await
    }

    async fn vitals(&self, app_id: &str, q: &VitalsQuery) -> Result<Vec<VitalsGroup>> {
        let (app, q) = (app_id.to_string(), q.clone());
        self.read(move |c| read::vitals(c, &app, &q)).await
    }

    async fn summary(&self, app_id: &str, f: &Filters) -> Result<Summary> {
        let (app, f) = (app_id.to_string(), f.clone());
        self.read(move |c| read::summary(c, &app, &f)).await
    }

    async fn timeseries(&self, app_id: &str, q: &TimeseriesQuery) -> Result<Vec<Point>> {
        let (app, q) = (app_id.to_string(), q.clone());
        self.read(move |c| read::timeseries(c, &app, &q)).await
    }

    async fn histogram(&self, app_id: &str, metric: Metric, f: &Filters) -> Result<Vec<Bucket>> {
        let (app, f) = (app_id.to_string(), f.clone());
        self.read(move |c| read::histogram(c, &app, metric, &f))
            .await
    }

    async fn slow_views(
        &self,
        app_id: &str,
        metric: Metric,
        f: &Filters,
        limit: u32,
    ) -> Result<Vec<ViewRow>> {
        let (app, f) = (app_id.to_string(), f.clone());
        self.read(move |c| read::slow_views(c, &app, metric, &f, limit))
            .await
    }

    async fn sessions(&self, app_id: &str, q: &SessionsQuery) -> Result<Vec<SessionRow>> {
        let (app, q) = (app_id.to_string(), q.clone());
        self.read(move |c| read::sessions(c, &app, &q)).await
    }

    async fn session(&self, app_id: &str, session_id: &str) -> Result<Option<SessionDetail>> {
        let (app, id) = (app_id.to_string(), session_id.to_string());
        self.read(move |c| read::session(c, &app, &id)).await
    }

    async fn issues(&self, app_id: &str, f: &Filters) -> Result<Vec<IssueRow>> {
        let (app, f) = (app_id.to_string(), f.clone());
        self.read(move |c| read::issues(c, &app, &f, None)).await
    }

    async fn issue(
        &self,
        app_id: &str,
        fingerprint: &str,
        f: &Filters,
    ) -> Result<Option<IssueDetail>> {
        let (app, fp, f) = (app_id.to_string(), fingerprint.to_string(), f.clone());
        self.read(move |c| read::issue(c, &app, &fp, &f)).await
    }

    async fn resources(&self, app_id: &str, q: &ResourcesQuery) -> Result<Vec<ResourceRow>> {
        let (app, q) = (app_id.to_string(), q.clone());
        self.read(move |c| read::resources(c, &app, &q)).await
    }
}
