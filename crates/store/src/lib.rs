//! Where events live: the storage seam and its two backends.
//!
//! The seam is four traits, one per job: [`EventStore`] (the writer's
//! inserts and the query API's questions), [`ControlStore`] (apps, users,
//! login sessions), [`SourceStore`] (uploaded bundles and source maps) and
//! [`Maintenance`] (roll-ups, retention). [`Store`] is all four, which is
//! what a backend implements and the server holds.
//!
//! Logic that does not depend on a database lives beside the backends, not
//! in them: choosing the copy of an event and the version of a view a batch
//! keeps ([`batch`]), hourly roll-ups with their sketches and percentile
//! interpolation ([`rollup`]), building a session and an issue's breadcrumbs
//! from events ([`session`]). A backend writes SQL and does I/O, nothing else:
//! `duckdb/` (embedded, one file) and `clickhouse/` (HTTP, one server or a
//! cluster).

pub mod batch;
mod clickhouse;
mod columns;
mod config;
mod duckdb;
mod issues;
pub mod rollup;
pub mod session;
pub mod traces;
mod usage;

use std::sync::Arc;

use async_trait::async_trait;
use fovea_query::{
    ActionRow, ActionsQuery, Bucket, Filters, IssueDetail, IssueRow, IssuesQuery, Point,
    ReplaySegmentInfo, ResourceRow, ResourcesQuery, ServiceRow, SessionDetail, SessionRow,
    SessionsQuery, Summary, TimeseriesQuery, ViewRow, VitalsGroup, VitalsQuery,
};
pub use fovea_schema::{App, IssueState};
use fovea_schema::{
    Event, Metric, ReplaySegment, SourceFile, SourceFileInfo, SourceKind, Span, StoredFrames,
};

pub use crate::clickhouse::ClickHouseStore;
pub use crate::config::{ClickHouseConfig, StoreConfig};
pub use crate::duckdb::DuckStore;
pub use crate::usage::{MixRow, StoredBytes, UsageRow};

/// Opens the backend the configuration names, creating or migrating its
/// tables.
pub async fn open(config: &StoreConfig) -> Result<Arc<dyn Store>> {
    Ok(match config {
        StoreConfig::DuckDb { path, memory_limit } => {
            let (path, limit) = (path.clone(), memory_limit.clone());
            let store = tokio::task::spawn_blocking(move || DuckStore::open(&path, &limit))
                .await
                .map_err(|_| StoreError::Closed)??;
            Arc::new(store)
        }
        StoreConfig::ClickHouse(c) => Arc::new(ClickHouseStore::open(c.clone()).await?),
    })
}

/// Gives the calling thread background CPU priority: Linux's `SCHED_IDLE`
/// class, which runs only when nothing else wants the CPU and is preempted
/// at once when a request handler wakes up (a high nice value still delays
/// woken handlers). For bulk work that a spool or queue absorbs.
pub fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: sched_setscheduler only changes a scheduling attribute; pid 0
    // is the calling thread, and SCHED_IDLE needs no privilege.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_IDLE, &param);
    }
}

/// What an app has stored since a time (the start of a UTC day, for its
/// quotas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToday {
    pub app_id: String,
    /// Views and other events.
    pub events: u64,
    /// Session replay segments' compressed bytes.
    pub replay_bytes: u64,
}

/// What went wrong, sorted by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or did not answer in time, or is
    /// overloaded: the same request may well succeed later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The database refused this data or statement and always will (a
    /// value it cannot parse or hold): retrying cannot help.
    #[error("store rejected the request: {0}")]
    Rejected(String),
    #[error("{0} already exists")]
    Conflict(String),
    #[error("the store's worker stopped")]
    Closed,
}

impl StoreError {
    /// Whether retrying the same request later may succeed. A writer
    /// retries these with backoff and sets the others aside.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Closed)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The events: written by one writer per node (its spool's drainer), read by
/// the query API.
///
/// Inserting the same events twice stores them once: events are
/// deduplicated by `event_id`, views keep their highest `version`, so a
/// replayed spool record or a client's retry is harmless.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    async fn insert(&self, events: Vec<Event>) -> Result<()>;

