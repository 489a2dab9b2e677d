//! The embedded backend: one DuckDB file, nothing to install.
//!
//! One connection writes (the spool drainer is the only writer); queries
//! take connections from a small pool of clones of it. DuckDB calls block,
//! so each runs on tokio's blocking pool.

mod columns;
mod erase;
mod issues;
mod known;
mod read;
mod replay;
mod rollup;
mod schema;
mod sources;
mod traces;
mod usage;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

use async_trait::async_trait;
use duckdb::types::Value;
use duckdb::{params, params_from_iter, Connection};
use fovea_query::{
    ActionRow, ActionsQuery, Bucket, Filters, IssueDetail, IssueRow, IssuesQuery, Point,
    ReplaySegmentInfo, ResourceRow, ResourcesQuery, ServiceRow, SessionDetail, SessionRow,
    SessionsQuery, Summary, TimeseriesQuery, ViewRow, VitalsGroup, VitalsQuery,
};
use fovea_schema::sampling::Traffic;
use fovea_schema::{
    App, Event, IssueState, Metric, Privacy, ReplaySegment, Span, StoredFrames, ViewEvent,
};
use tokio::sync::oneshot;

use crate::batch::{dedupe, view_id, window, Deduped};
use crate::rollup::hour_of;
use crate::{ControlStore, EventStore, Maintenance, Result, StoreError, Subject};
use duckdb::arrow::record_batch::RecordBatch;
use known::{Known, Table};

impl From<duckdb::Error> for StoreError {
    /// DuckDB runs in the process: what it refuses for the data's sake
    /// (a value it cannot convert or hold) it always will; anything else
    /// (I/O, memory, a busy file) may pass.
    fn from(e: duckdb::Error) -> Self {
        let text = e.to_string();
        let permanent = matches!(
            e,
            duckdb::Error::ToSqlConversionFailure(_)
                | duckdb::Error::FromSqlConversionFailure(..)
                | duckdb::Error::InvalidColumnType(..)
        ) || [
            "Conversion Error",
            "Constraint Error",
            "Invalid Input Error",
            "Binder Error",
            "Parser Error",
            "Catalog Error",
        ]
        .iter()
        .any(|kind| text.contains(kind));
        if permanent {
            StoreError::Rejected(text)
        } else {
            StoreError::Unavailable(text)
        }
    }
}

#[derive(Clone)]
pub struct DuckStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Jobs for the bulk thread: event inserts, roll-ups, retention.
    bulk: Option<mpsc::Sender<BulkJob>>,
    bulk_thread: Option<std::thread::JoinHandle<()>>,
    /// The keys the tables may hold, for the bulk thread's inserts (its
    /// own `Arc`: a job must not hold the last reference to `Inner`, whose
    /// drop joins the bulk thread).
    known: Arc<Mutex<Known>>,
    /// When the bulk thread last wrote views into each (app, hour), for
    /// roll-ups to wait until an hour is no longer written to.
    written: Arc<Mutex<HashMap<(String, i64), i64>>>,
    /// Matched values past which a percentile is estimated, not exact.
    exact_values: u64,
    /// DuckDB's write-ahead log, beside the file: absent or empty right
    /// after a checkpoint.
    wal: PathBuf,
}

impl Drop for Inner {
    /// Lets the bulk thread finish its job and close its connection, so
    /// that DuckDB checkpoints on close instead of replaying its WAL at the
    /// next start.
    fn drop(&mut self) {
        self.bulk.take();
        if let Some(t) = self.bulk_thread.take() {
            let _ = t.join();
        }
    }
}

/// Memory for the dedupe filters: ten minutes of up to about 8 M events
/// (13 k a second) keep their filter (4 bytes a key, up to twice that while
/// its last filter fills); past that their copies are looked up in the
/// table, as without a filter.
const KNOWN_KEYS_BUDGET: usize = 64 << 20;

type BulkJob = Box<dyn FnOnce(&mut Connection) + Send>;

/// Runs bulk jobs on their own connection, at background priority: under
/// load the intake's acknowledgements come first and the spool absorbs
/// what the store has not caught up with yet (ClickHouse runs its merges
/// the same way).
fn spawn_bulk_thread(
    mut conn: Connection,
) -> std::io::Result<(mpsc::Sender<BulkJob>, std::thread::JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<BulkJob>();
    let thread = std::thread::Builder::new()
        .name("fovea-store".into())
        .spawn(move || {
            crate::lower_thread_priority();
            for job in rx {
                job(&mut conn);
            }
        })?;
    Ok((tx, thread))
}

impl std::fmt::Debug for DuckStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DuckStore")
    }
}

/// How many values an exact percentile may hold under DuckDB's memory
/// limit, as DuckDB reports it (`current_setting('memory_limit')`, e.g.
/// `244.1 MiB`): 8 bytes each in a buffer that grows by doubling (so up to
/// 16), and the scan needs the buffer pool too. One value per 64 bytes of
/// the limit: 4 M values under the default 256 MB (10 M failed there).
fn exact_values(memory_limit: &str) -> u64 {
    const DEFAULT: u64 = 256_000_000;
    let s = memory_limit.trim();
    let split = s
        .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let scale: u64 = match unit.trim_end_matches('s') {
        "" | "b" | "byte" => 1,
        "k" | "kb" | "kilobyte" => 1_000,
        "m" | "mb" | "megabyte" => 1_000_000,
        "g" | "gb" | "gigabyte" => 1_000_000_000,
        "t" | "tb" | "terabyte" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => 0,
    };
    let bytes = number
        .parse::<f64>()
        .ok()
        .map(|n| n * scale as f64)
        .filter(|&b| b >= 1.0)
        .map_or(DEFAULT, |b| b as u64);
    bytes / 64
}

