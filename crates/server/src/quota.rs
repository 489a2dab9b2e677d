//! Daily quotas per app: events and replay bytes stored per UTC day. Past
//! a quota the intake answers 429 with `Retry-After` until the next UTC day.
//!
//! What counts is what the store holds for the day, shared by every node:
//! each node reads it from the store at every app refresh, and adds what
//! its writer stored since and what its intake accepted that its writer
//! has not stored yet (the spool's backlog). So a quota holds across nodes
//! and restarts; it may be overshot by what the other nodes accept between
//! two refreshes. Accepted events count until the writer has seen them;
//! then only those it kept (not sampled out, not bots) do.

use std::collections::HashMap;
use std::sync::Mutex;

use fovea_intake::IntakeError;
use fovea_query::DAY_MS;
use fovea_schema::App;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    /// The UTC day (its start, ms) the counts are of.
    day: i64,
    /// What the store held when it was last read.
    stored_events: u64,
    stored_replay_bytes: u64,
    /// What this node's writer stored since.
    committed_events: u64,
    committed_replay_bytes: u64,
    /// Accepted by this node's intake, not yet through its writer.
    pending_events: u64,
    pending_replay_bytes: u64,
}

impl Usage {
    fn events(&self) -> u64 {
        self.stored_events + self.committed_events + self.pending_events
    }

    fn replay_bytes(&self) -> u64 {
        self.stored_replay_bytes + self.committed_replay_bytes + self.pending_replay_bytes
    }
}

/// What the writer did with an app's spool records in one commit.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Events the records held, as the intake counted them.
    pub events: u64,
    /// Of those, stored (not sampled out, not bots).
    pub kept_events: u64,
    /// Replay segments' bytes as the intake counted them (decompressed).
    pub replay_bytes: u64,
    /// Their stored (compressed) bytes.
    pub kept_replay_bytes: u64,
    /// The spool records' bytes (every format), for the app's share of the
    /// spool (`SpoolShares`).
    pub spool_bytes: u64,
}

/// The apps' usage of the current UTC day.
#[derive(Debug, Default)]
pub struct Quotas {
    usage: Mutex<HashMap<String, Usage>>,
    /// When this node first found each app's quota used up, by app and
    /// quota (the day's, at most).
    hits: Mutex<HashMap<(String, &'static str), i64>>,
}

/// An app's quotas today, as this node sees them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct QuotaToday {
    pub daily_event_quota: Option<u64>,
    pub daily_replay_bytes_quota: Option<u64>,
    /// Events (views included) stored or accepted today.
    pub events_today: u64,
    pub replay_bytes_today: u64,
    /// When the event quota was found used up (ms), while it is.
    pub events_exceeded_at: Option<i64>,
    pub replay_bytes_exceeded_at: Option<i64>,
}

/// The start (ms) of the UTC day `now` falls in.
fn day_of(now: i64) -> i64 {
    now.div_euclid(DAY_MS) * DAY_MS
}

/// Seconds until the next UTC day, at least 1.
fn until_tomorrow(now: i64) -> u64 {
    ((day_of(now) + DAY_MS - now + 999) / 1000).max(1) as u64
}

impl Quotas {
    /// Takes what the store holds for the day of `now`: it includes what
    /// this node's writer stored so far; what is still in the spool stays
    /// counted.
    pub fn set_stored(&self, now: i64, stored: &[fovea_store::StoredToday]) {
        let day = day_of(now);
        let mut usage = self.usage.lock().expect("quotas");
        usage.retain(|_, u| u.day == day && (u.pending_events > 0 || u.pending_replay_bytes > 0));
        for u in usage.values_mut() {
            *u = Usage {
                day,
                pending_events: u.pending_events,
                pending_replay_bytes: u.pending_replay_bytes,
                ..Usage::default()
            };
        }
        for s in stored {
            let u = usage.entry(s.app_id.clone()).or_insert(Usage {
                day,
                ..Usage::default()
            });
            u.stored_events = s.events;
            u.stored_replay_bytes = s.replay_bytes;
        }
    }

