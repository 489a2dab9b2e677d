//! What an app stores and drops, per UTC day, and what it costs
//! (`/apps/{app}/usage`), with a what-if of other sampling rules.
//!
//! Stored figures come from the store. Dropped ones are counted by each
//! node ([`Drops`]) and kept as control records, one per day, app and node
//! run, so that every node's drops add up; each node writes its counts
//! every few seconds, so a crash loses at most those seconds' counts.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use axum::extract::{Path, State};
use axum::Json;
use fovea_query::{Params, DAY_MS};
use fovea_schema::sampling::{SessionFacts, Traffic};
use fovea_store::{MixRow, StoredBytes, UsageRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::now_ms;
use crate::error::{ApiError, ApiJson, FilterQuery};
use crate::{apps, AppState};

/// Why events were not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Their session was sampled out by the server (the SDK's own sampling
    /// sends nothing, so it is not counted here).
    Sampled,
    /// Automation signals or a listed bot's user agent.
    Bot,
    /// An excluded env, route or address range.
    Excluded,
    /// Refused requests while the app was over a daily quota (requests,
    /// not events: the body of a refused request is never read).
    Quota,
}

/// Drops by reason, of one app and day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Dropped {
    pub sampled: u64,
    pub bot: u64,
    pub excluded: u64,
    pub quota: u64,
}

impl Dropped {
    fn add(&mut self, reason: DropReason, n: u64) {
        match reason {
            DropReason::Sampled => self.sampled += n,
            DropReason::Bot => self.bot += n,
            DropReason::Excluded => self.excluded += n,
            DropReason::Quota => self.quota += n,
        }
    }

    fn merge(&mut self, o: &Dropped) {
        self.sampled += o.sampled;
        self.bot += o.bot;
        self.excluded += o.excluded;
        self.quota += o.quota;
    }
}

const DROPS: &str = "drops";
/// Drop records read at most: apps × days × node runs.
const MAX_DROP_RECORDS: u32 = 50_000;

/// A node's drop record of one app and day.
#[derive(Debug, Serialize, Deserialize)]
struct DropRecord {
    app: String,
    day: String,
    #[serde(flatten)]
    dropped: Dropped,
}

/// This node's drop counts since it started, by app and day.
#[derive(Debug)]
pub struct Drops {
    /// Names this node run's records.
    node: String,
    counts: Mutex<HashMap<(String, String), (Dropped, bool)>>,
}

impl Default for Drops {
    fn default() -> Self {
        Drops {
            node: crate::token::random_token(8),
            counts: Mutex::default(),
        }
    }
}

impl Drops {
    /// Counts `n` events of `app` dropped at `at` (ms) for `reason`.
    pub fn add(&self, app: &str, at: i64, reason: DropReason, n: usize) {
        if n == 0 {
            return;
        }
        let mut counts = self.counts.lock().expect("drops");
        let (d, dirty) = counts.entry((app.to_string(), date(at))).or_default();
        d.add(reason, n as u64);
        *dirty = true;
    }

    /// Writes the counts that changed since the last flush.
    pub async fn flush(
        &self,
        store: &dyn fovea_store::Store,
    ) -> Result<(), fovea_store::StoreError> {
        let changed: Vec<DropRecord> = {
            let mut counts = self.counts.lock().expect("drops");
            // Days before yesterday are written for good by now.
            let yesterday = date(now_ms() - DAY_MS);
            counts.retain(|(_, day), (_, dirty)| *dirty || *day >= yesterday);
            counts
                .iter_mut()
                .filter(|(_, (_, dirty))| *dirty)
                .map(|((app, day), (d, dirty))| {
                    *dirty = false;
                    DropRecord {
                        app: app.clone(),
                        day: day.clone(),
                        dropped: *d,
                    }
                })
                .collect()
        };
        for (i, r) in changed.iter().enumerate() {
            let id = format!("{}|{}|{}", r.day, r.app, self.node);
            if let Err(e) = crate::docs::put(store, DROPS, &id, r).await {
                // This record and those not tried yet go with the next flush.
                changed[i..].iter().for_each(|r| self.add_back(r));
                return Err(e);
            }
        }
        Ok(())
    }