    async fn vitals(&self, app_id: &str, q: &VitalsQuery) -> Result<Vec<VitalsGroup>>;
    async fn summary(&self, app_id: &str, f: &Filters) -> Result<Summary>;
    async fn timeseries(&self, app_id: &str, q: &TimeseriesQuery) -> Result<Vec<Point>>;
    async fn histogram(&self, app_id: &str, metric: Metric, f: &Filters) -> Result<Vec<Bucket>>;
    async fn slow_views(
        &self,
        app_id: &str,
        metric: Metric,
        f: &Filters,
        limit: u32,
    ) -> Result<Vec<ViewRow>>;
    async fn sessions(&self, app_id: &str, q: &SessionsQuery) -> Result<Vec<SessionRow>>;
    async fn session(&self, app_id: &str, session_id: &str) -> Result<Option<SessionDetail>>;
    /// The issues with occurrences in the range, with their all-time
    /// first and last occurrence and releases, and their trend.
    async fn issues(&self, app_id: &str, q: &IssuesQuery) -> Result<Vec<IssueRow>>;
    async fn issue(
        &self,
        app_id: &str,
        fingerprint: &str,
        q: &IssuesQuery,
    ) -> Result<Option<IssueDetail>>;
    async fn resources(&self, app_id: &str, q: &ResourcesQuery) -> Result<Vec<ResourceRow>>;
    /// User actions grouped by page, type, name and element.
    async fn actions(&self, app_id: &str, q: &ActionsQuery) -> Result<Vec<ActionRow>>;

    /// Stores session replay segments. A segment stored again under the
    /// same (app, session, index) replaces the first, so a retried upload
    /// or a replayed spool record is stored once.
    async fn insert_replay(&self, segments: Vec<ReplaySegment>) -> Result<()>;
    /// A session's replay segments in index order (empty when none).
    async fn replay_segments(
        &self,
        app_id: &str,
        session_id: &str,
    ) -> Result<Vec<ReplaySegmentInfo>>;
    /// One segment's rrweb events: a JSON array, gzip-compressed.
    async fn replay_segment(
        &self,
        app_id: &str,
        session_id: &str,
        index: u32,
    ) -> Result<Option<Vec<u8>>>;

    /// Stores backend spans. A span stored again under the same (app,
    /// trace id, span id) is stored once.
    async fn insert_spans(&self, spans: Vec<Span>) -> Result<()>;
    /// The spans of these traces, earliest first, at most
    /// [`traces::MAX_SPANS`].
    async fn spans(&self, app_id: &str, trace_ids: &[String]) -> Result<Vec<Span>>;
    /// The browser events that carry a trace id: views (page loads linked
    /// by `Server-Timing`), resources and errors.
    async fn trace_events(&self, app_id: &str, trace_id: &str) -> Result<Vec<Event>>;
    /// The slowest fetch/XHR resources of the filters that carry a trace
    /// id, slowest first.
    async fn traced_requests(&self, app_id: &str, f: &Filters, limit: u32) -> Result<Vec<Event>>;
    /// Backend services by requests (server and consumer spans) in the
    /// range, within `env` when the filters give one.
    async fn services(&self, app_id: &str, f: &Filters) -> Result<Vec<ServiceRow>>;

    /// What each app has stored with a timestamp from `since` on (ms): the
    /// apps with nothing are left out.
    async fn stored_since(&self, since: i64) -> Result<Vec<StoredToday>>;

    /// The app's counts per UTC day and kind from `from` to `to` (ms).
    async fn usage(&self, app_id: &str, from: i64, to: i64) -> Result<Vec<UsageRow>>;
    /// The app's sessions from `from` to `to` grouped by the context they
    /// started in and the rate they were kept at.
    async fn session_mix(&self, app_id: &str, from: i64, to: i64) -> Result<Vec<MixRow>>;
    /// What the app's rows take on disk, by kind.
    async fn stored_bytes(&self, app_id: &str) -> Result<StoredBytes>;
}

/// Whose data an erasure removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Every session that carried this user id (as stored: hashed when the
    /// app hashes user ids).
    User(String),
    Session(String),
}