/// Runs `f` in one read transaction, so that all its statements (a count
/// that picks the percentile function, roll-ups and the raw edges, a
/// session and its events) see one snapshot of the database.
fn in_snapshot<T>(
    c: &Connection,
    f: impl FnOnce(&Connection) -> duckdb::Result<T>,
) -> duckdb::Result<T> {
    c.execute_batch("BEGIN TRANSACTION")?;
    let out = f(c);
    let end = c.execute_batch(if out.is_ok() { "COMMIT" } else { "ROLLBACK" });
    let out = out?;
    end?;
    Ok(out)
}

/// Row-group merges a checkpoint may schedule per table while writing (none:
/// see `DuckStore::open`) and when compacting (DuckDB's default).
const WRITE_VACUUM_TASKS: u32 = 0;
const COMPACT_VACUUM_TASKS: u32 = 100;

impl DuckStore {
    /// The memory limit `fovea serve` gives DuckDB unless told otherwise:
    /// DuckDB's buffer pool fills up to it under load, and it is the part of
    /// the node's memory the operator chooses. 48 MB keeps a node near 200 MB,
    /// but once the dedupe filters saturate and each write looks up its
    /// window exactly, a drain fell from ~34 k to 4 k events/s there
    /// (`bench/README.md`, "Memory").
    pub const DEFAULT_MEMORY_LIMIT: &'static str = "256MB";

    /// Opens (creating if needed) the database file and migrates it.
    /// `memory_limit` is DuckDB's, e.g. `256MB`.
    pub fn open(path: &Path, memory_limit: &str) -> Result<DuckStore> {
        let config = duckdb::Config::default()
            .max_memory(memory_limit)?
            .threads(2)?;
        let conn = Connection::open_with_flags(path, config)?;
        schema::migrate(&conn)?;
        // DuckDB checkpoints once its WAL passes this: every checkpoint
        // compresses the open row groups again, so at the default (16 MB,
        // every few writes) a row group was compressed several times; 64 MB
        // stored ~10 % more events a second at the same peak RSS
        // (bench/README.md). The WAL replayed after a crash grows alike.
        //
        // Every checkpoint leaves a partly filled row group behind (the next
        // writes start a new one), and by default the next checkpoints merge
        // them, rewriting up to three row groups of every table at a time:
        // under load that took most of DuckDB's memory and a fifth of the
        // writer's time (bench/README.md, "Vacuum"). Writes do not vacuum;
        // `compact` does, hourly.
        conn.execute_batch(&format!(
            "SET checkpoint_threshold = '64MB'; SET max_vacuum_tasks = {WRITE_VACUUM_TASKS}"
        ))?;
        let reported: String =
            conn.query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))?;
        let bulk = conn.try_clone()?;
        schema::staging(&bulk)?;
        let (bulk, bulk_thread) =
            spawn_bulk_thread(bulk).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        tracing::info!(path = %path.display(), memory_limit, "duckdb store opened");
        Ok(DuckStore {
            inner: Arc::new(Inner {
                writer: Mutex::new(conn),
                readers: Mutex::new(Vec::new()),
                bulk: Some(bulk),
                bulk_thread: Some(bulk_thread),
                known: Arc::new(Mutex::new(Known::new(KNOWN_KEYS_BUDGET))),
                written: Arc::default(),
                exact_values: exact_values(&reported),
                wal: PathBuf::from(format!("{}.wal", path.display())),
            }),
        })
    }

    async fn bulk<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> duckdb::Result<T> + Send + 'static,
    {
        let (done, result) = oneshot::channel();
        self.inner
            .bulk
            .as_ref()
            .ok_or(StoreError::Closed)?
            .send(Box::new(move |c| {
                let _ = done.send(f(c));
            }))
            .map_err(|_| StoreError::Closed)?;
        Ok(result.await.map_err(|_| StoreError::Closed)??)
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
            let out = in_snapshot(&conn, f);
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

/// Stores a batch in one transaction: events deduplicated by id, views
/// keeping their highest version.
///
/// Only the keys the filters cannot rule out go through staging tables, to
/// ask which events are already stored and which views are beaten by a
/// stored version; the surviving rows are appended once, column by column,
/// straight into their tables.
/// Returns the (app, hour)s whose views it wrote or replaced.
fn insert_batch(
    conn: &mut Connection,
    known: &mut Known,
    events: &[Event],
) -> duckdb::Result<Vec<(String, i64)>> {
    let batch = dedupe(events);
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    // The rows become Arrow columns on a thread of their own while this one
    // asks which of them are stored already: building them took a sixth of
    // this thread's time, which was the drain's limit (bench/README.md,
    // "The allocator"). The few rows found stored are filtered out after.
    std::thread::scope(|scope| {
        let built = scope.spawn(|| {
            crate::lower_thread_priority();
            let views = batch
                .views
                .iter()
                .map(|(e, v)| crate::columns::view_cells(e, v));
            let others = batch.others.iter().map(|e| crate::columns::event_cells(e));
            Ok((
                columns::rows_batch(columns::view_columns(), views)?,
                columns::rows_batch(columns::event_columns(), others)?,
            ))
        });
        let built = move || match built.join() {
            Ok(rows) => rows,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let maybe = maybe_stored(conn, known, &batch)?;
        let kept = store_batch(conn, &batch, maybe, built)?;
        for ((e, _), _) in batch.views.iter().zip(&kept.views).filter(|(_, k)| **k) {
            known.add(Table::Views, e.ctx.ts, view_key(e));
        }
        for (e, _) in batch.others.iter().zip(&kept.others).filter(|(_, k)| **k) {
            known.add(Table::Events, e.ctx.ts, event_key(e));
        }
        known.evict();
        Ok(kept.hours)
    })
}

/// What [`store_batch`] wrote: which of the batch's views and other events
/// (`true` for each one stored), and the (app, hour)s of its views.
struct Kept {
    views: Vec<bool>,
    others: Vec<bool>,
    hours: Vec<(String, i64)>,
}

/// The events and views of a batch the filters cannot rule out as stored.
type Maybe<'a> = (Vec<&'a Event>, Vec<(&'a Event, &'a ViewEvent)>);

fn maybe_stored<'a>(
    conn: &Connection,
    known: &mut Known,
    batch: &Deduped<'a>,
) -> duckdb::Result<Maybe<'a>> {
    known.tick();
    let event_ts = batch.others.iter().map(|e| e.ctx.ts);
    load_slices(conn, known, Table::Events, event_ts)?;
    load_slices(
        conn,
        known,
        Table::Views,
        batch.views.iter().map(|(e, _)| e.ctx.ts),
    )?;
    let maybe_events = (batch.others.iter().copied())
        .filter(|e| known.may_hold(Table::Events, e.ctx.ts, event_key(e)))
        .collect();
    let maybe_views = (batch.views.iter().copied())
        .filter(|(e, _)| known.may_hold(Table::Views, e.ctx.ts, view_key(e)))
        .collect();
    Ok((maybe_events, maybe_views))
}