    /// Marks a record that failed to be written as changed again.
    fn add_back(&self, r: &DropRecord) {
        if let Some((_, dirty)) = self
            .counts
            .lock()
            .expect("drops")
            .get_mut(&(r.app.clone(), r.day.clone()))
        {
            *dirty = true;
        }
    }
}

/// `YYYY-MM-DD` of a UTC time (ms).
fn date(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    // Civil from days (Howard Hinnant's algorithm), 1970-01-01 = day 0.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct EventCounts {
    pub action: u64,
    pub error: u64,
    pub resource: u64,
    pub long_task: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageDay {
    /// UTC day, `YYYY-MM-DD`.
    pub date: String,
    pub sessions: u64,
    pub views: u64,
    pub events: EventCounts,
    pub replay_segments: u64,
    /// Compressed, as stored.
    pub replay_bytes: u64,
    pub spans: u64,
    pub dropped: Dropped,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Bytes {
    pub views: u64,
    pub events: u64,
    pub replay: u64,
    pub spans: u64,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Volume {
    pub sessions: u64,
    /// Views and other events.
    pub events: u64,
    pub bytes: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Warning {
    /// `full_sampling_high_volume`.
    pub kind: &'static str,
    pub sessions_per_day: u64,
    pub threshold: u64,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    /// Whether sessions, views and events are weighted by 100 / rate.
    pub extrapolated: bool,
    pub days: Vec<UsageDay>,
    /// What the app's rows take on disk now, all days.
    pub stored_bytes: Bytes,
    /// Stored in 30 days at the last 7 days' daily rate: events and
    /// sessions added, bytes held (older days leave with retention).
    pub projection_30d: Volume,
    pub retention_days: u32,
    /// The daily quotas, today's use and when one was used up.
    pub quota: crate::quota::QuotaToday,
    pub warning: Option<Warning>,
}

/// Sessions a day above which keeping every session earns a warning: past
/// it, 10 % sampling still leaves 5 000 sessions a day, enough for every
/// p75 by page of a site's main pages to be within a few percent.
pub const FULL_SAMPLING_WARNING: u64 = 50_000;
/// Days the projection and the what-if average over.
const RECENT_DAYS: i64 = 7;

/// The app's figures per UTC day, from the UTC day of `from` (default: 30
/// days before `to`) to `to` (default: now); `extrapolate=true` weights
/// sessions, views and events by 100 / the rate their session was kept at.
#[utoipa::path(get, path = "/api/v1/apps/{app}/usage", tag = "sampling",
    params(("app" = String, Path), Params),
    responses((status = 200, body = Usage), (status = 400), (status = 404)))]
pub async fn usage(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FilterQuery(mut q): FilterQuery,
) -> Result<Json<Usage>, ApiError> {
    let app = apps::find(&state, &id)?;
    let now = now_ms();
    if q.from.is_none() {
        q.from = Some(q.to.unwrap_or(now).saturating_sub(30 * DAY_MS).max(0));
    }
    let f = q.filters(now)?;
    let (from, to) = (f.from.div_euclid(DAY_MS) * DAY_MS, f.to);
    let extrapolate = q.extrapolate == Some(true);
    let rows = state.store.usage(&app.id, from, to).await?;
    let dropped = dropped(&state, &app.id).await?;
    let mut days: BTreeMap<i64, UsageDay> = (0..)
        .map(|i| from + i * DAY_MS)
        .take_while(|d| *d < to)
        .map(|d| {
            let day = UsageDay {
                date: date(d),
                sessions: 0,
                views: 0,
                events: EventCounts::default(),
                replay_segments: 0,
                replay_bytes: 0,
                spans: 0,
                dropped: dropped.get(&date(d)).copied().unwrap_or_default(),
            };
            (d, day)
        })
        .collect();
    for r in &rows {
        let Some(day) = days.get_mut(&r.day) else {
            continue;
        };
        let n = if extrapolate {
            r.weighted.round() as u64
        } else {
            r.n
        };
        match r.kind.as_str() {
            "sessions" => day.sessions = n,
            "views" => day.views = n,
            "action" => day.events.action = n,
            "error" => day.events.error = n,
            "resource" => day.events.resource = n,
            "long_task" => day.events.long_task = n,
            "replay_segments" => day.replay_segments = r.n,
            "replay_bytes" => day.replay_bytes = r.n,
            "spans" => day.spans = r.n,
            _ => {}
        }
    }
    let bytes = state.store.stored_bytes(&app.id).await?;
    let recent = Recent::of(
        &state
            .store
            .usage(&app.id, now - RECENT_DAYS * DAY_MS, now)
            .await?,
    );
    let per_row = bytes_per_row(&bytes);
    let keep_days = f64::from(app.retention_days.min(30));
    let projection_30d = Volume {
        sessions: (recent.sessions * 30.0).round() as u64,
        events: (recent.rows * 30.0).round() as u64,
        bytes: (recent.rows * keep_days * per_row).round() as u64,
    };
    let sessions_per_day = recent.sessions.round() as u64;
    let warning =
        (app.sample_rate >= 100.0 && sessions_per_day > FULL_SAMPLING_WARNING).then(|| Warning {
            kind: "full_sampling_high_volume",
            sessions_per_day,
            threshold: FULL_SAMPLING_WARNING,
            message: format!(
                "every session is kept and the app stores {sessions_per_day} sessions a day: \
                 a lower default rate, with rules keeping key pages, would cut the cost"
            ),
        });
    Ok(Json(Usage {
        extrapolated: extrapolate,
        days: days.into_values().collect(),
        stored_bytes: Bytes {
            views: bytes.views,
            events: bytes.events,
            replay: bytes.replay,
            spans: bytes.spans,
        },
        projection_30d,
        retention_days: app.retention_days,
        quota: state.quotas.today(&app, now),
        warning,
    }))
}

/// The app's drops by day, every node's records added up (this node's
/// written first, so that they are current; if that fails, they are a few
/// seconds old).
async fn dropped(state: &AppState, app: &str) -> Result<HashMap<String, Dropped>, ApiError> {
    if let Err(e) = state.drops.flush(state.store.as_ref()).await {
        tracing::warn!(error = %e, "writing the drop counts failed");
    }
    let records: Vec<DropRecord> =
        crate::docs::list(state.store.as_ref(), DROPS, MAX_DROP_RECORDS).await?;
    let mut out: HashMap<String, Dropped> = HashMap::new();
    for r in records.iter().filter(|r| r.app == app) {
        out.entry(r.day.clone()).or_default().merge(&r.dropped);
    }
    Ok(out)
}

/// Daily averages over the recent days.
struct Recent {
    sessions: f64,
    /// Views and other events.
    rows: f64,
}

impl Recent {
    fn of(rows: &[UsageRow]) -> Recent {
        let sum = |f: &dyn Fn(&str) -> bool| {
            rows.iter()
                .filter(|r| f(&r.kind))
                .map(|r| r.n as f64)
                .sum::<f64>()
                / RECENT_DAYS as f64
        };
        Recent {
            sessions: sum(&|k| k == "sessions"),
            rows: sum(&|k| matches!(k, "views" | "action" | "error" | "resource" | "long_task")),
        }
    }
}

/// Bytes on disk per stored view or event.
fn bytes_per_row(b: &StoredBytes) -> f64 {
    if b.rows == 0 {
        0.0
    } else {
        (b.views + b.events) as f64 / b.rows as f64
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WhatIf {
    /// Days averaged over.
    pub days: i64,
    /// Per day under the current rules.
    pub current: Volume,
    /// Per day under the proposed ones.
    pub proposed: Volume,
}

/// The volume a day the app would store under other rules: each stored
/// session of the last 7 days, re-weighted from the rate it was kept at
/// to the rate the rules give the context it started in.
#[utoipa::path(post, path = "/api/v1/apps/{app}/usage/what-if", tag = "sampling",
    params(("app" = String, Path)), request_body = Traffic,
    responses((status = 200, body = WhatIf), (status = 400), (status = 404)))]
pub async fn what_if(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(proposed): ApiJson<Traffic>,
) -> Result<Json<WhatIf>, ApiError> {
    proposed.validate().map_err(ApiError::BadRequest)?;
    let app = apps::find(&state, &id)?;
    let now = now_ms();
    let from = now - RECENT_DAYS * DAY_MS;
    let mix = state.store.session_mix(&app.id, from, now).await?;
    let recent = Recent::of(&state.store.usage(&app.id, from, now).await?);
    let per_row = bytes_per_row(&state.store.stored_bytes(&app.id).await?);
    let views: u64 = mix.iter().map(|m| m.views).sum();
    // Events (views included) per view, as stored lately.
    let rows_per_view = if views == 0 {
        0.0
    } else {
        recent.rows * RECENT_DAYS as f64 / views as f64
    };
    let volume = |rules: &Traffic| {
        let (sessions, views) = estimate(&mix, rules);
        let per_day = |x: f64| x / RECENT_DAYS as f64;
        let events = views * rows_per_view;
        Volume {
            sessions: per_day(sessions).round() as u64,
            events: per_day(events).round() as u64,
            bytes: per_day(events * per_row).round() as u64,
        }
    };
    Ok(Json(WhatIf {
        days: RECENT_DAYS,
        current: volume(&app.traffic()),
        proposed: volume(&proposed),
    }))
}

/// Sessions and views the rules would keep of the traffic the stored mix
/// stands for.
fn estimate(mix: &[MixRow], rules: &Traffic) -> (f64, f64) {
    let (mut sessions, mut views) = (0.0, 0.0);
    for m in mix {
        let route = m.route.as_deref().unwrap_or_default();
        if rules.env_excluded(m.env.as_deref()) || rules.route_excluded(route) {
            continue;
        }
        let d = rules.decide(&SessionFacts {
            route,
            env: m.env.as_deref(),
            release: m.release.as_deref(),
            device: m.device.as_deref(),
            country: m.country.as_deref(),
        });
        let rate = if d.keep { 100.0 } else { d.session_rate };
        // The traffic a stored session stands for, at the new rate.
        let scale = rate / m.sample_rate.unwrap_or(100.0).max(0.01);
        sessions += m.sessions as f64 * scale;
        views += m.views as f64 * scale;
    }
    (sessions, views)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_764_000_000_000), "2025-11-24");
        assert_eq!(date(951_782_400_000), "2000-02-29");
        assert_eq!(date(-1), "1969-12-31");
    }

    #[test]
    fn the_what_if_reweights_each_session_from_its_rate() {
        let row = |route: &str, rate: Option<f64>, sessions| MixRow {
            route: Some(route.into()),
            env: None,
            release: None,
            device: None,
            country: None,
            sample_rate: rate,
            sessions,
            views: sessions * 2,
        };
        // 10 sessions kept at 10 % stand for 100; 50 kept at 100 % for 50.
        let mix = [row("/", Some(10.0), 10), row("/checkout", None, 50)];
        let rules: Traffic = serde_json::from_str(
            r#"{"rules":[{"match":{"route":"/checkout*"},"session_rate":20}],"default":{"session_rate":50},
                "exclude":{"routes":["/nothing"]}}"#,
        )
        .unwrap();
        let (sessions, views) = estimate(&mix, &rules);
        assert!((sessions - (50.0 + 10.0)).abs() < 1e-9, "{sessions}");
        assert!((views - 120.0).abs() < 1e-9);
        let excluded: Traffic =
            serde_json::from_str(r#"{"default":{"session_rate":100},"exclude":{"routes":["/"]}}"#)
                .unwrap();
        assert_eq!(estimate(&mix, &excluded).0, 50.0);
    }

    #[test]
    fn drops_are_counted_by_app_day_and_reason() {
        let drops = Drops::default();
        let day = 1_764_000_000_000;
        drops.add("a", day, DropReason::Sampled, 3);
        drops.add("a", day + 1, DropReason::Bot, 2);
        drops.add("a", day + DAY_MS, DropReason::Quota, 1);
        drops.add("b", day, DropReason::Excluded, 0);
        let counts = drops.counts.lock().unwrap();
        assert_eq!(counts.len(), 2);
        let (d, dirty) = counts[&("a".to_string(), date(day))];
        assert_eq!(
            (d.sampled, d.bot, d.excluded, d.quota, dirty),
            (3, 2, 0, 0, true)
        );
    }
}