/// Apps, issue states and small JSON records: small, read often, written rarely, and
/// shared by every node that uses the same database.
#[async_trait]
pub trait ControlStore: Send + Sync + 'static {
    async fn apps(&self) -> Result<Vec<App>>;
    /// Fails with [`StoreError::Conflict`] when the id is taken.
    async fn create_app(&self, app: &App) -> Result<()>;
    async fn update_app(&self, app: &App) -> Result<()>;

    /// A small control record of `kind` (users, login sessions, API
    /// tokens, audit entries, erasures…) as the JSON it was put with.
    async fn doc(&self, kind: &str, id: &str) -> Result<Option<String>>;
    /// The records of `kind` with the greatest ids, at most `limit`,
    /// greatest first.
    async fn docs(&self, kind: &str, limit: u32) -> Result<Vec<String>>;
    /// Stores a record, replacing the one with the same kind and id.
    async fn put_doc(&self, kind: &str, id: &str, body: &str) -> Result<()>;
    async fn delete_doc(&self, kind: &str, id: &str) -> Result<()>;

    /// What teams said about an app's issues (resolved, ignored).
    async fn issue_states(&self, app_id: &str) -> Result<Vec<IssueState>>;
    /// Stores an issue's state, replacing the previous one.
    async fn put_issue_state(&self, state: &IssueState) -> Result<()>;
    /// A stack's stored symbolication in `release`, if any.
    async fn stored_frames(
        &self,
        app_id: &str,
        release: &str,
        stack_hash: &str,
    ) -> Result<Option<StoredFrames>>;
    /// Stores a symbolication, replacing the one of the same stack.
    async fn put_stored_frames(&self, frames: &StoredFrames) -> Result<()>;
}

/// Which uploaded file a symbolication needs.
#[derive(Debug, Clone, Copy)]
pub enum SourceKey<'a> {
    /// The file of a release at a URL (as uploaded: full or `~/path`).
    Url {
        release: &'a str,
        kind: SourceKind,
        url: &'a str,
    },
    /// The newest file with a debug id, whatever its release.
    DebugId { kind: SourceKind, debug_id: &'a str },
}

/// Uploaded bundles and source maps, per app: written by the upload API,
/// read by every node's writer to symbolicate error stacks.
#[async_trait]
pub trait SourceStore: Send + Sync + 'static {
    /// Stores a file, replacing the one with the same id.
    async fn put_source_file(&self, file: &SourceFile) -> Result<()>;
    /// An app's files (without their bytes), of one release or all.
    async fn source_files(
        &self,
        app_id: &str,
        release: Option<&str>,
    ) -> Result<Vec<SourceFileInfo>>;
    async fn source_file(&self, app_id: &str, key: &SourceKey<'_>) -> Result<Option<SourceFile>>;
    /// Deletes the file `id`, or every file of `release`; returns how many.
    async fn delete_source_files(
        &self,
        app_id: &str,
        id: Option<&str>,
        release: Option<&str>,
    ) -> Result<u64>;
}

/// Periodic jobs. Each is idempotent, so several nodes may run them.
#[async_trait]
pub trait Maintenance: Send + Sync + 'static {
    /// Deletes an app's events, replay segments and spans older than `before`
    /// (ms); returns rows (or,
    /// where a backend drops whole days, at least the days) deleted.
    async fn expire(&self, app_id: &str, before: i64) -> Result<u64>;

    /// Deletes everything of a user or a session in an app: the views and
    /// events of every session the subject had, their replay segments, the
    /// backend spans of their traces, and the roll-ups of the hours they
    /// touched. Returns the rows removed; running it again removes nothing
    /// more.
    async fn erase(&self, app_id: &str, subject: &Subject) -> Result<u64>;

    /// Brings the precomputed aggregates up to date for the data older than
    /// `before` (ms); returns how many hours it rolled up. Hours that
    /// received views at or after `busy_since` (ms, by the clock) wait: a
    /// backfill or a replayed spool goes on writing into past hours, and
    /// each roll-up of such an hour would leave the next inserts as late
    /// copies to fold in again (or be dropped by a later version of a view
    /// it counted).
    /// Queries are correct whether or not this has run, only slower.
    async fn roll_up(&self, before: i64, busy_since: i64) -> Result<u64>;

    /// Reclaims what deleted rows (older view versions, retention, erasure)
    /// take and merges the small row groups frequent writes leave behind.
    /// Returns false when it could not run now (DuckDB: nothing was written
    /// since its last checkpoint, which it then skips) and should be tried
    /// again later. Backends that compact on their own (ClickHouse merges
    /// parts in the background) keep this default.
    async fn compact(&self) -> Result<bool> {
        Ok(true)
    }

    /// Whether the database answers now (for a readiness probe).
    async fn ping(&self) -> Result<()>;
}

/// A whole backend.
pub trait Store: EventStore + ControlStore + Maintenance + SourceStore {}

impl<T: EventStore + ControlStore + Maintenance + SourceStore> Store for T {}

/// The clock in ms since the epoch.
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
