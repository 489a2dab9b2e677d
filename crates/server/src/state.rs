use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use fovea_pipeline::{AppPolicy, Geo, Pipeline, PipelineOptions, Scrubber, UserIdMode};

use crate::symbols::Symbols;
use fovea_query::DAY_MS;
use fovea_schema::{App, UserIdModeName};
use fovea_spool::Spool;
use fovea_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::docs::kind;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::{Settings, StartError};

/// Shared by every handler, the writer and the periodic tasks.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

pub struct Inner {
    pub settings: Settings,
    pub store: Arc<dyn Store>,
    pub spool: Spool,
    /// Apps by ingest key and by id. The intake reads only this, never the
    /// store; it is refreshed from the store every few seconds so that
    /// several nodes converge.
    apps: RwLock<AppIndex>,
    /// One refresh at a time: a refresh that read the store before an app
    /// was created must not write its older index after the creator's.
    apps_refresh: tokio::sync::Mutex<()>,
    pub metrics: Metrics,
    pub geo: Geo,
    pub pipeline: Pipeline,
    /// Uploaded source maps, parsed and cached (writer and issue API).
    pub symbols: Arc<Symbols>,
    pub intake_limiter: RateLimiter,
    /// Per client address; its map is bounded (`RateLimiter`).
    pub ip_limiter: RateLimiter,
    pub login_limiter: RateLimiter,
    pub login_ip_limiter: RateLimiter,
    /// Whether the intake is refusing batches because the spool is at its
    /// cap: refusals are counted in `/metrics`, and only the changes of
    /// this state are logged.
    spool_full: AtomicBool,
    /// Wakes the refusals being held when the spool has room again.
    room: tokio::sync::Notify,
    /// The apps' usage of the day, for their quotas.
    pub quotas: crate::quota::Quotas,
    /// Events this node dropped, by app, day and reason, for the usage API.
    pub drops: crate::usage::Drops,
    /// What each app holds of the spool.
    pub spool_shares: SpoolShares,
    /// Refusals being held before they are answered (`intake::hold`).
    pub held_refusals: std::sync::atomic::AtomicUsize,
}

#[derive(Default)]
struct AppIndex {
    by_key: HashMap<String, App>,
    by_id: HashMap<String, App>,
    /// By the SHA-256 of their server key.
    by_server_key: HashMap<String, App>,
    /// Replaced ingest keys in their grace period, by key.
    old_keys: HashMap<String, OldKey>,
    /// What the writer does per app, built once per change of settings.
    policies: HashMap<String, Arc<AppPolicy>>,
}

/// The spool bytes each app's records hold until the writer stores them,
/// so that one app flooding the intake (a leaked key, a client ignoring
/// `Retry-After`) is refused once it holds half the spool (when there are
/// other apps: `intake::room`), while the
/// others keep the rest. Counted from this start: a backlog replayed from
/// an earlier run belongs to nobody, and every count is cleared whenever
/// the spool is empty (so bytes never released, as quarantined records,
/// cannot pile up).
#[derive(Debug, Default)]
pub struct SpoolShares {
    bytes: std::sync::Mutex<HashMap<String, u64>>,
}

impl SpoolShares {
    pub fn add(&self, app: &str, n: u64) {
        *self
            .bytes
            .lock()
            .expect("spool shares")
            .entry(app.to_string())
            .or_default() += n;
    }

    pub fn release(&self, app: &str, n: u64) {
        if let Some(b) = self.bytes.lock().expect("spool shares").get_mut(app) {
            *b = b.saturating_sub(n);
        }
    }

    /// Whether `app` holds more than half of a spool of `cap` bytes, of
    /// which `pending` are not stored yet.
    pub fn over_half(&self, app: &str, cap: u64, pending: u64) -> bool {
        // No app can hold more than the spool does: the usual case takes
        // no lock.
        if pending > 0 && pending <= cap / 2 {
            return false;
        }
        let mut bytes = self.bytes.lock().expect("spool shares");
        if pending == 0 {
            bytes.clear();
            return false;
        }
        bytes.get(app).is_some_and(|b| *b > cap / 2)
    }
}

fn same_policy(a: &App, b: &App) -> bool {
    a.sample_rate == b.sample_rate
        && a.traffic_rules == b.traffic_rules
        && a.privacy == b.privacy
        && a.user_id_key == b.user_id_key
}