    fn with<T>(&self, app: &str, now: i64, f: impl FnOnce(&mut Usage) -> T) -> T {
        let day = day_of(now);
        let mut usage = self.usage.lock().expect("quotas");
        let u = usage.entry(app.to_string()).or_default();
        if u.day != day {
            // A new day: nothing is used yet.
            *u = Usage {
                day,
                ..Usage::default()
            };
        }
        f(u)
    }

    /// Refuses events for an app over its daily event quota.
    pub fn check_events(&self, app: &App, now: i64) -> Result<(), IntakeError> {
        let Some(quota) = app.daily_event_quota else {
            return Ok(());
        };
        let used = self.with(&app.id, now, |u| u.events());
        self.noted(&app.id, now, over(used, quota, "events", now))
    }

    /// Refuses replay segments for an app over its daily replay bytes quota.
    pub fn check_replay(&self, app: &App, now: i64) -> Result<(), IntakeError> {
        let Some(quota) = app.daily_replay_bytes_quota else {
            return Ok(());
        };
        let used = self.with(&app.id, now, |u| u.replay_bytes());
        self.noted(&app.id, now, over(used, quota, "replay bytes", now))
    }

    /// Notes when a quota was first found used up today.
    fn noted(
        &self,
        app: &str,
        now: i64,
        check: Result<(), IntakeError>,
    ) -> Result<(), IntakeError> {
        if let Err(IntakeError::QuotaExceeded { what, .. }) = &check {
            let mut hits = self.hits.lock().expect("quota hits");
            let at = hits.entry((app.to_string(), *what)).or_insert(now);
            if day_of(*at) != day_of(now) {
                *at = now;
            }
        }
        check
    }

    /// The app's quotas and what it used today.
    pub fn today(&self, app: &App, now: i64) -> QuotaToday {
        let (events, replay_bytes) = self.with(&app.id, now, |u| (u.events(), u.replay_bytes()));
        let since = |what: &'static str, over: bool| {
            let hits = self.hits.lock().expect("quota hits");
            hits.get(&(app.id.clone(), what))
                .copied()
                .filter(|at| over && day_of(*at) == day_of(now))
        };
        QuotaToday {
            daily_event_quota: app.daily_event_quota,
            daily_replay_bytes_quota: app.daily_replay_bytes_quota,
            events_today: events,
            replay_bytes_today: replay_bytes,
            events_exceeded_at: since("events", app.daily_event_quota.is_some_and(|q| events >= q)),
            replay_bytes_exceeded_at: since(
                "replay bytes",
                app.daily_replay_bytes_quota
                    .is_some_and(|q| replay_bytes >= q),
            ),
        }
    }

    pub fn accepted_events(&self, app: &str, now: i64, n: u64) {
        self.with(app, now, |u| u.pending_events += n);
    }

    pub fn accepted_replay_bytes(&self, app: &str, now: i64, n: u64) {
        self.with(app, now, |u| u.pending_replay_bytes += n);
    }

    /// The writer stored records of `app`: they are no longer pending, and
    /// what it kept of them counts until the store is read again.
    pub fn committed(&self, app: &str, now: i64, t: &Tally) {
        self.with(app, now, |u| {
            u.pending_events = u.pending_events.saturating_sub(t.events);
            u.pending_replay_bytes = u.pending_replay_bytes.saturating_sub(t.replay_bytes);
            u.committed_events += t.kept_events;
            u.committed_replay_bytes += t.kept_replay_bytes;
        });
    }
}