/// The Arrow batches of a batch's views and other events, in its order.
type Built = (Option<RecordBatch>, Option<RecordBatch>);

/// [`insert_batch`]'s work once the rows are being built: the exact
/// lookups of the `maybe` keys, the deletes of beaten views, the appends.
fn store_batch(
    conn: &mut Connection,
    batch: &Deduped,
    (maybe_events, maybe_views): Maybe,
    built: impl FnOnce() -> duckdb::Result<Built>,
) -> duckdb::Result<Kept> {
    if !maybe_events.is_empty() {
        conn.execute_batch("DELETE FROM temp.event_keys")?;
        let mut keys = conn.appender_to_catalog_and_db("event_keys", "temp", "main")?;
        for e in &maybe_events {
            keys.append_row(params![e.ctx.app_id, e.event_id.to_string()])?;
        }
        keys.flush()?;
    }
    if !maybe_views.is_empty() {
        conn.execute_batch("DELETE FROM temp.view_keys")?;
        let mut keys = conn.appender_to_catalog_and_db("view_keys", "temp", "main")?;
        for (e, v) in &maybe_views {
            keys.append_row(params![e.ctx.app_id, view_id(e), v.version])?;
        }
        keys.flush()?;
    }
    let tx = conn.transaction()?;
    let stored: Pairs = if maybe_events.is_empty() {
        HashSet::new()
    } else {
        let (lo, hi) = window(maybe_events.iter().map(|e| e.ctx.ts));
        pairs(
            &tx,
            "SELECT app, CAST(event_id AS VARCHAR) FROM temp.event_keys k WHERE EXISTS (
                 SELECT 1 FROM events e WHERE e.app = k.app AND e.event_id = k.event_id
                 AND e.ts BETWEEN ? AND ?)",
            params![lo, hi],
        )?
    };
    let (beaten, mut hours): (Pairs, Vec<(String, i64)>) = if maybe_views.is_empty() {
        (HashSet::new(), Vec::new())
    } else {
        let (lo, hi) = window(maybe_views.iter().map(|(e, _)| e.ctx.ts));
        let beaten = pairs(
            &tx,
            "SELECT app, view_id FROM temp.view_keys k WHERE EXISTS (
                     SELECT 1 FROM views v WHERE v.app = k.app AND v.view_id = k.view_id
                     AND v.version >= k.version AND v.ts BETWEEN ? AND ?)",
            params![lo, hi],
        )?;
        // Older versions make way. One a roll-up counted takes its hour's
        // roll-up with it; one stored since (a late copy) only its copy.
        let replace = |table: &str| -> duckdb::Result<Vec<(String, i64)>> {
            let mut st = tx.prepare(&format!(
                "DELETE FROM {table} v WHERE v.ts BETWEEN ? AND ? AND EXISTS (SELECT 1 FROM temp.view_keys k
                     WHERE k.app = v.app AND k.view_id = v.view_id AND k.version > v.version)
                 RETURNING app, ts"
            ))?;
            let rows = st.query_map(params![lo, hi], |r| Ok((r.get(0)?, hour_of(r.get(1)?))))?;
            rows.collect()
        };
        // Each late copy deleted has its twin among the rows deleted from
        // `views`: an hour lost a row its roll-up counted when more went
        // from `views` than from the copies. (Counted, not matched by id:
        // one view id may have two rows in an hour, more than the dedupe
        // window apart.)
        let mut late: HashMap<(String, i64), usize> = HashMap::new();
        for hour in replace(crate::rollup::LATE_TABLE)? {
            *late.entry(hour).or_default() += 1;
        }
        let mut counted = Vec::new();
        for hour in replace("views")? {
            match late.get_mut(&hour) {
                Some(n) if *n > 0 => *n -= 1,
                _ => counted.push(hour),
            }
        }
        (beaten, counted)
    };
    let view_kept: Vec<bool> = (batch.views.iter())
        .map(|(e, _)| {
            beaten.is_empty() || !beaten.contains(&(e.ctx.app_id.clone(), view_id(e).to_string()))
        })
        .collect();
    let kept: Vec<bool> = (batch.others.iter())
        .map(|e| {
            stored.is_empty() || !stored.contains(&(e.ctx.app_id.clone(), e.event_id.to_string()))
        })
        .collect();
    hours.sort();
    hours.dedup();
    rollup::invalidate(&tx, &hours)?;
    let hour = |e: &Event| (e.ctx.app_id.clone(), hour_of(e.ctx.ts));
    let mut written: Vec<(String, i64)> = (batch.views.iter().zip(&view_kept))
        .filter(|(_, k)| **k)
        .map(|((e, _), _)| hour(e))
        .collect();
    written.sort();
    written.dedup();
    // Views into hours still rolled up are late: copied for questions to
    // add to the roll-up until it is rolled up again.
    let marked = rollup::marked(&tx, &written)?;
    let late: Vec<bool> = (batch.views.iter().zip(&view_kept))
        .map(|((e, _), k)| *k && !marked.is_empty() && marked.contains(&hour(e)))
        .collect();
    let (view_rows, event_rows) = built()?;
    let late_rows = columns::keep_rows(view_rows.clone(), &late)?;
    columns::append_batch(&tx, crate::rollup::LATE_TABLE, late_rows)?;
    columns::append_batch(&tx, "views", columns::keep_rows(view_rows, &view_kept)?)?;
    columns::append_batch(&tx, "events", columns::keep_rows(event_rows, &kept)?)?;
    tx.commit()?;
    hours.extend(written);
    Ok(Kept {
        views: view_kept,
        others: kept,
        hours,
    })
}

