//! Daily quotas per app: events and replay bytes stored per UTC day. Past
//! a quota the intake answers 429 with `Retry-After` until the next UTC day.
//!
//! What counts is what the store holds for the day, shared by every node:
//! each node reads it from the store at every app refresh and adds what its
//! own intake accepted since, so a quota holds across nodes and restarts
//! (it may be overshot by what the other nodes accept between two
//! refreshes).

use std::collections::HashMap;
use std::sync::Mutex;

use fovea_intake::IntakeError;
use fovea_query::DAY_MS;
use fovea_schema::App;

#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    /// The UTC day (its start, ms) the counts are of.
    day: i64,
    stored_events: u64,
    stored_replay_bytes: u64,
    /// Accepted by this node since the store was read.
    accepted_events: u64,
    accepted_replay_bytes: u64,
}

/// The apps' usage of the current UTC day.
#[derive(Debug, Default)]
pub struct Quotas {
    usage: Mutex<HashMap<String, Usage>>,
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
    /// Replaces the counts with what the store holds for the day of `now`.
    pub fn set_stored(&self, now: i64, stored: &[fovea_store::StoredToday]) {
        let day = day_of(now);
        let mut usage = self.usage.lock().expect("quotas");
        usage.clear();
        for s in stored {
            usage.insert(
                s.app_id.clone(),
                Usage {
                    day,
                    stored_events: s.events,
                    stored_replay_bytes: s.replay_bytes,
                    ..Usage::default()
                },
            );
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
        let used = self.with(&app.id, now, |u| u.stored_events + u.accepted_events);
        over(used, quota, "events", now)
    }

    /// Refuses replay segments for an app over its daily replay bytes quota.
    pub fn check_replay(&self, app: &App, now: i64) -> Result<(), IntakeError> {
        let Some(quota) = app.daily_replay_bytes_quota else {
            return Ok(());
        };
        let used = self.with(&app.id, now, |u| {
            u.stored_replay_bytes + u.accepted_replay_bytes
        });
        over(used, quota, "replay bytes", now)
    }

    pub fn accepted_events(&self, app: &str, now: i64, n: u64) {
        self.with(app, now, |u| u.accepted_events += n);
    }

    pub fn accepted_replay_bytes(&self, app: &str, now: i64, n: u64) {
        self.with(app, now, |u| u.accepted_replay_bytes += n);
    }

    /// Today's events and replay bytes of an app, as this node knows them.
    pub fn used(&self, app: &str, now: i64) -> (u64, u64) {
        self.with(app, now, |u| {
            (
                u.stored_events + u.accepted_events,
                u.stored_replay_bytes + u.accepted_replay_bytes,
            )
        })
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
            origins: vec![],
            sample_rate: 100.0,
            retention_days: 30,
            created_at: 0,
            server_key_hash: None,
            trace_url_template: None,
            daily_event_quota: quota,
            daily_replay_bytes_quota: Some(1000),
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
        // The next read replaces this node's own count by the stored one.
        q.set_stored(NOON, &[]);
        assert!(q.check_events(&a, NOON).is_ok());
        assert_eq!(until_tomorrow(NOON + DAY_MS / 2 - 1), 1);
    }
}