/// The writer's settings for an app. Patterns were checked when they were
/// saved; one that fails now (a config edit) is left out, loudly.
pub fn policy_of(app: &App, server_keys: &[String]) -> AppPolicy {
    let p = &app.privacy;
    let keys: Vec<String> = server_keys.iter().chain(&p.scrub_keys).cloned().collect();
    let base = Scrubber::default().with_query_keys(&keys);
    let scrubber = base
        .clone()
        .with_patterns(&p.scrub_patterns)
        .unwrap_or_else(|e| {
            tracing::error!(app = %app.id, error = %e, "an app's scrub pattern does not compile; using the built-in ones");
            base
        });
    let user_id = match (p.user_id_mode, &app.user_id_key) {
        (UserIdModeName::Raw, _) => UserIdMode::Raw,
        (UserIdModeName::Hash, Some(key)) => UserIdMode::hash(key.as_bytes()),
        // Hashing without a key cannot be done: keep nothing rather than
        // the raw id.
        (UserIdModeName::Hash, None) | (UserIdModeName::Drop, _) => UserIdMode::Drop,
    };
    AppPolicy {
        traffic: Arc::new(app.traffic()),
        scrubber,
        user_id,
    }
}

/// An app's replaced ingest key, accepted until `expires_at` (ms).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OldKey {
    pub app: String,
    pub key: String,
    pub expires_at: i64,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl AppState {
    pub fn new(
        settings: Settings,
        store: Arc<dyn Store>,
        spool: Spool,
    ) -> Result<AppState, StartError> {
        let geo = Geo::new(
            settings.geo_country_headers.clone(),
            settings.geo_region_headers.clone(),
            settings.geo_mmdb.as_deref(),
        )?;
        let symbols = Arc::new(Symbols::new(store.clone()));
        let pipeline = Pipeline::new(PipelineOptions {
            exclude_bots: settings.exclude_bots,
            limits: settings.limits.clone(),
        })
        .with_symbolicator(symbols.clone());
        let rate = settings.rate_limit_per_app;
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                spool,
                apps: RwLock::new(AppIndex::default()),
                apps_refresh: tokio::sync::Mutex::new(()),
                metrics: Metrics::new(),
                geo,
                pipeline,
                symbols,
                intake_limiter: RateLimiter::new(rate, rate * 2.0),
                ip_limiter: RateLimiter::new(
                    settings.rate_limit_per_ip,
                    settings.rate_limit_per_ip * 2.0,
                ),
                spool_full: AtomicBool::new(false),
                room: tokio::sync::Notify::new(),
                held_refusals: std::sync::atomic::AtomicUsize::new(0),
                quotas: Default::default(),
                drops: Default::default(),
                spool_shares: SpoolShares::default(),
                // Five failed logins a minute per user name.
                login_limiter: RateLimiter::new(5.0 / 60.0, 5.0),
                // Twenty a minute per client address, whatever the names.
                login_ip_limiter: RateLimiter::new(20.0 / 60.0, 20.0),
                settings,
            }),
        })
    }

    /// Records whether the spool refused a batch for being full; logs when
    /// that changes, once, however many requests see it. "Room again" needs
    /// the spool half empty, so that a spool hovering at its cap under
    /// sustained overload is one state, not a line per writer commit.
    pub fn spool_full(&self, full: bool) {
        // A load first: under load this runs on every request, and a swap
        // is a write to a shared cache line.
        if self.inner.spool_full.load(Ordering::Relaxed) == full {
            return;
        }
        let pending_bytes = self.spool.pending_bytes();
        if !full && pending_bytes > self.settings.spool_max_bytes / 2 {
            return;
        }
        if self.inner.spool_full.swap(full, Ordering::Relaxed) == full {
            return;
        }
        if full {
            tracing::warn!(
                pending_bytes,
                cap = self.settings.spool_max_bytes,
                "the spool is full: the store is behind, so the intake answers 503 with Retry-After until the writer catches up"
            );
        } else {
            tracing::info!(
                pending_bytes,
                "the spool has room again: the intake accepts batches"
            );
            self.inner.room.notify_waiters();
        }
    }

    /// Waits, at most `at_most`, until the intake accepts batches again.
    pub async fn until_room(&self, at_most: std::time::Duration) {
        let room = self.inner.room.notified();
        tokio::pin!(room);
        // Registered before the check, so a change right after it wakes us.
        room.as_mut().enable();
        if self.spool_refusing() {
            let _ = tokio::time::timeout(at_most, room).await;
        }
    }

    /// Whether the intake refuses batches for a full spool: from the moment
    /// the spool passes its cap until the writer has drained it to half.
    /// Refusing only above the cap would let the intake win back the CPU
    /// each time the writer stores a batch, and the writer (which yields to
    /// requests) would race it at the cap instead of draining.
    pub fn spool_refusing(&self) -> bool {
        if self.spool.pending_bytes() > self.settings.spool_max_bytes {
            self.spool_full(true);
            return true;
        }
        if self.inner.spool_full.load(Ordering::Relaxed) {
            self.spool_full(false);
            return self.inner.spool_full.load(Ordering::Relaxed);
        }
        false
    }

    /// The app of an ingest key, or of a replaced key still in its grace
    /// period.
    pub fn app_by_key(&self, key: &str) -> Option<App> {
        let index = self.apps.read().expect("apps");
        index.by_key.get(key).cloned().or_else(|| {
            let old = index.old_keys.get(key)?;
            (now_ms() < old.expires_at)
                .then(|| index.by_id.get(&old.app).cloned())
                .flatten()
        })
    }

    /// The app whose server key hashes to `hash`.
    pub fn app_by_server_key(&self, hash: &str) -> Option<App> {
        self.apps
            .read()
            .expect("apps")
            .by_server_key
            .get(hash)
            .cloned()
    }

    pub fn app_count(&self) -> usize {
        self.apps.read().expect("apps").by_id.len()
    }

    pub fn app_by_id(&self, id: &str) -> Option<App> {
        self.apps.read().expect("apps").by_id.get(id).cloned()
    }

    /// How the writer treats an app's batches; the defaults for an app
    /// this node does not know yet.
    pub fn policy(&self, app_id: &str) -> Arc<AppPolicy> {
        self.apps
            .read()
            .expect("apps")
            .policies
            .get(app_id)
            .cloned()
            .unwrap_or_default()
    }

    pub async fn refresh_apps(&self) -> Result<Vec<App>, StoreError> {
        let _one_at_a_time = self.apps_refresh.lock().await;
        let apps = self.store.apps().await?;
        let mut index = AppIndex::default();
        let (before, policies) = {
            let index = self.apps.read().expect("apps");
            (index.by_id.clone(), index.policies.clone())
        };
        for app in &apps {
            // Regexes are compiled only when an app's settings changed.
            let policy = match (before.get(&app.id), policies.get(&app.id)) {
                (Some(b), Some(p)) if same_policy(b, app) => p.clone(),
                _ => Arc::new(policy_of(app, &self.settings.scrub_query_keys)),
            };
            index.policies.insert(app.id.clone(), policy);
            index.by_key.insert(app.ingest_key.clone(), app.clone());
            index.by_id.insert(app.id.clone(), app.clone());
            if let Some(hash) = &app.server_key_hash {
                index.by_server_key.insert(hash.clone(), app.clone());
            }
        }
        let now = now_ms();
        for body in self.store.docs(kind::OLD_KEY, 10_000).await? {
            match serde_json::from_str::<OldKey>(&body) {
                Ok(old) if old.expires_at > now => {
                    index.old_keys.insert(old.key.clone(), old);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "a stored old ingest key does not parse"),
            }
        }
        *self.apps.write().expect("apps") = index;
        Ok(apps)
    }

    /// Refreshes the app index every `period`, rolls up vitals every minute,
    /// applies retention hourly and then compacts the store.
    pub fn spawn_maintenance(&self, period: Duration) {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            let mut last_retention = 0i64;
            let mut last_roll_up = 0i64;
            let mut compact_due = false;
            loop {
                tick.tick().await;
                if let Err(e) = state.drops.flush(state.store.as_ref()).await {
                    tracing::warn!(error = %e, "writing the drop counts failed");
                }
                let apps = match state.refresh_apps().await {
                    Ok(apps) => apps,
                    Err(e) => {
                        tracing::warn!(error = %e, "app refresh failed");
                        continue;
                    }
                };
                let now = now_ms();
                if apps
                    .iter()
                    .any(|a| a.daily_event_quota.is_some() || a.daily_replay_bytes_quota.is_some())
                {
                    let today = now.div_euclid(DAY_MS) * DAY_MS;
                    match state.store.stored_since(today).await {
                        Ok(stored) => state.quotas.set_stored(now, &stored),
                        Err(e) => {
                            tracing::warn!(error = %e, "reading the day's usage for quotas failed")
                        }
                    }
                }
                if now - last_roll_up >= 60_000 {
                    last_roll_up = now;
                    // Hours are rolled up a few minutes after they end, when
                    // most of their views have sent their last version, and
                    // once late views stopped arriving for as long.
                    let settled = now - 5 * 60_000;
                    match state.store.roll_up(settled, settled).await {
                        Ok(0) => {}
                        Ok(hours) => tracing::info!(hours, "vitals rolled up"),
                        Err(e) => tracing::warn!(error = %e, "roll-up failed"),
                    }
                }
                if compact_due {
                    match state.store.compact().await {
                        Ok(done) => compact_due = !done,
                        Err(e) => tracing::warn!(error = %e, "compaction failed"),
                    }
                }
                if now - last_retention < 3_600_000 {
                    continue;
                }
                last_retention = now;
                for app in apps {
                    let before = now - i64::from(app.retention_days) * DAY_MS;
                    match state.store.expire(&app.id, before).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(app = %app.id, deleted = n, "retention applied"),
                        Err(e) => tracing::warn!(app = %app.id, error = %e, "retention failed"),
                    }
                }
                // From the next tick on until it runs: what retention
                // deleted and the past hour's writes left get compacted.
                compact_due = true;
            }
        });
    }
}