fn event_key(e: &Event) -> u64 {
    known::key(&e.ctx.app_id, e.event_id)
}

fn view_key(e: &Event) -> u64 {
    known::key(&e.ctx.app_id, view_id(e))
}

/// Reads into the filters the keys of the slices around `ts` they have not
/// loaded yet: a table's whole slice, once, at its first use.
fn load_slices(
    conn: &Connection,
    known: &mut Known,
    table: Table,
    ts: impl Iterator<Item = i64>,
) -> duckdb::Result<()> {
    let mut slices: Vec<i64> = ts.flat_map(Known::slices_around).collect();
    slices.sort_unstable();
    slices.dedup();
    for slice in slices {
        if known.has(table, slice) {
            continue;
        }
        let sql = match table {
            Table::Events => {
                "SELECT app, CAST(event_id AS VARCHAR) FROM events WHERE ts >= ? AND ts < ?"
            }
            Table::Views => "SELECT app, view_id FROM views WHERE ts >= ? AND ts < ?",
        };
        known.begin(table, slice);
        let read = read_keys(conn, sql, slice, |app, id| {
            let key = match table {
                Table::Events => match uuid::Uuid::parse_str(id) {
                    Ok(id) => known::key(app, id),
                    Err(_) => return,
                },
                Table::Views => known::key(app, id),
            };
            known.add(table, slice, key);
        });
        if let Err(e) = read {
            known.forget(table, slice);
            return Err(e);
        }
        tracing::debug!(?table, slice, "dedupe filter loaded");
    }
    Ok(())
}

/// Calls `f` with the (app, id) of each row stored in the slice starting at
/// `slice`, as the rows stream in.
fn read_keys(
    conn: &Connection,
    sql: &str,
    slice: i64,
    mut f: impl FnMut(&str, &str),
) -> duckdb::Result<()> {
    let mut st = conn.prepare(sql)?;
    let mut rows = st.query(params![slice, slice + known::SLICE_MS])?;
    while let Some(r) = rows.next()? {
        let app: String = r.get(0)?;
        let id: String = r.get(1)?;
        f(&app, &id);
    }
    Ok(())
}

/// Keys of stored rows: (app, id).
type Pairs = HashSet<(String, String)>;

