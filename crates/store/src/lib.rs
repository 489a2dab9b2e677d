//! Where events live: the [`Store`] trait and its backends.
//!
//! Everything a backend needs to know about its database (SQL dialect,
//! types, connections) stays inside its module; the rest of Fovea speaks
//! only this trait and the types of `fovea-query`.

mod duckdb;

use async_trait::async_trait;
use fovea_query::{
    App, Bucket, Filters, IssueDetail, IssueRow, Point, ResourceRow, ResourcesQuery, SessionDetail,
    SessionRow, SessionsQuery, Summary, TimeseriesQuery, ViewRow, VitalsGroup, VitalsQuery,
};
use fovea_schema::{Event, Metric};

pub use crate::duckdb::DuckStore;

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

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Backend(String),
    #[error("{0} already exists")]
    Conflict(String),
    #[error("the store's worker stopped")]
    Closed,
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A dashboard user.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub username: String,
    /// PHC string (argon2id).
    pub password_hash: String,
}

/// A signed-in browser: the SHA-256 of its cookie token, never the token.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginSession {
    pub token_hash: String,
    pub username: String,
    pub expires_at: i64,
}

/// A place Fovea keeps events, apps and users.
///
/// Writes come from one writer at a time (the spool drainer); reads may run
/// concurrently. Inserting the same events twice stores them once: events
/// are deduplicated by `event_id`, views keep their highest `version`.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn insert(&self, events: Vec<Event>) -> Result<()>;
    /// Deletes an app's events older than `before` (ms); returns rows deleted.
    async fn expire(&self, app_id: &str, before: i64) -> Result<u64>;

    /// Brings the precomputed aggregates up to date for the data older than
    /// `before` (ms); returns how many hours it rolled up. Queries are
    /// correct whether or not this has run, only slower.
    async fn roll_up(&self, before: i64) -> Result<u64>;

    async fn apps(&self) -> Result<Vec<App>>;
    async fn create_app(&self, app: &App) -> Result<()>;
    async fn update_app(&self, app: &App) -> Result<()>;

    async fn user(&self, username: &str) -> Result<Option<User>>;
    async fn put_user(&self, user: &User) -> Result<()>;
    async fn login_session(&self, token_hash: &str) -> Result<Option<LoginSession>>;
    async fn put_login_session(&self, session: &LoginSession) -> Result<()>;
    async fn delete_login_session(&self, token_hash: &str) -> Result<()>;

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
    async fn issues(&self, app_id: &str, f: &Filters) -> Result<Vec<IssueRow>>;
    async fn issue(
        &self,
        app_id: &str,
        fingerprint: &str,
        f: &Filters,
    ) -> Result<Option<IssueDetail>>;
    async fn resources(&self, app_id: &str, q: &ResourcesQuery) -> Result<Vec<ResourceRow>>;
}