fn over(used: u64, quota: u64, what: &'static str, now: i64) -> Result<(), IntakeError> {
    if used < quota {
        return Ok(());
    }
    Err(IntakeError::QuotaExceeded {
        what,
        retry_after_secs: until_tomorrow(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: i64 = 1_764_000_000_000 - 1_764_000_000_000 % DAY_MS + DAY_MS / 2;

    fn app(quota: Option<u64>) -> App {
        App {
            id: "a".into(),
            name: "a".into(),
            ingest_key: "k".into(),
            sample_rate: 100.0,
            retention_days: 30,
            daily_event_quota: quota,
            daily_replay_bytes_quota: Some(1000),
            ..App::default()
        }
    }

    #[test]
    fn an_app_over_its_quota_waits_for_the_next_utc_day() {
        let q = Quotas::default();
        let a = app(Some(100));
        assert!(q.check_events(&a, NOON).is_ok());
        q.accepted_events("a", NOON, 100);
        let e = q.check_events(&a, NOON).unwrap_err();
        assert_eq!(e.status().as_u16(), 429);
        assert_eq!(e.retry_after_secs(), Some(12 * 3600));
        // Midnight: a new day's quota.
        assert!(q.check_events(&a, NOON + DAY_MS / 2).is_ok());
        assert!(
            q.check_events(&app(None), NOON).is_ok(),
            "no quota: unlimited"
        );
    }

    #[test]
    fn the_store_count_survives_a_restart_and_is_shared_by_nodes() {
        // A fresh node (a restart, another node) reads the day's stored
        // count from the store at its first refresh.
        let q = Quotas::default();
        q.set_stored(
            NOON,
            &[fovea_store::StoredToday {
                app_id: "a".into(),
                events: 90,
                replay_bytes: 1000,
            }],
        );
        let a = app(Some(100));
        assert!(q.check_events(&a, NOON).is_ok());
        q.accepted_events("a", NOON, 10);
        assert!(q.check_events(&a, NOON).is_err());
        assert!(q.check_replay(&a, NOON).is_err());
        // Still in the spool: the next read of the store leaves it counted.
        q.set_stored(
            NOON,
            &[fovea_store::StoredToday {
                app_id: "a".into(),
                events: 90,
                replay_bytes: 0,
            }],
        );
        assert!(q.check_events(&a, NOON).is_err());
        assert!(q.check_replay(&a, NOON).is_ok());
        assert_eq!(until_tomorrow(NOON + DAY_MS / 2 - 1), 1);
    }

    #[test]
    fn the_day_a_quota_was_used_up_is_noted_until_the_next_day() {
        let quotas = Quotas::default();
        let app = app(Some(5));
        quotas.accepted_events("a", NOON, 5);
        assert_eq!(
            quotas.today(&app, NOON - 1).events_exceeded_at,
            None,
            "not checked yet"
        );
        assert!(quotas.check_events(&app, NOON).is_err());
        assert!(quotas.check_events(&app, NOON + 60_000).is_err());
        let today = quotas.today(&app, NOON + 120_000);
        assert_eq!(
            (today.events_today, today.events_exceeded_at),
            (5, Some(NOON))
        );
        // A raised quota: no longer exceeded. The next day: nothing used.
        let raised = App {
            daily_event_quota: Some(100),
            ..app.clone()
        };
        assert_eq!(
            quotas.today(&raised, NOON + 180_000).events_exceeded_at,
            None
        );
        let tomorrow = quotas.today(&app, NOON + DAY_MS);
        assert_eq!(
            (tomorrow.events_today, tomorrow.events_exceeded_at),
            (0, None)
        );
    }

    #[test]
    fn what_the_writer_leaves_out_stops_counting_and_a_backlog_keeps_counting() {
        let q = Quotas::default();
        let a = app(Some(100));
        // 120 accepted, not stored yet (a backlog): over the quota.
        q.accepted_events("a", NOON, 120);
        q.set_stored(NOON, &[]);
        assert!(q.check_events(&a, NOON).is_err(), "the backlog counts");
        // The writer stored 50 of them, sampling left out the other 70.
        let t = Tally {
            events: 120,
            kept_events: 50,
            ..Tally::default()
        };
        q.committed("a", NOON, &t);
        assert!(q.check_events(&a, NOON).is_ok());
        // The store's count includes them from the next read on.
        q.set_stored(
            NOON,
            &[fovea_store::StoredToday {
                app_id: "a".into(),
                events: 50,
                replay_bytes: 0,
            }],
        );
        q.accepted_events("a", NOON, 49);
        assert!(q.check_events(&a, NOON).is_ok());
        q.accepted_events("a", NOON, 1);
        assert!(q.check_events(&a, NOON).is_err());
    }
}