/// The two text columns of a query's rows.
fn pairs(conn: &Connection, sql: &str, params: impl duckdb::Params) -> duckdb::Result<Pairs> {
    let mut st = conn.prepare(sql)?;
    let rows = st.query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

fn app_from_row(r: &duckdb::Row) -> duckdb::Result<App> {
    let origins: String = r.get(3)?;
    let privacy: Option<String> = r.get(11)?;
    let traffic: Option<String> = r.get(13)?;
    Ok(App {
        id: r.get(0)?,
        name: r.get(1)?,
        ingest_key: r.get(2)?,
        origins: serde_json::from_str(&origins).unwrap_or_default(),
        sample_rate: r.get(4)?,
        retention_days: r.get(5)?,
        created_at: r.get(6)?,
        server_key_hash: r.get(7)?,
        trace_url_template: r.get(8)?,
        daily_event_quota: r.get(9)?,
        daily_replay_bytes_quota: r.get(10)?,
        privacy: Privacy::from_json(privacy.as_deref()),
        user_id_key: r.get(12)?,
        traffic_rules: Traffic::from_json(traffic.as_deref()),
    })
}

/// Writes an app's later settings, replacing the previous ones.
fn put_app_settings(c: &Connection, app: &App) -> duckdb::Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO app_settings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            app.id,
            app.server_key_hash,
            app.trace_url_template,
            app.daily_event_quota,
            app.daily_replay_bytes_quota,
            app.privacy.to_json(),
            app.user_id_key,
            app.traffic_rules.to_json()
        ],
    )
    .map(|_| ())
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
impl Maintenance for DuckStore {
    async fn expire(&self, app_id: &str, before: i64) -> Result<u64> {
        let app = app_id.to_string();
        self.bulk(move |c| {
            // One transaction: a question never sees roll-ups without rows.
            let tx = c.transaction()?;
            let v = tx.execute(
                "DELETE FROM views WHERE app = ? AND ts < ?",
                params![app, before],
            )?;
            let e = tx.execute(
                "DELETE FROM events WHERE app = ? AND ts < ?",
                params![app, before],
            )?;
            rollup::expire(&tx, &app, before)?;
            let r = replay::expire(&tx, &app, before)?;
            let s = traces::expire(&tx, &app, before)?;
            tx.commit()?;
            Ok((v + e + r + s) as u64)
        })
        .await
    }

    async fn erase(&self, app_id: &str, subject: &Subject) -> Result<u64> {
        let (app, subject) = (app_id.to_string(), subject.clone());
        self.bulk(move |c| erase::erase(c, &app, &subject)).await
    }

    async fn roll_up(&self, before: i64, busy_since: i64) -> Result<u64> {
        let written = self.inner.written.clone();
        self.bulk(move |c| {
            let busy = {
                let mut written = written.lock().expect("written hours");
                written.retain(|_, at| *at >= busy_since);
                written.keys().cloned().collect()
            };
            rollup::roll_up(c, before, &busy)
        })
        .await
    }

    async fn compact(&self) -> Result<bool> {
        // DuckDB skips a checkpoint when its WAL is empty: then nothing was
        // written since the last one, and this waits for the next write.
        let wal = self.inner.wal.clone();
        // A full checkpoint with vacuum tasks allowed, between two inserts
        // (on the bulk thread): FORCE waits for the reads under way (beside
        // them a checkpoint turns concurrent, and does not vacuum).
        self.bulk(move |c| {
            if std::fs::metadata(&wal).map_or(true, |m| m.len() == 0) {
                return Ok(false);
            }
            c.execute_batch(&format!("SET max_vacuum_tasks = {COMPACT_VACUUM_TASKS}"))?;
            let done = c.execute_batch("FORCE CHECKPOINT");
            c.execute_batch(&format!("SET max_vacuum_tasks = {WRITE_VACUUM_TASKS}"))?;
            done.map(|()| true)
        })
        .await
    }

    async fn ping(&self) -> Result<()> {
        self.read(|c| c.query_row("SELECT 1", [], |r| r.get::<_, i32>(0)))
            .await
            .map(|_| ())
    }
}

#[async_trait]
impl ControlStore for DuckStore {
    async fn apps(&self) -> Result<Vec<App>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT a.id, a.name, a.ingest_key, a.origins, a.sample_rate, a.retention_days, a.created_at, \
                 t.server_key_hash, t.trace_url_template, t.daily_event_quota, t.daily_replay_bytes_quota, \
                 t.privacy, t.user_id_key, t.traffic \
                 FROM apps a LEFT JOIN app_settings t ON t.app = a.id ORDER BY a.created_at, a.id",
            )?;
            let rows = st.query_map([], app_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn create_app(&self, app: &App) -> Result<()> {
        let values = app_values(app);
        let app = app.clone();
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO apps VALUES (?, ?, ?, ?, ?, ?, ?)",
                params_from_iter(values),
            )
            .map_err(|e| {
                if is_constraint(&e) {
                    StoreError::Conflict(format!("app {:?} or its key", app.name))
                } else {
                    e.into()
                }
            })?;
            put_app_settings(&tx, &app)?;
            tx.commit().map_err(StoreError::from)
        })
        .await
    }

    async fn update_app(&self, app: &App) -> Result<()> {
        let [id, name, key, origins, rate, retention, _] = app_values(app);
        let app = app.clone();
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE apps SET name = ?, ingest_key = ?, origins = ?, sample_rate = ?, retention_days = ? WHERE id = ?",
                params_from_iter([name, key, origins, rate, retention, id]),
            )?;
            put_app_settings(&tx, &app)?;
            tx.commit()
        })
        .await
    }

    async fn doc(&self, kind: &str, id: &str) -> Result<Option<String>> {
        let (kind, id) = (kind.to_string(), id.to_string());
        self.read(move |c| {
            let mut st = c.prepare("SELECT body FROM control_docs WHERE kind = ? AND id = ?")?;
            let mut rows = st.query_map([kind, id], |r| r.get(0))?;
            rows.next().transpose()
        })
        .await
    }

    async fn docs(&self, kind: &str, limit: u32) -> Result<Vec<String>> {
        let kind = kind.to_string();
        self.read(move |c| {
            let mut st =
                c.prepare("SELECT body FROM control_docs WHERE kind = ? ORDER BY id DESC LIMIT ?")?;
            let rows = st.query_map(params![kind, limit], |r| r.get(0))?;
            rows.collect()
        })
        .await
    }

    async fn put_doc(&self, kind: &str, id: &str, body: &str) -> Result<()> {
        let (kind, id, body) = (kind.to_string(), id.to_string(), body.to_string());
        self.write(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO control_docs VALUES (?, ?, ?)",
                params![kind, id, body],
            )
            .map(|_| ())
        })
        .await
    }

    async fn delete_doc(&self, kind: &str, id: &str) -> Result<()> {
        let (kind, id) = (kind.to_string(), id.to_string());
        self.write(move |c| {
            c.execute(
                "DELETE FROM control_docs WHERE kind = ? AND id = ?",
                params![kind, id],
            )
            .map(|_| ())
        })
        .await
    }

    async fn issue_states(&self, app_id: &str) -> Result<Vec<IssueState>> {
        let app = app_id.to_string();
        self.read(move |c| issues::list(c, &app)).await
    }

    async fn put_issue_state(&self, state: &IssueState) -> Result<()> {
        let state = state.clone();
        self.write(move |c| issues::put(c, &state)).await
    }

    async fn stored_frames(
        &self,
        app_id: &str,
        release: &str,
        stack_hash: &str,
    ) -> Result<Option<StoredFrames>> {
        let (app, release, hash) = (
            app_id.to_string(),
            release.to_string(),
            stack_hash.to_string(),
        );
        self.read(move |c| issues::stored_frames(c, &app, &release, &hash))
            .await
    }

    async fn put_stored_frames(&self, frames: &StoredFrames) -> Result<()> {
        let frames = frames.clone();
        self.write(move |c| issues::put_stored_frames(c, &frames))
            .await
    }
}

#[async_trait]
impl EventStore for DuckStore {
    async fn insert(&self, events: Vec<Event>) -> Result<()> {
        let (known, written) = (self.inner.known.clone(), self.inner.written.clone());
        self.bulk(move |c| {
            let hours = insert_batch(c, &mut known.lock().expect("known keys"), &events)?;
            let now = crate::now_ms() as i64;
            let mut written = written.lock().expect("written hours");
            for hour in hours {
                written.insert(hour, now);
            }
            Ok(())
        })
        .await
    }

    async fn vitals(&self, app_id: &str, q: &VitalsQuery) -> Result<Vec<VitalsGroup>> {
        let (app, q) = (app_id.to_string(), q.clone());
        let exact = self.inner.exact_values;
        self.read(move |c| read::vitals(c, &app, &q, exact)).await
    }

    async fn summary(&self, app_id: &str, f: &Filters) -> Result<Summary> {
        let (app, f) = (app_id.to_string(), f.clone());
        let exact = self.inner.exact_values;
        self.read(move |c| read::summary(c, &app, &f, exact)).await
    }

    async fn timeseries(&self, app_id: &str, q: &TimeseriesQuery) -> Result<Vec<Point>> {
        let (app, q) = (app_id.to_string(), q.clone());
        let exact = self.inner.exact_values;
        self.read(move |c| read::timeseries(c, &app, &q, exact))
            .await
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
        self.read(move |c| {
            let mut rows = read::sessions(c, &app, &q)?;
            replay::mark(c, &app, &mut rows)?;
            Ok(rows)
        })
        .await
    }

    async fn session(&self, app_id: &str, session_id: &str) -> Result<Option<SessionDetail>> {
        let (app, id) = (app_id.to_string(), session_id.to_string());
        self.read(move |c| {
            let mut detail = read::session(c, &app, &id)?;
            if let Some(d) = &mut detail {
                replay::mark(c, &app, std::slice::from_mut(&mut d.session))?;
            }
            Ok(detail)
        })
        .await
    }

    async fn issues(&self, app_id: &str, q: &IssuesQuery) -> Result<Vec<IssueRow>> {
        let (app, q) = (app_id.to_string(), q.clone());
        self.read(move |c| read::issues(c, &app, &q, None)).await
    }

    async fn issue(
        &self,
        app_id: &str,
        fingerprint: &str,
        q: &IssuesQuery,
    ) -> Result<Option<IssueDetail>> {
        let (app, fp, q) = (app_id.to_string(), fingerprint.to_string(), q.clone());
        self.read(move |c| read::issue(c, &app, &fp, &q)).await
    }

    async fn resources(&self, app_id: &str, q: &ResourcesQuery) -> Result<Vec<ResourceRow>> {
        let (app, q) = (app_id.to_string(), q.clone());
        let exact = self.inner.exact_values;
        self.read(move |c| read::resources(c, &app, &q, exact))
            .await
    }

    async fn actions(&self, app_id: &str, q: &ActionsQuery) -> Result<Vec<ActionRow>> {
        let (app, q) = (app_id.to_string(), q.clone());
        self.read(move |c| read::actions(c, &app, &q)).await
    }

    async fn insert_replay(&self, segments: Vec<ReplaySegment>) -> Result<()> {
        self.bulk(move |c| replay::insert(c, segments)).await
    }

    async fn replay_segments(
        &self,
        app_id: &str,
        session_id: &str,
    ) -> Result<Vec<ReplaySegmentInfo>> {
        let (app, id) = (app_id.to_string(), session_id.to_string());
        self.read(move |c| replay::segments(c, &app, &id)).await
    }

    async fn replay_segment(
        &self,
        app_id: &str,
        session_id: &str,
        index: u32,
    ) -> Result<Option<Vec<u8>>> {
        let (app, id) = (app_id.to_string(), session_id.to_string());
        self.read(move |c| replay::segment(c, &app, &id, index))
            .await
    }

    async fn insert_spans(&self, spans: Vec<Span>) -> Result<()> {
        self.bulk(move |c| traces::insert(c, spans)).await
    }

    async fn spans(&self, app_id: &str, trace_ids: &[String]) -> Result<Vec<Span>> {
        let (app, ids) = (app_id.to_string(), trace_ids.to_vec());
        self.read(move |c| traces::spans(c, &app, &ids)).await
    }

    async fn trace_events(&self, app_id: &str, trace_id: &str) -> Result<Vec<Event>> {
        let (app, id) = (app_id.to_string(), trace_id.to_string());
        self.read(move |c| traces::trace_events(c, &app, &id)).await
    }

    async fn traced_requests(&self, app_id: &str, f: &Filters, limit: u32) -> Result<Vec<Event>> {
        let (app, f) = (app_id.to_string(), f.clone());
        self.read(move |c| traces::traced_requests(c, &app, &f, limit))
            .await
    }

    async fn stored_since(&self, since: i64) -> Result<Vec<crate::StoredToday>> {
        self.read(move |c| {
            let mut st = c.prepare(
                "SELECT app, sum(n)::UBIGINT, sum(b)::UBIGINT FROM (
                     SELECT app, count(*) AS n, 0 AS b FROM views WHERE ts >= ? GROUP BY app
                     UNION ALL SELECT app, count(*), 0 FROM events WHERE ts >= ? GROUP BY app
                     UNION ALL SELECT app, 0, sum(bytes) FROM replay_segments WHERE ts >= ? GROUP BY app
                 ) GROUP BY app ORDER BY app",
            )?;
            let rows = st.query_map(params![since, since, since], |r| {
                Ok(crate::StoredToday {
                    app_id: r.get(0)?,
                    events: r.get(1)?,
                    replay_bytes: r.get(2)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn services(&self, app_id: &str, f: &Filters) -> Result<Vec<ServiceRow>> {
        let (app, f) = (app_id.to_string(), f.clone());
        let exact = self.inner.exact_values;
        self.read(move |c| traces::services(c, &app, &f, exact))
            .await
    }

    async fn usage(&self, app_id: &str, from: i64, to: i64) -> Result<Vec<crate::UsageRow>> {
        let app = app_id.to_string();
        self.read(move |c| usage::usage(c, &app, from, to)).await
    }

    async fn session_mix(&self, app_id: &str, from: i64, to: i64) -> Result<Vec<crate::MixRow>> {
        let app = app_id.to_string();
        self.read(move |c| usage::session_mix(c, &app, from, to))
            .await
    }

    async fn stored_bytes(&self, app_id: &str) -> Result<crate::StoredBytes> {
        // What the write-ahead log holds goes into the file first, between
        // two writes: a checkpoint cannot run inside a read's snapshot
        // (there it aborted the read). DuckDB refuses it while another
        // connection's transaction is open: then the newest rows are
        // measured at the next checkpoint instead.
        if let Err(e) = self.write(|c| c.execute_batch("CHECKPOINT")).await {
            tracing::debug!(error = %e, "no checkpoint before measuring the tables");
        }
        let app = app_id.to_string();
        self.read(move |c| usage::stored_bytes(c, &app)).await
    }
}

#[cfg(test)]
mod tests {
    use fovea_query::Dimension;
    use fovea_schema::{Context, EventKind, ViewEvent};

    use super::*;

    /// The first version of view `v{id}` in session `s{id}` of app `app`.
    fn view(id: String, ts: i64, route: &str, lcp: f64) -> Event {
        Event {
            event_id: uuid::Uuid::new_v4(),
            ctx: Context {
                app_id: "app".into(),
                session_id: format!("s{id}"),
                view_id: Some(format!("v{id}")),
                ts,
                route: route.into(),
                ..Context::default()
            },
            kind: EventKind::View(ViewEvent {
                version: 1,
                lcp: Some(lcp),
                ..ViewEvent::default()
            }),
        }
    }

    #[test]
    fn the_exact_budget_follows_the_memory_limit() {
        assert_eq!(exact_values("256MB"), 4_000_000);
        assert_eq!(exact_values("1GiB"), (1 << 30) / 64);
        assert_eq!(exact_values(" 2 gb "), 2_000_000_000 / 64);
        assert_eq!(exact_values("1.5GB"), 1_500_000_000 / 64);
        assert_eq!(exact_values("4G"), 4_000_000_000 / 64);
        assert_eq!(exact_values("512 megabytes"), 512_000_000 / 64);
        assert_eq!(exact_values("244.1 MiB"), (244.1 * 1048576.0) as u64 / 64);
        // Whatever else DuckDB might report falls back to the default.
        assert_eq!(exact_values("lots"), 4_000_000);
        assert_eq!(exact_values("12 parsecs"), 4_000_000);
    }

    #[test]
    fn the_budget_is_read_back_from_duckdb() {
        let dir = tempfile::tempdir().unwrap();
        let store = DuckStore::open(&dir.path().join("fovea.duckdb"), "1GB").unwrap();
        let budget = store.inner.exact_values as f64;
        assert!((budget / (1e9 / 64.0) - 1.0).abs() < 0.01, "{budget}");
    }

    /// Regression: every checkpoint under load merged the partly filled row
    /// groups earlier checkpoints left, rewriting up to three row groups of
    /// each table in memory. Writes leave them; `compact` merges them.
    #[tokio::test]
    async fn checkpoints_between_writes_leave_row_groups_for_compaction_to_merge() {
        let dir = tempfile::tempdir().unwrap();
        let store = DuckStore::open(&dir.path().join("fovea.duckdb"), "256MB").unwrap();
        let row_groups = || {
            store.read(|c| {
                c.query_row(
                    "SELECT count(DISTINCT row_group_id), max(count) FROM pragma_storage_info('views')",
                    [],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
                )
            })
        };
        let t0 = 1_764_000_000_000;
        let views = |batch: i64, n: i64| -> Vec<Event> {
            (0..n)
                .map(|i| view(format!("{batch}-{i}"), t0 + batch * 3000 + i, "/a", 1000.0))
                .collect()
        };
        for batch in 0..4 {
            store.insert(views(batch, 3000)).await.unwrap();
            store.bulk(|c| c.execute_batch("CHECKPOINT")).await.unwrap();
        }
        assert_eq!(row_groups().await.unwrap(), (4, 3000));
        // Nothing written since the last checkpoint: it waits for a write.
        assert!(!store.compact().await.unwrap());
        store.insert(views(4, 1)).await.unwrap();
        assert!(store.compact().await.unwrap());
        assert_eq!(row_groups().await.unwrap(), (1, 12_001));
        let stored = store
            .read(|c| c.query_row("SELECT count(*) FROM views", [], |r| r.get::<_, i64>(0)))
            .await
            .unwrap();
        assert_eq!(stored, 12_001);
        // Writes go on without vacuuming.
        assert_eq!(
            store
                .read(
                    |c| c.query_row("SELECT current_setting('max_vacuum_tasks')", [], |r| {
                        r.get::<_, i64>(0)
                    })
                )
                .await
                .unwrap(),
            i64::from(WRITE_VACUUM_TASKS)
        );
    }

    /// Past the budget, percentiles are estimated in constant memory; the
    /// counts and shares stay exact.
    #[tokio::test]
    async fn percentiles_past_the_exact_budget_are_estimated_closely() {
        let dir = tempfile::tempdir().unwrap();
        let store = DuckStore::open(&dir.path().join("fovea.duckdb"), "256MB").unwrap();
        let t0 = 1_764_000_000_000;
        let views = (0..2000)
            .map(|i| {
                let route = if i % 2 == 0 { "/a" } else { "/b" };
                view(
                    i.to_string(),
                    t0 + i,
                    route,
                    500.0 + (i * 37 % 2000) as f64 * 2.0,
                )
            })
            .collect();
        store.insert(views).await.unwrap();
        let q = VitalsQuery {
            metric: Metric::Lcp,
            p: 75,
            by: Dimension::Page,
            filters: Filters {
                from: t0,
                to: t0 + 3_600_000,
                ..Filters::last_day(t0)
            },
        };
        let ask = |budget: u64| {
            let q = q.clone();
            store.read(move |c| read::vitals(c, "app", &q, budget))
        };
        let exact = ask(u64::MAX).await.unwrap();
        let estimated = ask(1000).await.unwrap();
        // 2000 values: estimated past a budget of 1999, exact within 2000.
        for (budget, function) in [(1999, "approx_quantile"), (2000, "quantile_cont")] {
            let sql = store
                .read(move |c| {
                    read::quantile_sql(c, "views WHERE app = 'app'", &[], "lcp", 0.75, budget)
                })
                .await
                .unwrap();
            assert!(sql.starts_with(function), "{budget}: {sql}");
        }
        assert_eq!(exact.len(), 2);
        assert_eq!(estimated.len(), 2);
        for (e, a) in exact.iter().zip(&estimated) {
            assert_eq!(
                (&e.key, e.count, e.good, e.poor),
                (&a.key, a.count, a.good, a.poor)
            );
            assert!(
                (a.value - e.value).abs() <= e.value * 0.01,
                "{:?}: exact {} estimated {}",
                e.key,
                e.value,
                a.value
            );
        }
    }
}
